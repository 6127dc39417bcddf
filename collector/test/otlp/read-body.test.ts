import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, deflateRawSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BodyBudgetExhaustedError,
  BodyTooLargeError,
  InvalidBodyError,
  parseContentEncoding,
  readRequestBody,
  UnsupportedEncodingError,
} from '../../src/otlp/index.ts';
import { createBodyBudgetPool } from '../../src/receive/body-budget.ts';

const PAYLOAD = Buffer.from('{"resourceSpans":[]}'.repeat(100));

function post(body: Uint8Array, headers: Record<string, string> = {}): Request {
  return new Request('http://collector.test/v1/traces', { method: 'POST', body, headers });
}

/** Yields `data` in `size`-byte chunks and records how many were pulled. */
function chunked(
  data: Uint8Array,
  size: number,
): { source: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let offset = 0; offset < data.length; offset += size) {
      pulled++;
      yield data.subarray(offset, offset + size);
    }
  }
  return { source: source(), pulled: () => pulled };
}

/** gzip of `total` zero bytes, made by streaming so the test never holds them. */
async function gzipBomb(total: number): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(
      (function* () {
        for (let sent = 0; sent < total; sent += zeros.length) yield zeros;
      })(),
    ),
    createGzip({ level: 9 }),
    async (compressed: AsyncIterable<Buffer>) => {
      for await (const chunk of compressed) out.push(chunk);
    },
  );
  return Buffer.concat(out);
}

