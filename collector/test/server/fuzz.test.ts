/**
 * Property over the running collector's HTTP endpoint: random bytes, mutated
 * valid requests (bit flips, truncations, splices, compressed or not), JSON
 * values put anywhere, deep nesting, big strings, and random values under the
 * attribute keys the normalizers read. Every request completes with a 2xx or
 * a 4xx carrying a readable Status; afterwards the collector is healthy,
 * everything it accepted has been written (none of it dead-lettered by a
 * throwing normalizer or enricher) and a valid request is stored.
 */
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRpcStatus } from '../../src/receive/rpc-status.ts';
import { mutate, mutationArbitrary } from '../helpers/byte-mutations.ts';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { str, type TestKeyValue, type TestValue } from '../otlp/requests.ts';
import { body, CONTENT_TYPE, expectStillServing, type Format, freshSpan, metricValue } from './http.ts';

const MAX_BODY = 256 * 1024;
const MAX_DECOMPRESSED = 1024 * 1024;
// Bounds the whole file to seconds: each run is one HTTP round trip.
const RUNS = 100;
// A request that takes longer than this has hung.
const REQUEST_TIMEOUT_MS = 10_000;

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let url: string;
const statuses = new Map<number, number>();

beforeAll(async () => {
  collector = await startTestCollector({ maxBodyBytes: MAX_BODY, maxDecompressedBytes: MAX_DECOMPRESSED });
  url = collector.url;
});
afterAll(async () => {
  await collector?.dispose();
});

/** Keys the convention adapters read, so random values reach the normalizers and enrichers. */
const NORMALIZER_KEYS = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.response.finish_reasons',
  'gen_ai.response.time_to_first_chunk',
  'gen_ai.retrieval.documents',
  'gen_ai.retrieval.query.text',
  'gen_ai.conversation.id',
  'gen_ai.prompt.0.content',
  'gen_ai.completion.0.content',
  'openinference.span.kind',
  'llm.input_messages.0.message.content',
  'llm.output_messages.0.message.content',
  'llm.token_count.prompt',
  'retrieval.documents.0.document.content',
  'input.value',
  'output.value',
  'ai.prompt.messages',
  'ai.response.text',
  'ai.usage.promptTokens',
  'ai.response.msToFirstChunk',
  'session.id',
  'user.id',
  'service.name',
];

const CHAT_ATTRIBUTES: TestKeyValue[] = [
  str('gen_ai.operation.name', 'chat'),
  str('gen_ai.provider.name', 'openai'),
  str('gen_ai.request.model', 'gpt-4o-mini'),
  str(
    'gen_ai.input.messages',
    JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hi, my email is a@b.co' }] }]),
  ),
  str(
    'gen_ai.output.messages',
    JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello.' }] }]),
  ),
  str(
    'gen_ai.retrieval.documents',
    JSON.stringify([{ id: 'd1', score: 0.9, content: 'refunds in 30 days' }]),
  ),
  { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: 'stop' }] } } },
  str('openinference.span.kind', 'LLM'),
  str('llm.input_messages.0.message.content', 'What is the refund window?'),
];

function validRequest(format: Format): Uint8Array {
  const parent = freshSpan({ name: 'POST /ask', kind: 2 });
  const chat = freshSpan({
    traceId: parent.traceId,
    parentSpanId: parent.spanId,
    name: 'chat gpt-4o-mini',
    kind: 3,
    attributes: CHAT_ATTRIBUTES,
    events: [
      {
        timeUnixNano: parent.startTimeUnixNano as string,
        name: 'gen_ai.choice',
        attributes: [str('index', '0')],
      },
    ],
    status: { code: 2, message: 'boom' },
  });
  return body(format, [parent, chat], [str('service.name', 'fuzz-app')]);
}

type Encoding = 'identity' | 'gzip' | 'deflate';
const encode = (bytes: Uint8Array, encoding: Encoding): Uint8Array =>
  encoding === 'gzip' ? gzipSync(bytes) : encoding === 'deflate' ? deflateSync(bytes) : bytes;

interface Attempt {
  bytes: Uint8Array;
  format: Format;
  encoding?: Encoding;
  contentType?: string;
}

