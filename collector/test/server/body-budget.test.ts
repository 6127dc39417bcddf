/**
 * The in-flight budget shared by every key (`--max-in-flight-bytes`): while
 * one large body is being read, another that would overdraw the budget is
 * refused with 503 and Retry-After, a small one still passes, and both large
 * ones are stored once the first is done and the second is sent again. A
 * batch larger than the whole log is refused with 413, which is not retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER_KEY, startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { str } from '../otlp/requests.ts';
import { body, freshSpan, metricValue, postTraces, waitForTrace } from './http.ts';

const MiB = 1024 * 1024;
const MAX_DECOMPRESSED = 4 * MiB;
const BUDGET = 6 * MiB;

const inFlight = async (url: string) =>
  metricValue(await (await fetch(`${url}/metrics`)).text(), 'oversight_in_flight_body_bytes');

/** A valid protobuf request of about `bytes`, in spans of one 512 KiB attribute each. */
function largeRequest(bytes: number) {
  const traceId = freshSpan().traceId;
  const spans = Array.from({ length: Math.round(bytes / (512 * 1024)) }, () =>
    freshSpan({ traceId, attributes: [str('payload', 'x'.repeat(512 * 1024 - 200))] }),
  );
  return { traceId, spans: spans.length, bytes: body('protobuf', spans) };
}

describe('in-flight body budget', () => {
  type Collector = Awaited<ReturnType<typeof startTestCollector>>;
  let collector: Collector;
  let url: string;

  beforeAll(async () => {
    collector = await startTestCollector({
      maxBodyBytes: MAX_DECOMPRESSED,
      maxDecompressedBytes: MAX_DECOMPRESSED,
      maxInFlightBytes: BUDGET,
      evaluators: 'none',
      traceQuality: false,
      topicsEmbedder: 'none',
    });
    url = collector.url;
  });
  afterAll(async () => {
    await collector?.dispose();
  });

  it('refuses a body that would overdraw it with 503 and Retry-After, and takes it once the budget is back', async () => {
    const held = largeRequest(3.5 * MiB);
    const other = largeRequest(3 * MiB);
    expect(held.bytes.length + other.bytes.length).toBeGreaterThan(BUDGET);

    // The first body arrives all but its last 64 KiB, then waits for the test.
    let finish: () => void = () => {};
    const rest = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const cut = held.bytes.length - 64 * 1024;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(held.bytes.subarray(0, cut));
      },
      async pull(controller) {
        await rest;
        controller.enqueue(held.bytes.subarray(cut));
        controller.close();
      },
    });
    const first = postTraces(url, stream, 'protobuf', { key: TEST_KEY });
    await waitFor(async () => (await inFlight(url)) >= 3 * MiB, 10_000, 'the first body to be held');

    // Another key's, within its own share: the budget over every key is what it would overdraw.
    const refused = await postTraces(url, other.bytes, 'protobuf', { key: OTHER_KEY });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toEqual({
      code: 14,
      message: `collector is busy: request bodies being read at once would exceed ${BUDGET} bytes; retry later`,
    });

    // The held key's share is 4 MiB (the largest body allowed; half the budget is less):
    // another MiB from it waits, while another key's 2 MiB fits beside.
    const more = largeRequest(1 * MiB);
    const keyRefused = await postTraces(url, more.bytes, 'protobuf', { key: TEST_KEY });
    expect(keyRefused.status).toBe(503);
    expect(keyRefused.body.message).toBe(
      `collector is busy: this API key's request bodies being read at once would exceed its ${MAX_DECOMPRESSED} bytes; retry later`,
    );
    // Feedback bodies draw on the same budget: a large one from the held key waits too.
    const feedback = await fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY },
      // 100,000 control characters, each escaped to six bytes: 600 KB, within the schema and the route's limit.
      body: JSON.stringify({
        traceId: freshSpan().traceId,
        kind: 'edit',
        correction: '\u0007'.repeat(100_000),
      }),
    });
    expect(feedback.status).toBe(503);
    expect(feedback.headers.get('retry-after')).toBe('1');
    expect(await feedback.json()).toEqual({
      error: `collector is busy: this API key's request bodies being read at once would exceed its ${MAX_DECOMPRESSED} bytes; retry later`,
    });

    const otherKey = largeRequest(2 * MiB);
    expect((await postTraces(url, otherKey.bytes, 'protobuf', { key: OTHER_KEY })).status).toBe(200);
    expect(await waitForTrace(collector.store, otherKey.traceId, otherKey.spans)).toHaveLength(
      otherKey.spans,
    );

    // A small batch fits beside the held one.
    const small = freshSpan();
    expect((await postTraces(url, body('json', [small]), 'json', { key: TEST_KEY })).status).toBe(200);
    expect(await waitForTrace(collector.store, small.traceId, 1)).toHaveLength(1);

    finish();
    expect((await first).status).toBe(200);
    expect(await waitFor(async () => (await inFlight(url)) === 0, 10_000, 'the budget to be returned')).toBe(
      true,
    );

    // Sent again as an exporter would after Retry-After: now it fits.
    expect((await postTraces(url, other.bytes, 'protobuf', { key: OTHER_KEY })).status).toBe(200);
    for (const r of [held, other]) {
      expect(await waitForTrace(collector.store, r.traceId, r.spans)).toHaveLength(r.spans);
    }
  }, 60_000);
});

describe('a batch larger than the whole log', () => {
  it('gets 413, which an exporter does not retry, and leaves the collector ready', async () => {
    const small = await startTestCollector({
      walMaxBytes: 2 * MiB,
      evaluators: 'none',
      traceQuality: false,
      topicsEmbedder: 'none',
    });
    try {
      const big = largeRequest(3 * MiB);
      const answer = await postTraces(small.url, big.bytes, 'protobuf', { key: TEST_KEY });
      expect(answer.status).toBe(413);
      expect(answer.body.message).toMatch(
        new RegExp(
          `^batch of ${big.spans} spans is \\d+ bytes once decoded, over the log's ${2 * MiB}; send smaller batches$`,
        ),
      );
      expect((await fetch(`${small.url}/readyz`)).status).toBe(200);
    } finally {
      await small.dispose();
    }
  }, 60_000);
});

describe('a body that stalls', () => {
  it('gets 408 once the request timeout passes, and gives its budget back', async () => {
    const slow = await startTestCollector({
      requestTimeoutMs: 1_000,
      evaluators: 'none',
      traceQuality: false,
      topicsEmbedder: 'none',
    });
    try {
      const held = largeRequest(1 * MiB);
      // Half the body, then nothing more: a client trickling, or gone without closing.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(held.bytes.subarray(0, held.bytes.length >> 1));
        },
      });
      const answer = fetch(`${slow.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TEST_KEY}` },
        body: stream,
        duplex: 'half',
      } as RequestInit).then(
        (r) => r.status,
        () => 'closed',
      );
      await waitFor(async () => (await inFlight(slow.url)) > 0, 10_000, 'the half body to be held');
      // Node answers 408 and closes the connection; either way the client learns it is over.
      expect([408, 'closed']).toContain(await answer);
      expect(await waitFor(async () => (await inFlight(slow.url)) === 0, 10_000, 'the budget back')).toBe(
        true,
      );
    } finally {
      await slow.dispose();
    }
  }, 60_000);
});
