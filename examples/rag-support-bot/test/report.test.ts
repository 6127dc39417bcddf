import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector } from '../../../collector/test/helpers/collector.ts';
import { type DemoReport, formatReport, type Query, readReport } from '../../../scripts/demo-report.ts';

/**
 * The report's queries against real ClickHouse, on rows shaped like the
 * collector writes them once groundedness and topics are scored: every figure
 * is checked against what was inserted, including rows from before the run,
 * which must not count.
 */
let collector: Awaited<ReturnType<typeof startTestCollector>>;
let report: DemoReport;
let text: string;

const runStart = Date.now() - 60_000;
const at = (msAfterStart: number) =>
  new Date(runStart + msAfterStart).toISOString().replace('T', ' ').replace('Z', '');
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

beforeAll(async () => {
  collector = await startTestCollector();
  const store = collector.store;
  const span = (trace: number, span: number, fields: Record<string, unknown>) => ({
    project_id: 'project-a',
    trace_id: hex(trace, 32),
    span_id: hex(span, 16),
    service_name: 'report-test',
    ...fields,
  });
  await store.insert('llm_spans', [
    // Before the run: ignored by every figure.
    span(99, 990, {
      timestamp: at(-3_600_000),
      operation: 'chat',
      duration_ns: 9e9,
      hallucinated: 1,
      groundedness: 0,
    }),
    // Trace 1: grounded answer, 100 ms chat inside a 200 ms workflow.
    span(1, 10, { timestamp: at(0), operation: 'invoke_workflow', duration_ns: 200e6 }),
    span(1, 11, {
      timestamp: at(50),
      operation: 'chat',
      duration_ns: 100e6,
      input_tokens: 100,
      output_tokens: 20,
      cost_usd: 0.001,
      prompt_text: 'How long is the password reset link valid?',
      completion_text: 'The link is valid for 30 minutes.',
      groundedness: 1,
      hallucinated: 0,
      topic_id: 7,
      kb_gap: 0,
    }),
    // Trace 2: the wrong number.
    span(2, 20, { timestamp: at(1000), operation: 'invoke_workflow', duration_ns: 400e6 }),
    span(2, 21, {
      timestamp: at(1100),
      operation: 'chat',
      duration_ns: 300e6,
      input_tokens: 120,
      output_tokens: 30,
      cost_usd: 0.002,
      prompt_text: 'How many months does annual billing save?',
      completion_text: 'Annual billing saves three months.',
      groundedness: 0.2,
      hallucinated: 1,
      topic_id: 7,
      kb_gap: 0,
    }),
    // Traces 3 and 4: questions the knowledge base cannot answer, one topic.
    span(3, 30, { timestamp: at(2000), operation: 'invoke_workflow', duration_ns: 300e6 }),
    span(3, 31, {
      timestamp: at(2100),
      operation: 'chat',
      duration_ns: 200e6,
      input_tokens: 80,
      output_tokens: 10,
      cost_usd: 0.0005,
      prompt_text: 'Can I pay with Bitcoin?',
      completion_text: "I don't know.",
      topic_id: 9,
      kb_gap: 1,
      gap_signals: ['low_retrieval_score', 'refusal'],
    }),
    span(4, 40, { timestamp: at(3000), operation: 'invoke_workflow', duration_ns: 250e6 }),
    span(4, 41, {
      timestamp: at(3050),
      operation: 'chat',
      duration_ns: 150e6,
      input_tokens: 90,
      output_tokens: 10,
      cost_usd: 0.0005,
      prompt_text: 'Can I pay with PayPal?',
      completion_text: "I don't know.",
      topic_id: 9,
      kb_gap: 1,
      gap_signals: ['refusal'],
    }),
  ]);
  const evaluation = (trace: number, spanId: number, fields: Record<string, unknown>) => ({
    project_id: 'project-a',
    timestamp: at(5000),
    trace_id: hex(trace, 32),
    span_id: hex(spanId, 16),
    target: 'output',
    evaluator_version: '1',
    source: 'collector',
    explanation: '',
    ...fields,
  });
  await store.insert('evaluations', [
    evaluation(1, 11, { evaluator: 'groundedness', score: 1, label: 'grounded' }),
    evaluation(2, 21, {
      evaluator: 'groundedness',
      score: 0.2,
      label: 'hallucinated',
      explanation: 'Annual billing saves three months.',
    }),
    evaluation(1, 11, { evaluator: 'pii', score: 0.9, label: 'pii', target: 'input' }),
    evaluation(2, 21, { evaluator: 'pii', score: 0.1, label: 'no_pii', target: 'input' }),
    evaluation(1, 10, { evaluator: 'pii', score: 0.9, label: 'redacted', target: 'input', source: 'sdk' }),
    evaluation(3, 30, {
      evaluator: 'prompt_injection',
      score: 0.95,
      label: 'blocked',
      target: 'input',
      source: 'sdk',
    }),
    evaluation(4, 40, {
      evaluator: 'prompt_injection',
      score: 0.97,
      label: 'blocked',
      target: 'input',
      source: 'sdk',
    }),
  ]);
  await store.insert('topics', [
    {
      project_id: 'project-a',
      topic_id: 7,
      label: 'billing and account',
      size: 2,
      first_seen: at(0),
      last_seen: at(1100),
    },
    {
      project_id: 'project-a',
      topic_id: 9,
      label: 'payment methods',
      size: 2,
      first_seen: at(2000),
      last_seen: at(3050),
    },
  ]);
  const thumbs = (id: string, trace: number, kind: string, value: number, correction = '') => ({
    id,
    project_id: 'project-a',
    timestamp: at(6000),
    trace_id: hex(trace, 32),
    span_id: '',
    user_id: 'u',
    kind,
    value,
    comment: '',
    correction,
  });
  await store.insert('feedback', [
    thumbs('f1', 1, 'thumbs', 1),
    thumbs('f2', 2, 'thumbs', 0),
    thumbs('f3', 3, 'thumbs', 1),
    thumbs('f4', 2, 'edit', 0, 'Annual billing saves two months.'),
  ]);
  const query: Query = async (sql) =>
    (await store.queryText(sql, 'JSONEachRow', { readonly: true }))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  report = await readReport(query, runStart);
  text = formatReport(report, { dataDirFlag: ' --data-dir /tmp/x' });
});
afterAll(async () => {
  await collector?.dispose();
});

