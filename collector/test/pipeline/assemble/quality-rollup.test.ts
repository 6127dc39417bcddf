/**
 * The quality roll-up (llm_quality_hourly, migration 011) fed by the real
 * trace stage on both store backends: the stage sets llm_spans' quality
 * columns with an UPDATE no materialized view sees, so the roll-up reads its
 * ledger, quality_events. Scores, re-scores, a topic change and a crash
 * between the ledger insert and the UPDATE must all leave it exact.
 */
import { groundedness } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import { createGroundednessEnricher } from '../../../src/enrich/groundedness.ts';
import type { TraceEnricher } from '../../../src/enrich/trace-enricher.ts';
import type { SpanRecord } from '../../../src/otlp/span-record.ts';
import { storeBackends } from '../../helpers/store-backends.ts';
import {
  DOCS,
  failingCommands,
  firstOnly,
  isColumnsUpdate,
  QUESTION,
  RIGHT,
  ragSpans,
  rowsOf as rowsIn,
  useTraceStageHarness,
  WRONG,
} from '../../helpers/trace-stage-harness.ts';

const rowsOf = (projectId: string, spans: SpanRecord[]) => rowsIn(spans, projectId);

interface Rollup {
  scored: number;
  hallucinated: number;
  grounded_scored: number;
  groundedness_sum: number;
  deciles: number[];
  gap_checked: number;
  gaps: number;
  gap_scored: number;
  gap_score_sum: number;
}

