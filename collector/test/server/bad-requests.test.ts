/**
 * Bad and hostile requests against a running collector: each gets the right
 * status and a google.rpc.Status naming the problem, in the request's own
 * encoding, and the collector goes on storing valid requests afterwards.
 * Partial success: bad spans are rejected one by one, the good ones stored,
 * and what was shortened is said in the answer and visible in the row.
 */
import { Buffer } from 'node:buffer';
import { deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DECODE_LIMITS, truncationMarker } from '../../src/otlp/index.ts';
import { OTHER_KEY, startTestCollector, TEST_KEY } from '../helpers/collector.ts';
import { span, str } from '../otlp/requests.ts';
import {
  body,
  CONTENT_TYPE,
  expectStillServing,
  type Format,
  freshSpan,
  nowNs,
  postTraces,
  traceRows,
  waitForTrace,
} from './http.ts';

const MAX_BODY = 2 * 1024 * 1024;
const MAX_DECOMPRESSED = 8 * 1024 * 1024;

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let url: string;

beforeAll(async () => {
  collector = await startTestCollector({
    maxBodyBytes: MAX_BODY,
    maxDecompressedBytes: MAX_DECOMPRESSED,
    evaluators: 'none',
  });
  url = collector.url;
});
afterAll(async () => {
  await collector?.dispose();
});

const FORMATS: Format[] = ['protobuf', 'json'];