describe('readRequestBody', () => {
  it('reads a plain body from a Request', async () => {
    expect(Buffer.from(await readRequestBody(post(PAYLOAD)))).toEqual(PAYLOAD);
  });

  it('undoes gzip, zlib deflate, raw deflate and zstd', async () => {
    for (const [encoding, body] of [
      ['gzip', gzipSync(PAYLOAD)],
      ['x-gzip', gzipSync(PAYLOAD)],
      ['deflate', deflateSync(PAYLOAD)],
      ['deflate', deflateRawSync(PAYLOAD)],
      // What an OTel Collector exporter sends with `compression: zlib` or `zstd`.
      ['zlib', deflateSync(PAYLOAD)],
      ['zstd', zstdCompressSync(PAYLOAD)],
      ['ZSTD', zstdCompressSync(PAYLOAD)],
    ] as const) {
      const read = await readRequestBody(post(body, { 'content-encoding': encoding }));
      expect(Buffer.from(read).equals(PAYLOAD), encoding).toBe(true);
    }
  });

  it('reads Node streams and chunked iterables, with the encoding passed explicitly', async () => {
    const fromNode = await readRequestBody(Readable.from([gzipSync(PAYLOAD)]), { contentEncoding: 'gzip' });
    expect(Buffer.from(fromNode).equals(PAYLOAD)).toBe(true);
    const { source } = chunked(gzipSync(PAYLOAD), 7);
    const fromChunks = await readRequestBody(source, { contentEncoding: 'GZIP' });
    expect(Buffer.from(fromChunks).equals(PAYLOAD)).toBe(true);
  });

  it('refuses a body over maxBodyBytes while reading it', async () => {
    const big = Buffer.alloc(10_000, 0x61);
    const { source, pulled } = chunked(big, 1000);
    await expect(readRequestBody(source, { maxBodyBytes: 2500 })).rejects.toThrow(
      new BodyTooLargeError('request body exceeds the limit of 2500 bytes', 2500),
    );
    expect(pulled()).toBe(3);
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++;
          controller.enqueue(new Uint8Array(100));
          controller.close();
        },
      },
      // No read-ahead: a pull happens only when someone reads.
      { highWaterMark: 0 },
    );
    const request = new Request('http://collector.test/v1/traces', {
      method: 'POST',
      body: stream,
      headers: { 'content-length': '5000' },
      duplex: 'half',
    } as RequestInit);
    const error = await readRequestBody(request, { maxBodyBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).status).toBe(413);
    expect(pulls).toBe(0);
  });

  it('stops a gzip bomb at the decompressed limit without inflating it', async () => {
    // 64 gzip members of 64 MiB of zeros each: 4 GiB inflated from about 4 MB.
    const member = await gzipBomb(64 * 1024 * 1024);
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    expect(bomb.length).toBeLessThan(8 * 1024 * 1024);
    const { source, pulled } = chunked(bomb, 1024);
    const chunks = Math.ceil(bomb.length / 1024);
    const error = await readRequestBody(source, {
      contentEncoding: 'gzip',
      maxDecompressedBytes: 1024 * 1024,
    }).catch((e: unknown) => e);
    expect(error).toEqual(
      new BodyTooLargeError('decompressed gzip body exceeds the limit of 1048576 bytes', 1048576),
    );
    expect((error as BodyTooLargeError).status).toBe(413);
    // Reading stopped near the start: only stream read-ahead was pulled, not the 4 GiB.
    expect(pulled()).toBeLessThan(chunks / 20);
  });

  it('answers 415 for encodings other than gzip, deflate and zstd', async () => {
    const error = await readRequestBody(post(PAYLOAD, { 'content-encoding': 'br' })).catch((e: unknown) => e);
    expect(error).toEqual(new UnsupportedEncodingError('br'));
    expect((error as UnsupportedEncodingError).status).toBe(415);
    expect((error as Error).message).toBe(
      'unsupported Content-Encoding "br": use gzip, zstd, deflate or none',
    );
    expect(() => parseContentEncoding('gzip, br')).toThrow(UnsupportedEncodingError);
    expect(parseContentEncoding('identity')).toBe('identity');
    expect(parseContentEncoding(undefined)).toBe('identity');
  });

  it('on a Node without zstd (22.12–22.14) refuses it without telling the client to send zstd', () => {
    // What an OTel Collector set to `compression: zstd` logs when its batch is dropped for good.
    const refused = (() => {
      try {
        parseContentEncoding('zstd', false);
      } catch (error) {
        return error as UnsupportedEncodingError;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(UnsupportedEncodingError);
    expect(refused?.status).toBe(415);
    expect(refused?.message).toMatch(
      /^unsupported Content-Encoding "zstd" \(.*Node 22\.15\+.*\): use gzip, deflate or none$/,
    );
    expect(() => parseContentEncoding('br', false)).toThrow('"br": use gzip, deflate or none');
    expect(parseContentEncoding('gzip', false)).toBe('gzip');
  });

  it('answers 400 for a corrupt or truncated gzip body', async () => {
    const corrupt = await readRequestBody(post(PAYLOAD, { 'content-encoding': 'gzip' })).catch(
      (e: unknown) => e,
    );
    expect(corrupt).toEqual(new InvalidBodyError('invalid gzip body: incorrect header check'));
    expect((corrupt as InvalidBodyError).status).toBe(400);
    const gzipped = gzipSync(PAYLOAD);
    const truncated = await readRequestBody(gzipped.subarray(0, gzipped.length - 10), {
      contentEncoding: 'gzip',
    }).catch((e: unknown) => e);
    expect(truncated).toEqual(new InvalidBodyError('invalid gzip body: unexpected end of file'));
    const empty = await readRequestBody(new Uint8Array(0), { contentEncoding: 'gzip' }).catch(
      (e: unknown) => e,
    );
    expect(empty).toEqual(new InvalidBodyError('empty gzip body'));
  });

  it('takes what it keeps from a shared budget, and stops a body that would overdraw it', async () => {
    const pool = createBodyBudgetPool(PAYLOAD.length * 2 + 10, PAYLOAD.length);
    const first = pool.account('a');
    // gzip on the wire, counted as inflated: what the body holds in memory.
    const inflated = await readRequestBody(gzipSync(PAYLOAD), { contentEncoding: 'gzip', budget: first });
    expect(Buffer.from(inflated).equals(PAYLOAD)).toBe(true);
    expect(pool.held()).toBe(PAYLOAD.length);
    const second = pool.account('b');
    expect(await readRequestBody(PAYLOAD, { budget: second })).toHaveLength(PAYLOAD.length);
    expect(pool.held()).toBe(2 * PAYLOAD.length);

    const third = pool.account('c');
    const { source, pulled } = chunked(PAYLOAD, 64);
    const refused = await readRequestBody(source, { contentEncoding: null, budget: third }).catch((e) => e);
    expect(refused).toBeInstanceOf(BodyBudgetExhaustedError);
    expect(refused).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
      message: `collector is busy: request bodies being read at once would exceed ${PAYLOAD.length * 2 + 10} bytes; retry later`,
    });
    // It stopped at the chunk that did not fit, and what it had taken counts until released.
    expect(pulled()).toBe(1);
    expect(pool.held()).toBe(2 * PAYLOAD.length);
    third.release();
    first.release();
    expect(pool.held()).toBe(PAYLOAD.length);
    // Released once: a second release gives nothing back twice.
    first.release();
    expect(pool.held()).toBe(PAYLOAD.length);
    second.release();
    expect(pool.held()).toBe(0);
  });

  it('holds one key to its share of the budget, and leaves the rest to the others', async () => {
    // 4,000 over every key; a key's share is half, or the largest body allowed (3,000) if more.
    const pool = createBodyBudgetPool(4_000, 3_000);
    expect(pool.keyBytes).toBe(3_000);
    const a = pool.account('a');
    expect(a.take(2_500)).toBeUndefined();
    expect(pool.account('a').take(600)).toBe(
      "this API key's request bodies being read at once would exceed its 3000 bytes",
    );
    expect(pool.account('b').take(1_500)).toBeUndefined();
    a.release();
    expect(pool.account('a').take(2_500)).toBeUndefined();
    expect(pool.held()).toBe(4_000);
    // Without a large body limit a key gets half.
    expect(createBodyBudgetPool(4_000).keyBytes).toBe(2_000);
  });

  it('reads an absent body as empty', async () => {
    expect(await readRequestBody(null)).toHaveLength(0);
    expect(await readRequestBody(new Request('http://collector.test/', { method: 'POST' }))).toHaveLength(0);
  });
});
