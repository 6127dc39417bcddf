/**
 * `--topics-embedder use` through a running collector: RAG traces sent as
 * OTLP/JSON get their topic from the hashed + USE-lite embedder (the encoder
 * on its worker thread), stored in llm_spans and the topics table; close()
 * ends the worker with the collector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../../helpers/collector.ts';
import { post, ragTrace } from '../rag-traces.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;

beforeAll(async () => {
  collector = await startTestCollector({
    evaluators: 'none',
    traceGraceMs: 300,
    traceIdleMs: 1_500,
    topicsEmbedder: 'use',
  });
});
afterAll(async () => {
  await collector?.dispose();
});

describe('a collector started with --topics-embedder use', () => {
  it('gives each generation a topic in the use embedder’s space', async () => {
    const traces = [ragTrace('otel-genai'), ragTrace('otel-genai'), ragTrace('openllmetry')];
    for (const t of traces) {
      await post(collector.url, TEST_KEY, t.retrieval);
      await post(collector.url, TEST_KEY, t.generation);
      await post(collector.url, TEST_KEY, t.root);
    }
    const ids = traces.map((t) => t.generationId);
    const rows = await waitFor(
      async () => {
        const got = await collector.store.query<{ span_id: string; topic_id: string }>(
          `SELECT span_id, toString(l.topic_id) AS topic_id FROM llm_spans AS l
            WHERE l.span_id IN {ids:Array(String)} AND l.topic_id != 0`,
          { params: { ids } },
        );
        return got.length === ids.length ? got : null;
      },
      30_000,
      'a topic on every generation',
    );
    // The same question three times (two conventions): one topic.
    expect(new Set(rows.map((r) => r.topic_id)).size).toBe(1);
    const topics = await collector.store.query<{ embedder: string; size: number; width: number }>(
      `SELECT embedder, toUInt32(size) AS size, length(centroid) AS width FROM topics FINAL
        WHERE project_id = 'project-a' AND topic_id = {id:UInt64}`,
      { params: { id: rows[0]?.topic_id as string } },
    );
    expect(topics.map((t) => [t.embedder, Number(t.size), Number(t.width)])).toEqual([
      ['builtin:hashed-use-v1:1024+512:0.5', 3, 1536],
    ]);
  }, 60_000);
});
