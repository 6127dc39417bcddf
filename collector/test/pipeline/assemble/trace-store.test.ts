/**
 * The quality-columns UPDATE on both store backends: each column set from
 * the findings that have it, left as it was for spans whose findings lack
 * it, app_step and judged set for every span, nothing touched outside the
 * batch, and values exact (Float32 rounding, topic ids past 2^53).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpanFindings, updateQualityColumns } from '../../../src/pipeline/assemble/trace-store.ts';
import type { Row, Store } from '../../../src/store/store.ts';
import { storeBackends } from '../../helpers/store-backends.ts';

const OLD = {
  groundedness: 0.25,
  hallucinated: 1,
  answer_relevance: 0.5,
  context_relevance: 0.75,
  kb_gap: 1,
  kb_gap_score: 0.125,
  topic_id: '7',
  gap_signals: ['old'],
  app_step: 'old-step',
  judged: 0,
};

describe.each(storeBackends())('updateQualityColumns on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  }, 90_000);
  afterAll(() => backend.cleanup());

  const seed = (traceId: string, spanIds: string[]) =>
    store.insert(
      'llm_spans',
      spanIds.map((spanId, i) => ({
        project_id: 'p1',
        timestamp: `${1_700_000_000 + i}.000000000`,
        trace_id: traceId,
        span_id: spanId,
        operation: 'chat',
        ...OLD,
      })),
    );
  const columns = async (traceId: string) => {
    const rows = await store.query<Row>(
      // Float32 read as Float64: the exact stored value, however a backend prints a Float32.
      `SELECT span_id, toFloat64(groundedness) AS groundedness, hallucinated,
              toFloat64(answer_relevance) AS answer_relevance, toFloat64(context_relevance) AS context_relevance,
              kb_gap, toFloat64(kb_gap_score) AS kb_gap_score, toString(topic_id) AS topic_id, gap_signals,
              app_step, judged
         FROM llm_spans WHERE trace_id = {t:String} ORDER BY span_id`,
      { params: { t: traceId } },
    );
    return Object.fromEntries(rows.map(({ span_id, ...rest }) => [String(span_id), rest]));
  };

  it('sets each column from the findings that have it and keeps the others', async () => {
    const traceId = `t-${backend.name}-1`;
    await seed(traceId, ['a', 'b', 'c', 'd']);
    const findings: SpanFindings[] = [
      {
        spanId: 'a',
        appStep: '',
        found: {
          groundedness: 0.1,
          hallucinated: false,
          answerRelevance: 0.9,
          contextRelevance: 0.3,
          kbGap: false,
          kbGapScore: 0.6,
          topicId: 2n ** 63n + 5n,
          gapSignals: ['refusal', 'low_relevance'],
        },
      },
      { spanId: 'b', appStep: 'rewrite', found: { groundedness: 0.123456789 } },
      { spanId: 'c', appStep: '', found: {} },
      // A second finding for a span: each column's last value wins, the rest stay the first's.
      { spanId: 'a', appStep: 'title', found: { groundedness: 0.2, gapSignals: [] } },
    ];
    expect(await updateQualityColumns(store, 'p1', [traceId], findings)).toBe(4);
    const got = await columns(traceId);
    expect(got.a).toEqual({
      groundedness: Math.fround(0.2),
      hallucinated: 0,
      answer_relevance: Math.fround(0.9),
      context_relevance: Math.fround(0.3),
      kb_gap: 0,
      kb_gap_score: Math.fround(0.6),
      topic_id: (2n ** 63n + 5n).toString(),
      gap_signals: [],
      app_step: 'title',
      judged: 1,
    });
    expect(got.b).toEqual({ ...OLD, groundedness: Math.fround(0.123456789), app_step: 'rewrite', judged: 1 });
    expect(got.c).toEqual({ ...OLD, app_step: '', judged: 1 });
    expect(got.d).toEqual(OLD);
  }, 60_000);

  it('touches only the spans of the traces named', async () => {
    const mine = `t-${backend.name}-2`;
    const other = `t-${backend.name}-3`;
    await seed(mine, ['x']);
    await seed(other, ['x']);
    await updateQualityColumns(store, 'p1', [mine], [{ spanId: 'x', appStep: '', found: { kbGap: true } }]);
    expect((await columns(mine)).x).toEqual({ ...OLD, kb_gap: 1, app_step: '', judged: 1 });
    expect((await columns(other)).x).toEqual(OLD);
    expect(await updateQualityColumns(store, 'p1', [mine], [])).toBe(0);
  }, 60_000);
});