describe('the demo report', () => {
  it('counts this run’s traces, latency, tokens and cost', () => {
    expect(report.overview).toMatchObject({
      traces: 4,
      llm_calls: 4,
      input_tokens: 390,
      output_tokens: 70,
    });
    expect(report.overview.cost_usd).toBeCloseTo(0.004, 9);
    // Trace durations 200, 400, 300, 250 ms.
    expect(report.overview.p50_ms).toBeCloseTo(300, 0); // quantileExact: the upper middle of an even count
    expect(report.overview.p95_ms).toBeCloseTo(400, 0);
    expect(text).toContain('390 in, 70 out, $0.004000');
  });

  it('gives the hallucination rate over scored answers and the worst one with its unsupported sentence', () => {
    expect(report.quality).toEqual({ scored_answers: 2, unsupported_answers: 1 });
    expect(report.worst).toMatchObject({
      score: expect.closeTo(0.2, 5),
      question: 'How many months does annual billing save?',
      answer: 'Annual billing saves three months.',
      explanation: 'Annual billing saves three months.',
    });
    expect(text).toMatch(/hallucination\s+50\.0 % \(1 of 2 answers/);
    expect(text).toMatch(/unsupported\s+Annual billing saves three months\./);
  });

  it('splits safety flags into scorer labels and guard decisions', () => {
    const pii = report.safety.find((s) => s.evaluator === 'pii');
    expect(pii).toEqual({ evaluator: 'pii', title: 'PII', scored: 1, decisions: { redacted: 1 } });
    const injection = report.safety.find((s) => s.evaluator === 'prompt_injection');
    expect(injection).toMatchObject({ scored: 0, decisions: { blocked: 2 } });
    expect(text).toMatch(/prompt injection\s+0\s+2 blocked/);
  });

  it('ranks the gap topic with its sample questions', () => {
    // Payment methods first (both questions unanswerable); billing follows because its wrong answer
    // was thumbed down, which kb_gaps counts as a gap.
    expect(report.gaps.map((g) => [g.topic_id, g.questions, g.gaps])).toEqual([
      ['9', 2, 2],
      ['7', 2, 1],
    ]);
    expect(report.gaps[0]).toMatchObject({ topic_id: '9', label: 'payment methods', questions: 2, gaps: 2 });
    expect([...(report.gaps[0]?.samples ?? [])].sort()).toEqual([
      'Can I pay with Bitcoin?',
      'Can I pay with PayPal?',
    ]);
    // Why: both refused, one of them after weak retrieval; billing's gap is the thumb-down alone.
    expect(report.gaps.map((g) => g.reasons)).toEqual([
      [
        ['low_retrieval_score', 1],
        ['refusal', 2],
      ],
      [['negative_feedback', 1]],
    ]);
    expect(text).toContain('payment methods: 2 of 2 questions flagged (weak retrieval 1, "I don\'t know" 2)');
    expect(text).toContain('billing and account: 1 of 2 questions flagged (thumbs down 1)');
    expect(text).toContain('"Can I pay with Bitcoin?"');
  });

  it('gives the thumbs-up rate and the corrections', () => {
    expect(report.feedback).toEqual({ thumbs: 3, up: 2, edits: 1 });
    expect(text).toContain('thumbs up 66.7 % (2 of 3); 1 answer corrected by users');
    expect(text).toContain('npx oversight sql --data-dir /tmp/x');
  });
});
