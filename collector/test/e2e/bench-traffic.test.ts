/**
 * The bench's traffic, small, through a real collector with every scorer and
 * the trace stage on: chat spans whose texts come from the eval corpus (emoji,
 * attacks, many languages) and RAG traces made by the OpenTelemetry JS SDK.
 * Every acknowledged span must be stored, none dead-lettered, and every RAG
 * answer scored. Two regressions passed the unit tests and only the bench saw
 * them: a half emoji in a scorer's quote lost whole log entries, and the JS
 * SDK's millisecond start times left answers unpaired with their search.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGenAiSpans } from '../../../bench/genai-spans.ts';
import { createSender } from '../../../bench/otlp-sender.ts';
import { makeRagTraces } from '../../../bench/sections/trace-quality.ts';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';

const CHATS = 1024;
const RAG = 100;

let collector: Awaited<ReturnType<typeof startTestCollector>>;
beforeAll(async () => {
  collector = await startTestCollector({ evaluators: 'all' });
});
afterAll(async () => {
  await collector?.dispose();
});

const count = async (sql: string) => Number((await collector.store.query<{ n: number }>(sql))[0]?.n);

describe("the bench's traffic through a collector", () => {
  it('stores every acknowledged span and scores every RAG answer', { timeout: 120_000 }, async () => {
    const sender = createSender(collector.url, { authorization: `Bearer ${TEST_KEY}` });
    const spans = [...(await makeGenAiSpans(CHATS)), ...(await makeRagTraces(RAG))];
    for (let i = 0; i < spans.length; i += 512)
      expect((await sender.send(spans.slice(i, i + 512))).ok).toBe(true);
    await sender.shutdown();
    const total = CHATS + 3 * RAG;
    await waitFor(
      async () => (await count('SELECT count() AS n FROM otel_traces')) === total,
      60_000,
      'every span',
    );
    await waitFor(
      async () =>
        (await count(
          "SELECT count() AS n FROM llm_spans WHERE service_name = 'bench-rag-bot' AND operation = 'chat' AND groundedness IS NOT NULL",
        )) === RAG,
      60_000,
      'every RAG answer scored',
    );
    expect(await count('SELECT count() AS n FROM llm_spans')).toBe(CHATS + 2 * RAG);
    expect(await count("SELECT count() AS n FROM evaluations WHERE evaluator = 'prompt_injection'")).toBe(
      CHATS + RAG,
    );
    const files = readdirSync(collector.dir, { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('dead-letter.jsonl'))).toEqual([]);
  });
});
