/**
 * Reads an OTLP/HTTP request body, undoing Content-Encoding, with both the
 * wire size and the decompressed size enforced while streaming: a gzip bomb
 * stops one zlib chunk past the limit instead of being inflated in memory.
 */
import { Buffer } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import {
  BodyBudgetExhaustedError,
  BodyTooLargeError,
  InvalidBodyError,
  OtlpRequestError,
  UnsupportedEncodingError,
} from './errors.ts';

export interface BodyLimits {
  /** Bytes on the wire (after transfer decoding, before Content-Encoding). */
  maxBodyBytes: number;
  /** Bytes after Content-Encoding is undone; what the decoder will see. */
  maxDecompressedBytes: number;
}

/**
 * Memory shared by every body being read at once (`receive/body-budget.ts`).
 * The reader takes each chunk's bytes as it keeps them; the owner gives them
 * back when the request is done.
 */
export interface BodyBudget {
  /**
   * Takes the bytes, or says which budget they would overdraw (undefined
   * when taken): the read then stops with `BodyBudgetExhaustedError`.
   */
  take(bytes: number): string | undefined;
  /** Said to the client as Retry-After when the budget is overdrawn. */
  readonly retryAfterSeconds: number;
}

export interface ReadBodyOptions extends Partial<BodyLimits> {
  /** The Content-Encoding header; taken from the Request when omitted. */
  contentEncoding?: string | null;
  /** Shared with the other requests being read; none: only this body's own limits apply. */
  budget?: BodyBudget;
}

export const DEFAULT_BODY_LIMITS: Readonly<BodyLimits> = Object.freeze({
  maxBodyBytes: 20 * 1024 * 1024,
  maxDecompressedBytes: 32 * 1024 * 1024,
});

export type BodySource = Request | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array | null;

type Encoding = 'identity' | 'gzip' | 'deflate' | 'zstd';

// Node 22.15 and 23.8 brought zstd; engines allow 22.12, where it stays a 415.
const createZstdDecompress = (zlib as { createZstdDecompress?: () => NodeJS.ReadWriteStream })
  .createZstdDecompress;

/**
 * The codings OTel exporters send: the SDKs gzip; the Collector's exporters
 * can be set to zstd or zlib too (its `compression` setting, sent as the
 * header's value), and a 415 makes them drop the batch.
 */
export function parseContentEncoding(
  header: string | null | undefined,
  zstd = createZstdDecompress !== undefined,
): Encoding {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) throw new UnsupportedEncodingError(codings.join(', '), { zstd });
  const coding = codings[0] as string;
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  // `zlib` is the Collector's name for RFC 1950 data, which is what HTTP calls deflate.
  if (coding === 'deflate' || coding === 'zlib') return 'deflate';
  if (coding === 'zstd' && zstd) return 'zstd';
  throw new UnsupportedEncodingError(coding, { zstd });
}

function tooLarge(what: string, limit: number): BodyTooLargeError {
  return new BodyTooLargeError(`${what} exceeds the limit of ${limit} bytes`, limit);
}

async function* chunksOf(source: BodySource): AsyncGenerator<Uint8Array> {
  if (source === null) return;
  if (source instanceof Uint8Array) {
    if (source.byteLength > 0) yield source;
    return;
  }
  const iterable = source instanceof Request ? source.body : source;
  if (iterable === null) return;
  for await (const chunk of iterable as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.byteLength > 0) yield bytes;
  }
}

async function* limited(source: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > max) throw tooLarge('request body', max);
    yield chunk;
  }
}

class Collector {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  private readonly max: number;
  private readonly what: string;
  private readonly budget: BodyBudget | undefined;

  constructor(max: number, what: string, budget: BodyBudget | undefined) {
    this.max = max;
    this.what = what;
    this.budget = budget;
  }

  add(chunk: Uint8Array): void {
    this.total += chunk.byteLength;
    if (this.total > this.max) throw tooLarge(this.what, this.max);
    // What the body keeps is what it costs: a compressed chunk is gone once inflated.
    if (this.budget) {
      const overdrawn = this.budget.take(chunk.byteLength);
      if (overdrawn !== undefined)
        throw new BodyBudgetExhaustedError(overdrawn, this.budget.retryAfterSeconds);
    }
    this.chunks.push(chunk);
  }

  result(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0] as Uint8Array;
    return Buffer.concat(this.chunks, this.total);
  }
}

/** HTTP "deflate" is zlib-wrapped (RFC 1950), but some clients send raw deflate: tell them apart. */
function isZlibHeader(first: Uint8Array): boolean {
  if (first.length < 2) return true;
  const cmf = first[0] as number;
  const flg = first[1] as number;
  return (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

async function inflateInto(
  raw: AsyncGenerator<Uint8Array>,
  encoding: Exclude<Encoding, 'identity'>,
  out: Collector,
): Promise<void> {
  const first = await raw.next();
  if (first.done) throw new InvalidBodyError(`empty ${encoding} body`);
  const inflater =
    encoding === 'gzip'
      ? createGunzip()
      : encoding === 'zstd'
        ? (createZstdDecompress as () => NodeJS.ReadWriteStream)()
        : isZlibHeader(first.value)
          ? createInflate()
          : createInflateRaw();
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield first.value as Uint8Array;
    yield* raw;
  }
  await pipeline(replay(), inflater, async (inflated: AsyncIterable<Buffer>) => {
    for await (const chunk of inflated) out.add(chunk);
  });
}

/**
 * Reads a whole request body. Throws `BodyTooLargeError` (413),
 * `UnsupportedEncodingError` (415) or `InvalidBodyError` (400).
 */
export async function readRequestBody(
  source: BodySource,
  options: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_BODY_LIMITS.maxBodyBytes;
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_BODY_LIMITS.maxDecompressedBytes;
  const isRequest = typeof Request !== 'undefined' && source instanceof Request;
  const encoding = parseContentEncoding(
    options.contentEncoding !== undefined
      ? options.contentEncoding
      : isRequest
        ? source.headers.get('content-encoding')
        : null,
  );
  if (isRequest) {
    const declared = Number(source.headers.get('content-length') ?? Number.NaN);
    // Refuse early when the client already told us the body is too big.
    if (declared > maxBodyBytes) throw tooLarge('request body', maxBodyBytes);
  }

  const raw = limited(chunksOf(source), maxBodyBytes);
  try {
    if (encoding === 'identity') {
      const out = new Collector(Math.min(maxBodyBytes, maxDecompressedBytes), 'request body', options.budget);
      for await (const chunk of raw) out.add(chunk);
      return out.result();
    }
    const out = new Collector(maxDecompressedBytes, `decompressed ${encoding} body`, options.budget);
    await inflateInto(raw, encoding, out);
    return out.result();
  } catch (error) {
    if (error instanceof OtlpRequestError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const zlibError = typeof (error as { errno?: unknown })?.errno === 'number';
    throw new InvalidBodyError(
      zlibError ? `invalid ${encoding} body: ${reason}` : `cannot read request body: ${reason}`,
    );
  }
}