describe('refused requests', () => {
  afterEach(async () => {
    await expectStillServing(url, collector.store, TEST_KEY);
  });

  it('truncated protobuf: 400 with a protobuf Status naming the decode failure', async () => {
    const whole = body('protobuf', [freshSpan({ attributes: [str('k', 'v'.repeat(100))] })]);
    const answer = await postTraces(url, whole.subarray(0, whole.length - 20), 'protobuf', { key: TEST_KEY });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('application/x-protobuf');
    expect(answer.body.code).toBe(3);
    expect(answer.body.message).toMatch(/^invalid protobuf ExportTraceServiceRequest: index out of range/);
  });

  it('JSON with a field of the wrong type: that span rejected by name, the rest of the batch stored', async () => {
    const good = freshSpan({ name: 'kept beside bad ones' });
    const badId = freshSpan();
    const badValue = freshSpan({ attributes: [str('n', '1')] });
    const request = JSON.parse(Buffer.from(body('json', [badId, good, badValue])).toString('utf8'));
    const spans = request.resourceSpans[0].scopeSpans[0].spans;
    spans[0].traceId = 42;
    spans[2].attributes[0].value = { intValue: 'twelve' };
    const answer = await postTraces(url, Buffer.from(JSON.stringify(request)), 'json', { key: TEST_KEY });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    expect(answer.body).toEqual({
      partialSuccess: {
        rejectedSpans: '2',
        errorMessage:
          'rejected 2 spans: resourceSpans[0].scopeSpans[0].spans[0].traceId: Invalid input: expected string, received number; ' +
          'resourceSpans[0].scopeSpans[0].spans[2].attributes[0].value.intValue: expected a decimal integer',
      },
    });
    expect(await waitForTrace(collector.store, good.traceId, 1, 'SpanName')).toEqual([
      { SpanName: 'kept beside bad ones' },
    ]);
    expect(await traceRows(collector.store, badValue.traceId)).toEqual([]);
  });

  it('JSON that does not parse, or is malformed above its spans: 400 naming the problem', async () => {
    const cut = await postTraces(url, Buffer.from('{"resourceSpans": [{"scopeSpans": '), 'json', {
      key: TEST_KEY,
    });
    expect(cut.status).toBe(400);
    expect(cut.body.message).toMatch(/^invalid JSON: /);
    const notArray = await postTraces(url, Buffer.from('{"resourceSpans": {"scopeSpans": []}}'), 'json', {
      key: TEST_KEY,
    });
    expect(notArray.status).toBe(400);
    expect(notArray.body).toEqual({
      code: 3,
      message: 'resourceSpans: Invalid input: expected array, received object',
    });
  });

  it.each(FORMATS)('%s body over maxBodyBytes: 413, declared or streamed', async (format) => {
    const big = new Uint8Array(MAX_BODY + 1024).fill(0x20);
    const declared = await postTraces(url, big, format, { key: TEST_KEY });
    expect(declared.status).toBe(413);
    expect(declared.contentType).toBe(CONTENT_TYPE[format]);
    expect(declared.body.message).toBe(`request body exceeds the limit of ${MAX_BODY} bytes`);

    // No Content-Length: the limit holds while the chunks arrive. The stream
    // ends two chunks past the limit: whatever is still on its way after the
    // 413 must be read and dropped (the server's drain, 500 ms) before the
    // client can read the answer, and a loaded machine once took longer than
    // that over the 6 MiB that used to follow it (EPIPE).
    const chunk = new Uint8Array(256 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY + 2 * chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await postTraces(url, stream, format, { key: TEST_KEY });
    expect(streamed.status).toBe(413);
    expect(streamed.body.message).toBe(`request body exceeds the limit of ${MAX_BODY} bytes`);
  });

  it('gzip bomb: 1 MB expanding to 1 GiB gets 413 without the process growing by the expanded size', async () => {
    // Concatenated gzip members are one valid gzip stream: 64 × 16 MiB of zeros.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const answer = await postTraces(url, bomb, 'protobuf', {
      key: TEST_KEY,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(answer.status).toBe(413);
    expect(answer.body.message).toBe(`decompressed gzip body exceeds the limit of ${MAX_DECOMPRESSED} bytes`);
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - peakBefore;
    // Inflating it whole would add 1 GiB to the peak; streaming stops one chunk past 8 MiB.
    expect(peakGrowth).toBeLessThan(256 * 1024 * 1024);
  });

  it('zstd and zlib bodies, as an OTel Collector exporter set to either sends them: stored', async () => {
    for (const [encoding, compress] of [
      ['zstd', zstdCompressSync],
      ['zlib', deflateSync],
    ] as const) {
      const sent = freshSpan({ name: `sent with ${encoding}` });
      const answer = await postTraces(url, compress(body('protobuf', [sent])), 'protobuf', {
        key: TEST_KEY,
        headers: { 'content-encoding': encoding },
      });
      expect(answer.status, encoding).toBe(200);
      expect(await waitForTrace(collector.store, sent.traceId, 1, 'SpanName')).toEqual([
        { SpanName: `sent with ${encoding}` },
      ]);
    }
    const bomb = await postTraces(url, zstdCompressSync(Buffer.alloc(64 * 1024 * 1024)), 'protobuf', {
      key: TEST_KEY,
      headers: { 'content-encoding': 'zstd' },
    });
    expect(bomb.status).toBe(413);
    expect(bomb.body.message).toBe(`decompressed zstd body exceeds the limit of ${MAX_DECOMPRESSED} bytes`);
    const corrupt = await postTraces(url, Buffer.from('definitely not zstd'), 'json', {
      key: TEST_KEY,
      headers: { 'content-encoding': 'zstd' },
    });
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.message).toMatch(/^invalid zstd body: /);
  });

  it('corrupt gzip: 400; unknown Content-Encoding: 415', async () => {
    const corrupt = await postTraces(url, Buffer.from('definitely not gzip'), 'json', {
      key: TEST_KEY,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.message).toMatch(/^invalid gzip body: /);
    const brotli = await postTraces(url, body('json', [freshSpan()]), 'json', {
      key: TEST_KEY,
      headers: { 'content-encoding': 'br' },
    });
    expect(brotli.status).toBe(415);
    expect(brotli.body).toEqual({
      code: 12,
      message: 'unsupported Content-Encoding "br": use gzip, zstd, deflate or none',
    });
  });

  it('a body compressed undeclared, or in the other encoding: 400 saying which header to fix, nothing stored', async () => {
    const cases = [
      ['gzip', gzipSync],
      ['zstd', zstdCompressSync],
      ['deflate', deflateSync],
    ] as const;
    for (const format of FORMATS) {
      for (const [coding, compress] of cases) {
        const lost = freshSpan();
        const answer = await postTraces(url, compress(body(format, [lost])), format, { key: TEST_KEY });
        expect(answer.status, `${format} ${coding}`).toBe(400);
        expect(answer.contentType).toBe(CONTENT_TYPE[format]);
        expect(answer.body.message, `${format} ${coding}`).toMatch(
          new RegExp(`\\(the body is ${coding}-compressed: send it with Content-Encoding: ${coding}\\)$`),
        );
        expect(await traceRows(collector.store, lost.traceId)).toEqual([]);
      }
    }
    // Compressed twice but declared once: the hint names what is still to undo.
    const twice = await postTraces(url, gzipSync(gzipSync(body('json', [freshSpan()]))), 'json', {
      key: TEST_KEY,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(twice.status).toBe(400);
    expect(twice.body.message).toMatch(
      /\(the body is gzip-compressed: send it with Content-Encoding: gzip\)$/,
    );
    // The other OTLP encoding than the Content-Type says.
    const jsonAsProtobuf = await postTraces(url, body('json', [freshSpan()]), 'protobuf', { key: TEST_KEY });
    expect(jsonAsProtobuf.status).toBe(400);
    expect(jsonAsProtobuf.body.message).toMatch(
      /\(the body is JSON: send it with Content-Type: application\/json\)$/,
    );
    const protobufAsJson = await postTraces(url, body('protobuf', [freshSpan()]), 'json', { key: TEST_KEY });
    expect(protobufAsJson.status).toBe(400);
    expect(protobufAsJson.body.message).toMatch(
      /\(the body is protobuf: send it with Content-Type: application\/x-protobuf\)$/,
    );
    // Bad input that is not compressed keeps its plain message.
    const plain = await postTraces(url, Buffer.from('{"resourceSpans": ['), 'json', { key: TEST_KEY });
    expect(plain.body.message).toBe('invalid JSON: Unexpected end of JSON input');
  });

  it('JSON with a UTF-8 byte order mark: stored like the same body without one', async () => {
    // RFC 8259 lets a parser ignore the BOM, which Windows tools and .NET's
    // Encoding.UTF8 write; /v1/feedback already reads past it.
    const sent = freshSpan({ name: 'after a BOM' });
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const answer = await postTraces(url, Buffer.concat([bom, body('json', [sent])]), 'json', {
      key: TEST_KEY,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({});
    expect(await waitForTrace(collector.store, sent.traceId, 1, 'SpanName')).toEqual([
      { SpanName: 'after a BOM' },
    ]);
  });

  it('JSON written with the .proto field names: stored, not answered 200 and dropped', async () => {
    const sent = freshSpan({ name: 'proto names' });
    const text = Buffer.from(body('json', [sent]))
      .toString('utf8')
      .replace(
        /"([a-z]+[A-Z][A-Za-z]*)":/g,
        (_, name: string) => `"${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":`,
      );
    expect(text).toContain('"resource_spans":');
    expect(text).toContain('"start_time_unix_nano":');
    const answer = await postTraces(url, Buffer.from(text), 'json', { key: TEST_KEY });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({});
    expect(await waitForTrace(collector.store, sent.traceId, 1, 'SpanName')).toEqual([
      { SpanName: 'proto names' },
    ]);
  });

  it('other content types: 415 with a JSON Status', async () => {
    for (const contentType of ['text/plain', 'application/xml', '']) {
      const answer = await postTraces(url, body('json', [freshSpan()]), 'json', {
        key: TEST_KEY,
        contentType,
      });
      expect(answer.status).toBe(415);
      expect(answer.contentType).toBe('application/json');
      expect(answer.body).toEqual({
        code: 12,
        message: `unsupported Content-Type "${contentType}": use application/x-protobuf or application/json`,
      });
    }
  });

  it.each(FORMATS)('%s without a key or with an unknown key: 401, nothing stored', async (format) => {
    const spanWithoutKey = freshSpan();
    for (const key of [null, 'not-a-configured-key', TEST_KEY.slice(0, -1)]) {
      const answer = await postTraces(url, body(format, [spanWithoutKey]), format, { key });
      expect(answer.status).toBe(401);
      expect(answer.contentType).toBe(CONTENT_TYPE[format]);
      expect(answer.body).toEqual({
        code: 16,
        message: 'missing or unknown API key (send Authorization: Bearer <key> or x-api-key: <key>)',
      });
    }
    // x-api-key is the other accepted header.
    const viaHeader = freshSpan();
    const ok = await postTraces(url, body(format, [viaHeader]), format, {
      headers: { 'x-api-key': OTHER_KEY },
    });
    expect(ok.status).toBe(200);
    expect(await waitForTrace(collector.store, viaHeader.traceId, 1)).toEqual([
      { SpanId: viaHeader.spanId, ProjectId: 'project-b' },
    ]);
    expect(await traceRows(collector.store, spanWithoutKey.traceId)).toEqual([]);
  });
});

describe('partial success', () => {
  it('a start time the tables cannot hold (past 2100) is rejected, not acknowledged and then lost', async () => {
    // DateTime ends in 2106: the TTL of a later row wraps into the past, and
    // ClickHouse drops the row on arrival as expired.
    const ns = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();
    const end = ns('2099-12-31T00:00:00Z');
    const last = freshSpan({ name: 'last day', startTimeUnixNano: end, endTimeUnixNano: end });
    const spans = ['2100-01-01T00:00:00Z', '2120-06-01T00:00:00Z', '2150-01-01T00:00:00Z'].map((iso) =>
      freshSpan({ name: iso, startTimeUnixNano: ns(iso), endTimeUnixNano: ns(iso) }),
    );
    const answer = await postTraces(url, body('protobuf', [last, ...spans]), 'protobuf', { key: TEST_KEY });
    expect(answer.status).toBe(200);
    expect(answer.body.partialSuccess).toEqual({
      rejectedSpans: '3',
      errorMessage:
        'rejected 3 spans: resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: startTimeUnixNano is outside 2000-01-01..2100-01-01 (and 2 more spans like it)',
    });
    expect(await waitForTrace(collector.store, last.traceId, 1, 'SpanName')).toEqual([
      { SpanName: 'last day' },
    ]);
  });

  it.each(FORMATS)(
    '%s: bad ids, duplicates and absurd times are rejected one by one; the good span is stored',
    async (format) => {
      const good = freshSpan({ name: 'good' });
      const traceId = good.traceId;
      const at = { startTimeUnixNano: good.startTimeUnixNano, endTimeUnixNano: good.endTimeUnixNano };
      const spans = [
        good,
        { ...good, name: 'duplicate of good' },
        span({ ...at, traceId, spanId: 'zz' }),
        span({ ...at, traceId: '00000000000000000000000000000000' }),
        span({ traceId, startTimeUnixNano: '1' }),
        span({ traceId, startTimeUnixNano: '18446744073709551615' }),
      ];
      const answer = await postTraces(url, body(format, spans), format, { key: TEST_KEY });
      expect(answer.status).toBe(200);
      const partial = answer.body.partialSuccess as { rejectedSpans: string; errorMessage: string };
      expect(partial.rejectedSpans).toBe('5');
      expect(partial.errorMessage).toContain('rejected 5 spans: ');
      expect(partial.errorMessage).toContain(
        'resourceSpans[0].scopeSpans[0].spans[1].spanId: duplicate span id in this request (the first one is kept)',
      );
      expect(partial.errorMessage).toContain(
        'spans[4].startTimeUnixNano: startTimeUnixNano is outside 2000-01-01..2100-01-01',
      );
      expect(partial.errorMessage).toMatch(/spans\[2\]\.spanId: /);

      const rows = await waitForTrace<{ SpanId: string; SpanName: string }>(
        collector.store,
        traceId,
        1,
        'SpanId, SpanName',
      );
      // The drain has nothing else of this trace to write: the good span alone made it.
      expect(rows).toEqual([{ SpanId: good.spanId, SpanName: 'good' }]);
    },
  );

  it.each(FORMATS)(
    '%s: over-long values and too many attributes are cut, said in the answer, marked in the row',
    async (format) => {
      const { maxValueBytes } = DEFAULT_DECODE_LIMITS;
      const long = 'x'.repeat(maxValueBytes + 500);
      const many = Array.from({ length: 1030 }, (_, i) =>
        str(`attr.${String(i).padStart(4, '0')}`, String(i)),
      );
      const target = freshSpan({ attributes: [str('long', long), ...many] });
      const answer = await postTraces(url, body(format, [target]), format, { key: TEST_KEY });
      expect(answer.status).toBe(200);
      const partial = answer.body.partialSuccess as { rejectedSpans: string; errorMessage: string };
      expect(partial.rejectedSpans).toBe('0');
      expect(partial.errorMessage).toBe(
        'accepted with changes: 7 attributes over the limit of 1024, 1 strings shortened to the size limit',
      );
      const [row] = await waitForTrace<{ long: string; kept: number; last: string }>(
        collector.store,
        target.traceId,
        1,
        "SpanAttributes['long'] AS long, length(mapKeys(SpanAttributes)) AS kept, SpanAttributes['attr.1022'] AS last",
      );
      expect(row?.long).toBe('x'.repeat(maxValueBytes) + truncationMarker(500));
      expect(row?.kept).toBe(1024);
      expect(row?.last).toBe('1022');
    },
  );

  it('invalid UTF-8 is replaced, counted and stored; a span ending before it starts keeps duration 0', async () => {
    const start = nowNs();
    const target = freshSpan({
      attributes: [str('bad', Buffer.from([0x61, 0xff, 0xfe, 0x62]))],
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start - 5n).toString(),
    });
    const answer = await postTraces(url, body('protobuf', [target]), 'protobuf', { key: TEST_KEY });
    expect(answer.status).toBe(200);
    expect((answer.body.partialSuccess as { errorMessage: string }).errorMessage).toBe(
      'accepted with changes: 1 strings with invalid UTF-8 (replaced with U+FFFD), 1 timestamps out of range (clamped)',
    );
    const [row] = await waitForTrace<{ bad: string; Duration: number }>(
      collector.store,
      target.traceId,
      1,
      "SpanAttributes['bad'] AS bad, Duration",
    );
    expect(row).toEqual({ bad: 'a\uFFFD\uFFFDb', Duration: 0 });
  });
});
