/**
 * Migration 026 on a database that already holds generations: a collector
 * upgraded from 025 finds its rows with `judged = 0`. Recovery still tells a
 * generation the last version scored (its scores) or saw as a step of the
 * app's own (`app_step`) from one it never saw, reads back only what it
 * cannot tell (an answer with nothing to score, once), and marks what it
 * judges, old parts included, so the next start reads nothing back.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createGroundednessEnricher } from '../../src/enrich/groundedness.ts';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { createTraceStage } from '../../src/pipeline/assemble/trace-stage.ts';
import { unscoredTraces } from '../../src/pipeline/assemble/trace-store.ts';
import { LLM_SPANS } from '../../src/store/tables.ts';
import { openBefore, storeBackends } from '../helpers/store-backends.ts';
import { ragSpans, rowsOf } from '../helpers/trace-stage-harness.ts';
import { spanWith } from '../normalize/span-fixture.ts';

const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

/** A generation prompted by instructions alone: nothing to ground, no question to judge it by. */
function plainGeneration(): SpanRecord {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  return spanWith(
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.input.messages': JSON.stringify([
        { role: 'system', parts: [{ type: 'text', content: 'Write one sentence about the Millau bridge.' }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: 'The bridge was opened to traffic in 2004.' }],
        },
      ]),
    },
    { traceId: hexId(16), spanId: hexId(8), startTimeUnixNano: t0, endTimeUnixNano: t0 + 30_000_000n },
  );
}

// The embedded engine only, as gap-score-upgrade.test.ts: a partial apply cannot reach the
// server backend's migration client.
describe.each(storeBackends().filter((b) => b.name === 'embedded'))(
  'migration 026 over 025 data on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('reads back only what the last version left unseen, once', async () => {
      const { store, last } = await openBefore(backend, 26);
      expect(last).toBe(25);

      // Written by 025: a scored answer, an answer with nothing to score (seen, but nothing says
      // so), and a RAG trace the last process died with, never scored.
      const scored = ragSpans();
      const plain = plainGeneration();
      const lost = ragSpans();
      const stageOf = () =>
        createTraceStage({
          store,
          enrichers: [createGroundednessEnricher()],
          pollMs: 60_000,
          assembler: { graceMs: 0, idleMs: 0 },
          onError: () => {},
        });
      for (const [table, rows] of rowsOf([...scored.spans, plain, ...lost.spans]))
        await store.insert(table, rows);
      await store.command(
        `UPDATE ${LLM_SPANS} SET groundedness = 0.2, answer_relevance = 0.9 WHERE span_id = {s:String}`,
        { params: { s: scored.generationId } },
      );

      await store.migrate();
      const found = await unscoredTraces(store, 3_600_000, 20_000);
      expect(found.map((t) => t.traceId).sort()).toEqual([plain.traceId, lost.traceId].sort());
      const first = stageOf();
      expect(await first.recover()).toBe(2);
      await first.close(1_000);

      const judged = await store.query<{ span_id: string; judged: number }>(
        `SELECT span_id, judged FROM ${LLM_SPANS} WHERE span_id IN {s:Array(String)} ORDER BY span_id`,
        { params: { s: [plain.spanId, lost.generationId] } },
      );
      expect(judged.map((r) => r.judged)).toEqual([1, 1]);
      const next = stageOf();
      expect(await next.recover()).toBe(0);
      await next.close(1_000);
    }, 90_000);
  },
);
