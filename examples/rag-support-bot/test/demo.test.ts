import { getOversight } from '@oversight/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../../../collector/test/helpers/collector.ts';
import { BLOCKED_ANSWER, type DemoRun, DOCUMENTS, QUESTIONS, runDemo, type TurnLine } from '../src/index.ts';

/**
 * The demo, run for a handful of conversations against a real collector with
 * embedded ClickHouse: every kind of row the dashboards read must be there.
 */
type Collector = Awaited<ReturnType<typeof startTestCollector>>;
type Row = Record<string, unknown>;

let collector: Collector;
let run: DemoRun;
const turns: TurnLine[] = [];
const lines: string[] = [];

const byKind = (kind: string) => QUESTIONS.find((q) => q.kind === kind) as (typeof QUESTIONS)[number];
// One of each kind, in this order, so a short run covers them all.
const SCRIPT = ['answerable', 'unsupported', 'unanswerable', 'injection', 'pii', 'tool', 'jailbreak'].map(
  byKind,
);

beforeAll(async () => {
  collector = await startTestCollector();
  run = await runDemo({
    endpoint: collector.url,
    apiKey: TEST_KEY,
    conversations: SCRIPT.length,
    intervalMs: 0,
    seed: 11,
    questions: SCRIPT,
    mockLatency: { latencyMs: 0, chunkDelayMs: 0 },
    log: (line) => lines.push(line),
    onTurn: (turn) => turns.push(turn),
  });
});
afterAll(async () => {
  await getOversight()?.shutdown();
  await collector?.dispose();
});

async function rows(sql: string, params: Record<string, string> = {}): Promise<Row[]> {
  return collector.store.query<Row>(sql, { params });
}

/** Polls until the query returns at least `count` rows (each table is its own insert). */
async function rowsWhen(sql: string, count: number, params: Record<string, string> = {}): Promise<Row[]> {
  let found: Row[] = [];
  await waitFor(
    async () => {
      found = await rows(sql, params);
      return found.length >= count;
    },
    20_000,
    `${count} rows of ${sql}`,
  );
  return found;
}

function turnOf(kind: string): TurnLine {
  const text = byKind(kind).text;
  const turn = turns.find((t) => t.result.question === text);
  if (!turn) throw new Error(`no turn asked the ${kind} question`);
  return turn;
}

