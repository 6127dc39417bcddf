import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wilson } from '../../src/enrich/wilson.ts';
import { runEval } from '../../src/eval/commands.ts';
import { feedbackAgreement } from '../../src/eval/feedback-agreement.ts';
import { toEvaluationRow } from '../../src/pipeline/transform/record-rows.ts';
import type { Store } from '../../src/store/store.ts';
import { EVALUATIONS } from '../../src/store/tables.ts';
import { storeBackends } from '../helpers/store-backends.ts';
import { type Generation, seed, spanId, traceId, type Vote } from './seed.ts';

const A = 'project-a';
const gen = (n: number, hallucinated: number | null, extra: Partial<Generation> = {}): Generation => ({
  project: A,
  trace: traceId(n),
  span: spanId(n),
  question: `question ${n}`,
  answer: `answer ${n}`,
  at: 1_000n,
  hallucinated,
  ...extra,
});
const vote = (n: number, up: boolean, extra: Partial<Vote> = {}): Vote => ({
  project: A,
  id: `v-${n}-${up}-${extra.userId ?? ''}`,
  traceId: traceId(n),
  spanId: spanId(n),
  kind: 'thumbs',
  value: up ? 1 : 0,
  ...extra,
});
const refusal = (n: number, label: 'refusal' | 'answer') =>
  toEvaluationRow({
    projectId: A,
    timestamp: 1_800_000_000_000,
    traceId: traceId(n),
    spanId: spanId(n),
    evaluator: 'refusal',
    target: 'output',
    score: label === 'refusal' ? 0.9 : 0.1,
    label,
    source: 'collector',
  });

const generations: Generation[] = [
  gen(1, 1), // flagged, thumbed down: agree
  gen(2, 1), // flagged, thumbed up: disagree
  gen(3, 0), // passed, thumbed down: disagree
  gen(4, 0), // passed, thumbed up: agree
  gen(5, 0), // passed, thumbed up: agree
  gen(6, null), // not scored for groundedness: not counted
  gen(7, 1, { model: 'claude-sonnet-4-5', topic: 5 }), // other model and topic, flagged, down
  { ...gen(8, 1), project: 'project-b' }, // other project
  gen(9, 1), // tied votes: no verdict
  // Feedback without a span id rates the last generation of its trace (the final, not the draft).
  gen(10, 1, { span: spanId(110), at: 0n }),
  gen(10, 0),
  // ...and the last answer to the user, not the title the app wrote after it.
  gen(11, null, { at: 0n }),
  gen(11, null, { span: spanId(111), at: 2_000n, appStep: 'quotes' }),
];
const votes: Vote[] = [
  vote(1, false),
  vote(2, true),
  vote(3, false),
  vote(4, true),
  vote(5, true, { userId: 'u1', at: 1_000 }),
  vote(5, false, { userId: 'u1', at: 0 }), // changed their mind: the newest vote counts
  vote(6, false),
  vote(7, false),
  { ...vote(8, true), project: 'project-b' },
  vote(9, true, { userId: 'u1' }),
  vote(9, false, { userId: 'u2' }),
  { ...vote(10, true), spanId: undefined },
  { ...vote(11, false), spanId: undefined },
];