describe.each(storeBackends())('quality roll-up through the trace stage on $name', (backend) => {
  const h = useTraceStageHarness(backend);
  const { stage, score } = h;

  const rollup = async (project: string, topic?: number): Promise<Rollup> => {
    const [row] = await h.store.query<Rollup>(
      `SELECT toInt32(sum(scored)) AS scored, toInt32(sum(hallucinated)) AS hallucinated,
              toInt32(sum(grounded_scored)) AS grounded_scored, sum(groundedness_sum) AS groundedness_sum,
              arrayMap(x -> toInt32(x), sumForEachMerge(groundedness_deciles)) AS deciles,
              toInt32(sum(gap_checked)) AS gap_checked, toInt32(sum(gaps)) AS gaps,
              toInt32(sum(gap_scored)) AS gap_scored, sum(gap_score_sum) AS gap_score_sum
         FROM llm_quality_hourly
        WHERE project_id = {p:String} AND ({topic:Int64} < 0 OR topic_id = {topic:Int64})`,
      { params: { p: project, topic: topic ?? -1 } },
    );
    return row as Rollup;
  };
  const ledgerRows = async (project: string) =>
    Number(
      (
        await h.store.query<{ n: string }>(
          'SELECT toString(count()) AS n FROM quality_events WHERE project_id = {p:String}',
          { params: { p: project } },
        )
      )[0]?.n,
    );
  const decile = (score: number) => Math.min(Math.floor(score * 10), 9);

  it('reads the hallucination rate of scored traces back from llm_quality_hourly', async () => {
    const s = stage([createGroundednessEnricher()]);
    const tables = [ragSpans(WRONG), ragSpans(RIGHT), ragSpans(RIGHT), ragSpans(RIGHT)].map((t) =>
      rowsOf('rollup-rate', t.spans),
    );
    for (const t of tables) {
      await h.storeRows(t);
      s.add(t);
    }
    h.advance(1_500);
    await s.flush();
    const wrong = groundedness(WRONG, DOCS, { question: QUESTION }).score;
    const right = groundedness(RIGHT, DOCS, { question: QUESTION }).score;
    const r = await rollup('rollup-rate');
    expect(r.scored).toBe(4);
    expect(r.hallucinated / r.scored).toBe(0.25);
    expect(r.grounded_scored).toBe(4);
    expect(r.groundedness_sum).toBeCloseTo(wrong + 3 * right, 5);
    const deciles = Array<number>(10).fill(0);
    deciles[decile(wrong)] = (deciles[decile(wrong)] ?? 0) + 1;
    deciles[decile(right)] = (deciles[decile(right)] ?? 0) + 3;
    expect(r.deciles).toEqual(deciles);
    // The dimensions the dashboards group by come from the span.
    const cells = await h.store.query<{ service_name: string; model: string }>(
      `SELECT DISTINCT service_name, model FROM llm_quality_hourly WHERE project_id = 'rollup-rate'`,
    );
    expect(cells).toEqual([{ service_name: expect.any(String), model: 'gpt-4o-mini' }]);
    expect(cells[0]?.service_name).not.toBe('');
  });

  it('a re-score replaces the counted score: verdict and topic change, totals stay exact', async () => {
    let verdict = true;
    let topic = 7n;
    const judge: TraceEnricher = {
      name: 'judge',
      async enrich(generations) {
        for (const g of generations) {
          g.found.hallucinated = verdict;
          g.found.kbGap = verdict;
          g.found.kbGapScore = verdict ? 0.75 : 0.25;
          g.found.topicId = topic;
        }
        return { rows: {} };
      },
    };
    const s = stage([createGroundednessEnricher(), judge]);
    const tables = rowsOf('rollup-rescore', ragSpans(WRONG).spans);
    await score(s, tables);
    expect(await rollup('rollup-rescore')).toMatchObject({
      scored: 1,
      hallucinated: 1,
      gap_checked: 1,
      gaps: 1,
      gap_scored: 1,
      gap_score_sum: 0.75,
    });

    // A replay of the same spans: the trace carries scores, so it is re-scored; nothing changed, no ledger rows.
    const before = await ledgerRows('rollup-rescore');
    s.add(tables);
    h.advance(1_500);
    await s.flush();
    expect(s.metrics().tracesRescored).toBe(1);
    expect(await ledgerRows('rollup-rescore')).toBe(before);

    // Re-scored with another verdict and topic: the old row is taken back from topic 7, the new one counts in 8.
    verdict = false;
    topic = 8n;
    s.add(tables);
    h.advance(1_500);
    await s.flush();
    expect(s.metrics().tracesRescored).toBe(2);
    const all = await rollup('rollup-rescore');
    expect(all).toMatchObject({ scored: 1, hallucinated: 0, grounded_scored: 1, gap_checked: 1, gaps: 0 });
    // The graded gap score moved with it: the mean a topic ranks by counts the new score once.
    expect(all).toMatchObject({ gap_scored: 1, gap_score_sum: 0.25 });
    expect(all.groundedness_sum).toBeCloseTo(groundedness(WRONG, DOCS, { question: QUESTION }).score, 5);
    expect(all.deciles.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await rollup('rollup-rescore', 7)).toMatchObject({
      scored: 0,
      hallucinated: 0,
      gaps: 0,
      gap_scored: 0,
    });
    expect(await rollup('rollup-rescore', 8)).toMatchObject({
      scored: 1,
      hallucinated: 0,
      gaps: 0,
      gap_scored: 1,
    });
    const [span] = await h.store.query<{ hallucinated: number; topic_id: string }>(
      `SELECT hallucinated, toString(topic_id) AS topic_id FROM llm_spans
        WHERE project_id = 'rollup-rescore' AND operation = 'chat'`,
    );
    expect(span).toEqual({ hallucinated: 0, topic_id: '8' });
  });

  it('a crash between the ledger insert and the UPDATE does not double count, and ends with the columns set', async () => {
    const columns = (traceId: string) =>
      h.store.query<{ groundedness: number | null; hallucinated: number | null }>(
        `SELECT groundedness, hallucinated FROM llm_spans
          WHERE project_id = 'rollup-crash' AND trace_id = {t:String} AND operation = 'chat'`,
        { params: { t: traceId } },
      );
    const flaky = failingCommands(h.store, firstOnly(isColumnsUpdate), 'connection reset');
    const s = stage([createGroundednessEnricher()], flaky);
    const wrong = ragSpans(WRONG);
    await score(s, rowsOf('rollup-crash', wrong.spans));
    expect(s.metrics().failedBatches).toBe(1);
    expect(await columns(wrong.traceId)).toEqual([{ groundedness: null, hallucinated: null }]);
    // The ledger was written before the failed UPDATE: the roll-up already counts the answer once.
    expect(await rollup('rollup-crash')).toMatchObject({ scored: 1, hallucinated: 1 });
    await s.flush();
    expect(s.metrics()).toMatchObject({ pendingTraces: 0, tracesRescored: 1 });
    expect(await rollup('rollup-crash')).toMatchObject({ scored: 1, hallucinated: 1, grounded_scored: 1 });
    const wrongScore = groundedness(WRONG, DOCS, { question: QUESTION }).score;
    const [afterRetry] = await columns(wrong.traceId);
    expect(afterRetry?.hallucinated).toBe(1);
    expect(afterRetry?.groundedness).toBeCloseTo(wrongScore, 5);

    // A process that dies after the ledger insert; the next one recovers the unscored span from llm_spans.
    const dying = failingCommands(h.store, isColumnsUpdate, 'killed');
    const d = stage([createGroundednessEnricher()], dying);
    const right = ragSpans(RIGHT);
    await score(d, rowsOf('rollup-crash', right.spans));
    await d.close(0);
    expect(await rollup('rollup-crash')).toMatchObject({ scored: 2, hallucinated: 1 });
    expect(await columns(right.traceId)).toEqual([{ groundedness: null, hallucinated: null }]);
    expect(await stage([createGroundednessEnricher()]).recover()).toBeGreaterThanOrEqual(1);
    expect(await rollup('rollup-crash')).toMatchObject({ scored: 2, hallucinated: 1, grounded_scored: 2 });
    const [recovered] = await columns(right.traceId);
    expect(recovered?.hallucinated).toBe(0);
    expect(recovered?.groundedness).toBeCloseTo(groundedness(RIGHT, DOCS, { question: QUESTION }).score, 5);
    // Two stages, a recovery over the shared store and the HTTP backend: slow on a loaded machine.
  }, 90_000);
});