describe('rag-support-bot', () => {
  it('runs every scripted question and prints one line per turn', () => {
    expect(run.conversations).toBe(SCRIPT.length);
    expect(run.turns).toBeGreaterThanOrEqual(SCRIPT.length);
    expect(lines).toHaveLength(run.turns);
    expect(turnOf('answerable').result.outcome).toBe('answered');
    expect(turnOf('unanswerable').result.outcome).toBe('unknown');
    expect(turnOf('tool').result.outcome).toBe('tool');
    expect(turnOf('jailbreak').result).toMatchObject({ outcome: 'blocked', answer: BLOCKED_ANSWER });
    expect(turnOf('pii').result.input).toBe('redacted');
    expect(turnOf('injection').result).toMatchObject({ outcome: 'blocked', input: 'blocked' });
    // The mock slips on cue: the unsupported question gets its scripted wrong answer, and the user fixes it.
    const unsupported = turnOf('unsupported');
    expect(unsupported.result).toMatchObject({
      outcome: 'answered',
      answer: byKind('unsupported').wrongAnswer,
    });
    expect(unsupported.edited).toBe(true);
    expect(unsupported.feedback).not.toBe('up');
    // No PII in what the demo prints.
    expect(lines.join('\n')).not.toContain('maria.lopez@gmail.com');
  });

  it('stores chat, embeddings, retrieval, rerank, tool, guardrail and workflow spans', async () => {
    const answered = turnOf('answerable');
    const ops = await rowsWhen(
      'SELECT DISTINCT operation FROM llm_spans WHERE trace_id = {id:String} ORDER BY operation',
      5,
      { id: answered.result.traceId as string },
    );
    expect(ops.map((r) => r.operation)).toEqual([
      'apply_guardrail',
      'chat',
      'embeddings',
      'invoke_workflow',
      'rerank',
      'retrieval',
    ]);
    const chat = await rows(
      `SELECT provider, request_model, session_id, user_id, input_tokens, output_tokens, cost_usd, ttft_ms, completion_text
         FROM llm_spans WHERE trace_id = {id:String} AND operation = 'chat'`,
      { id: answered.result.traceId as string },
    );
    expect(chat).toHaveLength(1);
    expect(chat[0]).toMatchObject({
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      session_id: answered.sessionId,
      user_id: answered.userId,
      completion_text: answered.result.answer,
    });
    expect(chat[0]?.input_tokens).toBeGreaterThan(0);
    expect(chat[0]?.cost_usd).toBeGreaterThan(0);
    expect(chat[0]?.ttft_ms).toBeGreaterThan(0);

    const tool = await rowsWhen(
      `SELECT tool_name, tool_result FROM llm_spans WHERE trace_id = {id:String} AND operation = 'execute_tool'`,
      1,
      { id: turnOf('tool').result.traceId as string },
    );
    expect(tool[0]?.tool_name).toBe('get_invoice');
    expect(JSON.parse(tool[0]?.tool_result as string)).toMatchObject({ id: 'INV-1042' });

    // The blocked turn never reached the model.
    const blocked = await rowsWhen(
      'SELECT operation FROM llm_spans WHERE trace_id = {id:String} ORDER BY operation',
      2,
      { id: turnOf('jailbreak').result.traceId as string },
    );
    expect(blocked.map((r) => r.operation)).toEqual(['apply_guardrail', 'invoke_workflow']);
  });

  it('stores the retrieved documents with ranks and scores', async () => {
    const answered = turnOf('answerable');
    const docs = await rowsWhen(
      `SELECT s.operation AS operation, d.document_id AS document_id, d.rank AS rank, d.score AS score, d.query AS query
         FROM retrieval_documents d JOIN llm_spans s ON s.span_id = d.span_id
        WHERE d.trace_id = {id:String} ORDER BY operation, rank`,
      6,
      { id: answered.result.traceId as string },
    );
    const ids = new Set(DOCUMENTS.map((d) => d.id));
    expect(docs.every((d) => ids.has(d.document_id as string))).toBe(true);
    expect(docs.every((d) => d.query === answered.result.asked)).toBe(true);
    const retrieval = docs.filter((d) => d.operation === 'retrieval');
    const reranked = docs.filter((d) => d.operation === 'rerank');
    expect(retrieval).toHaveLength(4);
    expect(reranked).toHaveLength(2);
    // Vector search scores fall with rank; the answer came from the top reranked document.
    const scores = retrieval.map((d) => d.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(answered.result.documents[0]).toBe(reranked[0]?.document_id);
  });

  it('records the blocked prompt injection and the refusal in evaluations', async () => {
    const injection = turnOf('injection');
    const blocked = await rowsWhen(
      `SELECT e.label AS label, e.score AS score, e.source AS source FROM evaluations e JOIN llm_spans s ON s.span_id = e.span_id
        WHERE e.trace_id = {id:String} AND s.operation = 'apply_guardrail'
          AND e.evaluator = 'prompt_injection' AND e.target = 'input'`,
      1,
      { id: injection.result.traceId as string },
    );
    expect(blocked).toEqual([{ label: 'blocked', score: expect.any(Number), source: 'sdk' }]);
    expect(blocked[0]?.score).toBeGreaterThanOrEqual(0.5);

    const refusal = await rowsWhen(
      `SELECT e.label AS label FROM evaluations e JOIN llm_spans s ON s.span_id = e.span_id
        WHERE e.trace_id = {id:String} AND s.operation = 'chat' AND e.evaluator = 'refusal'`,
      1,
      { id: turnOf('unanswerable').result.traceId as string },
    );
    expect(refusal).toEqual([{ label: 'refusal' }]);
  });

  it('keeps the PII the input guard redacted out of the stored prompts', async () => {
    const pii = turnOf('pii');
    const stored = await rowsWhen(
      `SELECT prompt_text FROM llm_spans WHERE trace_id = {id:String} AND operation = 'chat'`,
      1,
      { id: pii.result.traceId as string },
    );
    expect(stored[0]?.prompt_text).toBe(pii.result.asked);
    expect(stored[0]?.prompt_text).toContain('<EMAIL_ADDRESS>');
    const leaks = await rows(
      `SELECT count() AS n FROM otel_traces
        WHERE TraceId = {id:String} AND arrayExists(v -> position(v, 'maria.lopez@gmail.com') > 0, mapValues(SpanAttributes))`,
      { id: pii.result.traceId as string },
    );
    expect(Number(leaks[0]?.n)).toBe(0);
  });

  it('stores the simulated users’ thumbs up and down, linked to their turns', async () => {
    const given = turns.filter((t) => t.feedback !== undefined);
    expect(given.length).toBeGreaterThan(0);
    expect(run.feedback.failed).toBe(0);
    const stored = await rowsWhen(
      "SELECT trace_id, user_id, kind, value FROM feedback WHERE kind = 'thumbs' ORDER BY trace_id",
      given.length,
    );
    const expected = given
      .map((t) => ({
        trace_id: t.result.traceId,
        user_id: t.userId,
        kind: 'thumbs',
        value: t.feedback === 'up' ? 1 : 0,
      }))
      .sort((a, b) => String(a.trace_id).localeCompare(String(b.trace_id)));
    expect(stored).toEqual(expected);

    const edited = turns.filter((t) => t.edited);
    expect(edited.map((t) => t.result.question)).toContain(byKind('unsupported').text);
    const edits = await rowsWhen(
      "SELECT trace_id, correction FROM feedback WHERE kind = 'edit' ORDER BY trace_id",
      edited.length,
    );
    expect(edits).toEqual(
      edited
        .map((t) => ({ trace_id: t.result.traceId, correction: byKind('unsupported').correction }))
        .sort((a, b) => String(a.trace_id).localeCompare(String(b.trace_id))),
    );
  });
});
