import { crc32 } from 'node:zlib';

/**
 * Record framing: `u32le length | u32le crc32(length bytes ‖ payload) | payload`.
 * The checksum covers the length too, so a corrupted length is caught before
 * it sends a reader past the end of the file.
 */
export const HEADER_BYTES = 8;

/** Larger lengths can only come from corruption (a request is far smaller). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function frameSize(payloadBytes: number): number {
  return HEADER_BYTES + payloadBytes;
}

function checksum(header: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(header.subarray(0, 4)));
}

/** Writes the frame for `payload` into `out` at `offset`; returns the offset after it. */
export function writeFrame(out: Buffer, offset: number, payload: Uint8Array): number {
  out.writeUInt32LE(payload.byteLength, offset);
  out.writeUInt32LE(checksum(out.subarray(offset, offset + 4), payload), offset + 4);
  out.set(payload, offset + HEADER_BYTES);
  return offset + HEADER_BYTES + payload.byteLength;
}

export type FrameParse =
  | { kind: 'ok'; payload: Buffer; size: number }
  /** Not enough bytes in `buf` to tell: read more, or it is a torn tail. */
  | { kind: 'short'; need: number }
  | { kind: 'corrupt'; reason: string };

/** Parses the frame starting at `offset` of `buf`. The payload is a view into `buf`. */
export function parseFrame(buf: Buffer, offset: number): FrameParse {
  if (buf.byteLength - offset < HEADER_BYTES) return { kind: 'short', need: HEADER_BYTES };
  const length = buf.readUInt32LE(offset);
  if (length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `record length ${length} out of range` };
  const size = HEADER_BYTES + length;
  if (buf.byteLength - offset < size) return { kind: 'short', need: size };
  const payload = buf.subarray(offset + HEADER_BYTES, offset + size);
  const expected = buf.readUInt32LE(offset + 4);
  if (checksum(buf.subarray(offset, offset + 4), payload) !== expected) {
    return { kind: 'corrupt', reason: 'checksum mismatch' };
  }
  return { kind: 'ok', payload, size };
}