/** Posts one attempt and checks the answer; returns the status. */
async function post(attempt: Attempt): Promise<number> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${TEST_KEY}`,
    'content-type': attempt.contentType ?? CONTENT_TYPE[attempt.format],
  };
  if (attempt.encoding && attempt.encoding !== 'identity') headers['content-encoding'] = attempt.encoding;
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers,
    body: attempt.bytes,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const answer = new Uint8Array(await response.arrayBuffer());
  const { status } = response;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const isSuccess = status >= 200 && status < 300;
  const isClientError = status >= 400 && status < 500;
  expect(isSuccess || isClientError, `status ${status}: ${Buffer.from(answer).toString()}`).toBe(true);
  if (isClientError) {
    // A readable Status in the request's encoding (JSON when the type was not OTLP).
    const message =
      response.headers.get('content-type') === 'application/x-protobuf'
        ? decodeRpcStatus(answer).message
        : (JSON.parse(Buffer.from(answer).toString('utf8')) as { message: string }).message;
    expect(message.length).toBeGreaterThan(0);
  }
  return status;
}

const mutation = mutationArbitrary(32);

const format = fc.constantFrom<Format>('protobuf', 'json');
const encoding = fc.constantFrom<Encoding>('identity', 'gzip', 'deflate');

/** Any OTLP attribute value, nested up to `depth`. */
const attributeValue: fc.Arbitrary<TestValue> = fc.letrec<{ value: TestValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: fc.oneof(fc.string({ maxLength: 64 }), fc.json({ maxDepth: 3 })) }),
    fc.record({
      intValue: fc.oneof(fc.integer(), fc.constantFrom('9223372036854775807', '-9223372036854775808')),
    }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 16 }) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({
      kvlistValue: fc.record({
        values: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: tie('value') }), {
          maxLength: 3,
        }),
      }),
    }),
  ),
})).value;

describe('HTTP fuzzing of /v1/traces', () => {
  it('random bytes, in any format and declared encoding', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), format, encoding, async (bytes, f, e) => {
        await post({ bytes, format: f, encoding: e });
        // The same bytes, really compressed: the decoder sees them.
        await post({ bytes: encode(bytes, e), format: f, encoding: e });
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid requests, mutated before or after compression', async () => {
    await fc.assert(
      fc.asyncProperty(
        format,
        encoding,
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (f, e, afterCompression, mutations) => {
          const valid = validRequest(f);
          const bytes = afterCompression
            ? mutate(encode(valid, e), mutations)
            : encode(mutate(valid, mutations), e);
          await post({ bytes, format: f, encoding: e });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('any JSON value put anywhere in a valid JSON request', async () => {
    const original = JSON.parse(Buffer.from(validRequest('json')).toString('utf8')) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (node: unknown, at: (string | number)[]) => {
      paths.push(at);
      if (Array.isArray(node)) for (const [i, child] of node.entries()) walk(child, [...at, i]);
      else if (node && typeof node === 'object')
        for (const [k, child] of Object.entries(node)) walk(child, [...at, k]);
    };
    walk(original, []);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: paths.length - 1 }),
        fc.jsonValue({ maxDepth: 4 }),
        async (index, replacement) => {
          const at = paths[index] as (string | number)[];
          let request: unknown = replacement;
          if (at.length > 0) {
            request = structuredClone(original);
            let target = request as Record<string | number, unknown>;
            for (const key of at.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
            target[at.at(-1) as string | number] = replacement;
          }
          await post({ bytes: Buffer.from(JSON.stringify(request) ?? 'null'), format: 'json' });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random values under the keys the normalizers read', async () => {
    await fc.assert(
      fc.asyncProperty(
        format,
        fc.array(fc.record({ key: fc.constantFrom(...NORMALIZER_KEYS), value: attributeValue }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (f, attributes) => {
          const target = freshSpan({
            name: 'chat fuzz',
            attributes: [...CHAT_ATTRIBUTES.slice(0, 2), ...attributes],
          });
          const status = await post({ bytes: body(f, [target], attributes.slice(0, 3)), format: f });
          // Valid ids and times: whatever the attribute values, the request is accepted.
          expect(status).toBe(200);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('deep nesting and big strings, up to and past the limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        format,
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 0, max: 2 * MAX_DECOMPRESSED }),
        encoding,
        async (f, depth, stringBytes, e) => {
          let nested: TestValue = { stringValue: 'leaf' };
          // protobufjs refuses to build values nested deeper than this; the JSON text below goes further.
          for (let i = 0; i < Math.min(depth, 24); i++) nested = { arrayValue: { values: [nested] } };
          const target = freshSpan({
            attributes: [{ key: 'deep', value: nested }, str('big', 'p'.repeat(stringBytes))],
          });
          await post({ bytes: encode(body(f, [target]), e), format: f, encoding: e });
          // JSON nesting past what the protobuf encoder can build, straight as text.
          const json = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(depth)}${']}}'.repeat(depth)}}]}]}]}]}`;
          await post({ bytes: encode(Buffer.from(json), e), format: 'json', encoding: e });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('afterwards: healthy, everything accepted written and nothing dead-lettered, still storing', async () => {
    // Every class of answer was exercised.
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(413)).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => (s >= 200 && s < 300) || (s >= 400 && s < 500))).toBe(true);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    await expectStillServing(url, collector.store, TEST_KEY);
    await waitFor(
      async () => {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        return (
          metricValue(metrics, 'oversight_queue_depth') === 0 &&
          metricValue(metrics, 'oversight_store_up') === 1
        );
      },
      15_000,
      'the log drained into ClickHouse',
    );
    expect(existsSync(path.join(collector.dir, 'wal', 'dead-letter.jsonl'))).toBe(false);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
