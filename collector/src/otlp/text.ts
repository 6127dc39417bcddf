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

const NAME_CACHE_LIMIT = 4096;
const NAME_CACHE_MAX_BYTES = 64;

/**
 * Attribute keys and names repeat across the spans of a request. Decoding
 * each once and handing out the same string saves the native call per key
 * and lets V8 reuse object shapes built from identical key strings.
 */
export class NameDecoder {
  private readonly cache = new Map<number, { bytes: Uint8Array; text: string }>();
  private readonly maxBytes: number;
  private readonly report: DecodeReport;

  constructor(maxBytes: number, report: DecodeReport) {
    this.maxBytes = maxBytes;
    this.report = report;
  }

  decode(bytes: Uint8Array): string {
    const length = bytes.length;
    if (length === 0) return '';
    if (length > NAME_CACHE_MAX_BYTES || length > this.maxBytes) {
      return textFromBytes(bytes, this.maxBytes, this.report);
    }
    // FNV-1a over the bytes: cheap next to a native decode for short names.
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    const hit = this.cache.get(hash);
    if (hit && sameBytes(hit.bytes, bytes)) return hit.text;
    const text = textFromBytes(bytes, this.maxBytes, this.report);
    if (this.cache.size >= NAME_CACHE_LIMIT) this.cache.clear();
    // Invalid UTF-8 must be counted every time it occurs, so such names are not cached.
    if (!text.includes('\uFFFD')) this.cache.set(hash, { bytes, text });
    return text;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
