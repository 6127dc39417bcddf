/**
 * Strings from untrusted input: UTF-8 validation and size caps that keep the
 * start of the text and say visibly how much was cut.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { DecodeReport } from './decode-report.ts';

export function truncationMarker(droppedBytes: number): string {
  return `…[truncated ${droppedBytes} bytes]`;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Largest cut <= max that does not split a UTF-8 sequence. */
function utf8Boundary(bytes: Uint8Array, max: number): number {
  let cut = max;
  // Step back over continuation bytes (10xxxxxx) to the start of a sequence.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut;
}

/** Decodes UTF-8 bytes from the wire, replacing invalid sequences and capping the size. */
export function textFromBytes(bytes: Uint8Array, maxBytes: number, report: DecodeReport): string {
  if (bytes.length === 0) return '';
  const buffer = asBuffer(bytes);
  let cut = buffer.length;
  if (cut > maxBytes) cut = utf8Boundary(buffer, maxBytes);
  const text = buffer.toString('utf8', 0, cut);
  // U+FFFD can be legitimate text; only then pay for the full validation.
  if (text.includes('\uFFFD') && !isUtf8(buffer.subarray(0, cut))) report.counts.invalidUtf8++;
  if (cut === buffer.length) return text;
  report.counts.truncatedStrings++;
  return text + truncationMarker(buffer.length - cut);
}

/** Caps a string that is already decoded (JSON), measuring its UTF-8 size. */
export function limitText(text: string, maxBytes: number, report: DecodeReport): string {
  // JSON escapes can produce lone surrogates, which have no UTF-8 form.
  if (!text.isWellFormed()) {
    report.counts.invalidUtf8++;
    text = text.toWellFormed();
  }
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes, so short strings skip the count.
  if (text.length * 3 <= maxBytes) return text;
  const size = Buffer.byteLength(text, 'utf8');
  if (size <= maxBytes) return text;
  const encoded = Buffer.from(text, 'utf8');
  const cut = utf8Boundary(encoded, maxBytes);
  report.counts.truncatedStrings++;
  return encoded.toString('utf8', 0, cut) + truncationMarker(size - cut);
}
