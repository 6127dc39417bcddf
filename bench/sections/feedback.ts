/**
 * Feedback intake through the write-ahead log: how long `/v1/feedback` takes
 * to acknowledge (the append waits for the group-commit fsync) and how many
 * requests per second one collector takes, next to the same-run baseline of
 * `/v1/traces` requests of one small span on the same log; then how long the
 * drain takes to make all the feedback queryable. Plus the log entry itself:
 * bytes and encode + decode time of a feedback entry against a one-span batch.
 */
import { randomBytes } from 'node:crypto';
import type { SpanRecord } from '../../collector/src/otlp/span-record.ts';
import { decodeBatch, encodeBatch, type IngestBatch } from '../../collector/src/pipeline/batch-codec.ts';
import { startCollectorProcess } from '../collector-process.ts';
import { note, printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { quantile, round, sleep } from '../stats.ts';

const IN_FLIGHT = 8;

/** Rounds per route, alternated, so a noisy moment on the shared machine hits both alike. */
const ROUNDS = 4;

interface Timing {
  requests: number;
  seconds: number;
  latencies: number[];
  failed: number;
}

const emptyTiming = (): Timing => ({ requests: 0, seconds: 0, latencies: [], failed: 0 });

async function hammer(
  count: number,
  send: (i: number) => Promise<Response>,
  into: Timing = emptyTiming(),
  offset = 0,
): Promise<Timing> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const i = offset + next++;
        const t0 = performance.now();
        const res = await send(i);
        await res.arrayBuffer();
        into.latencies.push(performance.now() - t0);
        if (!res.ok) into.failed++;
      }
    }),
  );
  into.requests += count;
  into.seconds += (performance.now() - started) / 1000;
  return into;
}

function feedbackBody(id: string, i: number): string {
  return JSON.stringify({
    id,
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    value: i % 3 === 0 ? 'down' : 'up',
    comment: i % 3 === 0 ? 'the answer cites the wrong policy' : undefined,
    userId: `user-${i % 50}`,
  });
}

function oneSpanBody(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [
          {
            scope: { name: 'bench' },
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: now.toString(),
                endTimeUnixNano: (now + 5_000_000n).toString(),
                attributes: [
                  { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

/** Mean microseconds of encode + decode, and encoded bytes, of one batch. */
function codecCost(batch: IngestBatch, rounds: number): { us: number; bytes: number } {
  const bytes = encodeBatch(batch).byteLength;
  for (let i = 0; i < 200; i++) decodeBatch(encodeBatch(batch));
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) decodeBatch(encodeBatch(batch));
  return { us: round(((performance.now() - t0) * 1000) / rounds, 1), bytes };
}

const sampleSpan: SpanRecord = {
  traceId: 'ab'.repeat(16),
  spanId: 'cd'.repeat(8),
  parentSpanId: '',
  traceState: '',
  name: 'chat gpt-4o-mini',
  kind: 'Client',
  startTimeUnixNano: 1_760_000_000_000_000_000n,
  endTimeUnixNano: 1_760_000_000_005_000_000n,
  serviceName: 'bench',
  resourceAttributes: { 'service.name': 'bench' },
  scopeName: 'bench',
  scopeVersion: '',
  attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
  events: [],
  links: [],
  statusCode: 'Unset',
  statusMessage: '',
};

export const feedbackSection: Section = {
  name: 'feedback',
  description: '/v1/feedback ack latency and req/s through the WAL vs one-span /v1/traces',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const count = quick ? 1_000 : 5_000;
    const feedbackEntry: IngestBatch = {
      projectId: 'default',
      receivedAt: 1_760_000_000_000,
      spans: [],
      feedback: [
        {
          id: 'bench-1',
          timestamp: 1_760_000_000_000,
          traceId: 'ab'.repeat(16),
          spanId: 'cd'.repeat(8),
          userId: 'user-1',
          kind: 'thumbs',
          value: 0,
          comment: 'the answer cites the wrong policy',
        },
      ],
    };
    const codecRounds = quick ? 2_000 : 20_000;
    const fbCodec = codecCost(feedbackEntry, codecRounds);
    const spanCodec = codecCost({ projectId: 'default', receivedAt: 1, spans: [sampleSpan] }, codecRounds);

    const collector = await startCollectorProcess({ evaluators: 'none' });
    try {
      const post = (route: string, body: string) =>
        fetch(`${collector.url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      // Warm both routes (JIT, first segment, first drain round) before measuring.
      await hammer(200, (i) => post('/v1/feedback', feedbackBody(`warm-${i}`, i)));
      await hammer(200, () => post('/v1/traces', oneSpanBody()));

      const traces = emptyTiming();
      const feedback = emptyTiming();
      const perRound = count / ROUNDS;
      for (let r = 0; r < ROUNDS; r++) {
        await hammer(perRound, () => post('/v1/traces', oneSpanBody()), traces);
        await hammer(
          perRound,
          (i) => post('/v1/feedback', feedbackBody(`bench-${i}`, i)),
          feedback,
          r * perRound,
        );
      }
      const drainStarted = performance.now();
      const where = "startsWith(id, 'bench-')";
      while ((await collector.count('feedback', where)) < count - feedback.failed) await sleep(20);
      const queryableSeconds = round((performance.now() - drainStarted) / 1000, 3);

      const rate = (t: Timing) => Math.round(t.requests / t.seconds);
      const p = (t: Timing, q: number) => round(quantile(t.latencies, q));
      printTable(
        `feedback: acknowledged once in the write-ahead log (${IN_FLIGHT} requests in flight)`,
        ['route', 'requests', 'req/s', '× baseline', 'ack p50 ms', 'ack p99 ms', 'failed'],
        [
          [
            '/v1/feedback',
            count,
            rate(feedback),
            round(rate(feedback) / rate(traces)),
            p(feedback, 0.5),
            p(feedback, 0.99),
            feedback.failed,
          ],
          [
            '/v1/traces, 1 span (baseline)',
            count,
            rate(traces),
            1,
            p(traces, 0.5),
            p(traces, 0.99),
            traces.failed,
          ],
        ],
      );
      note(`all ${count} feedback rows queryable ${queryableSeconds} s after the last acknowledgement`);
      printTable(
        'feedback: the log entry (v8 structured clone, zod-checked on decode)',
        ['entry', 'bytes', 'encode + decode µs'],
        [
          ['one thumbs-down with a comment', fbCodec.bytes, fbCodec.us],
          ['one small span (baseline)', spanCodec.bytes, spanCodec.us],
        ],
      );
      return {
        requests: count,
        feedback_req_per_s: rate(feedback),
        feedback_ack_p50_ms: p(feedback, 0.5),
        feedback_ack_p99_ms: p(feedback, 0.99),
        traces_one_span_req_per_s: rate(traces),
        traces_one_span_ack_p50_ms: p(traces, 0.5),
        traces_one_span_ack_p99_ms: p(traces, 0.99),
        feedback_vs_traces: round(rate(feedback) / rate(traces), 3),
        feedback_queryable_after_s: queryableSeconds,
        feedback_entry_bytes: fbCodec.bytes,
        feedback_entry_codec_us: fbCodec.us,
        span_entry_bytes: spanCodec.bytes,
        span_entry_codec_us: spanCodec.us,
        failed_requests: feedback.failed + traces.failed,
      };
    } finally {
      await collector.stop();
    }
  },
};