describe.each(storeBackends())('feedback agreement on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
    await seed(store, generations, votes);
    await store.insert(EVALUATIONS, [refusal(1, 'refusal'), refusal(3, 'answer'), refusal(4, 'answer')]);
  }, 60_000);
  afterAll(async () => {
    await backend.cleanup();
  });

  it('counts agreement per scorer with a Wilson interval and kappa', async () => {
    const rows = await feedbackAgreement(store, { project: A });
    expect(rows.map((r) => r.scorer)).toEqual(['groundedness', 'refusal']);
    const [grounded, refused] = rows;
    expect(grounded).toMatchObject({
      project_id: A,
      rated: 7,
      flagged: 3,
      thumbs_down: 3,
      flagged_down: 2,
      passed_up: 3,
    });
    expect(grounded?.agreement).toBeCloseTo(5 / 7, 10);
    expect(grounded?.low).toBeCloseTo(0.358929, 5);
    expect(grounded?.high).toBeCloseTo(0.917783, 5);
    expect(grounded?.precision).toBeCloseTo(2 / 3, 10);
    expect(grounded?.recall).toBeCloseTo(2 / 3, 10);
    expect(grounded?.kappa).toBeCloseTo(10 / 24, 10);
    expect(refused).toMatchObject({ rated: 3, flagged: 1, thumbs_down: 2, flagged_down: 1, passed_up: 1 });
    expect(refused?.precision).toBe(1);
    expect(refused?.recall).toBe(0.5);
  });

  it('splits by model and topic, and the view agrees with the re-aggregation', async () => {
    const rows = await feedbackAgreement(store, { project: A, by: ['model', 'topic'] });
    const grounded = rows.filter((r) => r.scorer === 'groundedness');
    expect(grounded.map((r) => [r.model, r.topic_id, r.rated, r.flagged_down, r.passed_up])).toEqual([
      ['claude-sonnet-4-5', '5', 1, 1, 0],
      ['gpt-4o', '0', 6, 1, 3],
    ]);
    const view = await store.query<{ agreement: number; agreement_low: number; kappa: number }>(
      `SELECT agreement, agreement_low, kappa FROM feedback_agreement
       WHERE project_id = {p:String} AND scorer = 'groundedness' AND model = 'gpt-4o'`,
      { params: { p: A } },
    );
    expect(view).toHaveLength(1);
    const gpt = grounded[1];
    expect(view[0]?.agreement).toBeCloseTo(gpt?.agreement as number, 6);
    expect(view[0]?.agreement_low).toBeCloseTo(gpt?.low as number, 6);
    expect(view[0]?.kappa).toBeCloseTo(gpt?.kappa as number, 6);
  });

  it('reads its votes from answer_votes: one row per voter, the newest thumb, span-less thumbs on the last answer', async () => {
    const rows = await store.query<{ trace_id: string; span_id: string; voter: string; value: number }>(
      `SELECT trace_id, span_id, voter, value FROM answer_votes
       WHERE project_id = {p:String} ORDER BY trace_id, voter`,
      { params: { p: A } },
    );
    // Eleven thumbs in project A from ten traces: u1's two on trace 5 are one row.
    expect(rows).toHaveLength(11);
    const of = (n: number) => rows.filter((r) => r.trace_id === traceId(n));
    expect(of(5)).toEqual([{ trace_id: traceId(5), span_id: spanId(5), voter: 'u1', value: 1 }]);
    expect(of(9).map((r) => [r.voter, r.value])).toEqual([
      ['u1', 1],
      ['u2', 0],
    ]);
    // No user id: the feedback id is the voter. No span id: the trace's last generation, not its draft.
    expect(of(10)).toEqual([{ trace_id: traceId(10), span_id: spanId(10), voter: 'v-10-true-', value: 1 }]);
    // The app's own step after the answer (a title: app_step 'quotes') is not what the user rated.
    expect(of(11)).toEqual([{ trace_id: traceId(11), span_id: spanId(11), voter: 'v-11-false-', value: 0 }]);
  });
  it('keeps projects apart', async () => {
    const rows = await feedbackAgreement(store, { project: 'project-b' });
    expect(rows).toEqual([
      expect.objectContaining({ scorer: 'groundedness', rated: 1, flagged: 1, passed_up: 0 }),
    ]);
  });

  it('oversight eval --task feedback-agreement prints a table or JSON', async () => {
    const printed: string[] = [];
    const keepOpen = { ...store, close: async () => {} } as Store;
    await runEval(
      { task: 'feedback-agreement', project: A, json: true },
      (s) => printed.push(s),
      async () => keepOpen,
    );
    const json = JSON.parse(printed[0] as string);
    expect(json.task).toBe('feedback-agreement');
    expect(json.rows.map((r: { scorer: string; rated: number }) => [r.scorer, r.rated])).toEqual([
      ['groundedness', 7],
      ['refusal', 3],
    ]);
    await runEval(
      { task: 'feedback-agreement', project: A, by: 'model' },
      (s) => printed.push(s),
      async () => keepOpen,
    );
    expect(printed[1]).toMatch(/groundedness\s+gpt-4o\s+\*\s+6\s+2\s+2\s+66\.7 % \(30\.0 %–90\.3 %\)/);
    await expect(
      runEval(
        { task: 'feedback-agreement', by: 'day' },
        () => {},
        async () => keepOpen,
      ),
    ).rejects.toThrow(/--by takes model, topic/);
  });
});

describe('wilson', () => {
  it('matches the textbook interval and stays inside [0, 1]', () => {
    expect(wilson(2, 3).low).toBeCloseTo(0.207655, 5);
    expect(wilson(2, 3).high).toBeCloseTo(0.93851, 5);
    expect(wilson(0, 10)).toEqual({ low: 0, high: expect.closeTo(0.27754, 5) });
    expect(wilson(10, 10).high).toBe(1);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
  });
});
