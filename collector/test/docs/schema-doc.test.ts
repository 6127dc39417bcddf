/**
 * docs/schema.md is executable: every ```sql block runs read-only against an
 * embedded store seeded through the collector's own row path, the cookbook's
 * answers are checked against what the seed implies, and every table and
 * column of the schema must be documented with its real type.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scorers as realScorers, TASK_SPECS } from '@oversight/scorers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { TEXT_CAP_CHARS } from '../../src/pipeline/transform/llm-rows.ts';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/store/chdb-store.ts';
import { ttlRules } from '../../src/store/ddl-render.ts';
import type { Row } from '../../src/store/store.ts';
import { spanWith } from '../normalize/span-fixture.ts';
import { ddlColumns } from './ddl-columns.ts';
import { parameterNames, type SqlBlock, sqlBlocks, tableSections } from './markdown-sql.ts';
import { ANSWERS, LABELS, PROJECT, QUESTIONS, seedStore, TRACE } from './seed.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/schema.md'), 'utf8');
const DDL_DIR = join(ROOT, 'collector/src/store/ddl');
const BLOCKS = sqlBlocks(DOC);

/** Values for the `{name:Type}` parameters the doc's examples use. */
const PARAMS: Record<string, string> = {
  project: PROJECT,
  from: '2026-11-02 00:00:00',
  to: '2026-11-04 00:00:00',
};

function paramsFor(block: SqlBlock): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of parameterNames(block.sql)) {
    const value = PARAMS[name];
    if (value === undefined)
      throw new Error(`docs/schema.md line ${block.line}: no test value for {${name}:…}`);
    params[name] = value;
  }
  return params;
}

function cookbook(number: number): SqlBlock {
  const found = BLOCKS.filter((b) => b.heading.startsWith(`${number}. `));
  if (found.length !== 1)
    throw new Error(`expected one sql block under cookbook heading ${number}., found ${found.length}`);
  return found[0] as SqlBlock;
}

let dataDir: string;
let store: EmbeddedStore;

async function run<T = Row>(block: SqlBlock): Promise<T[]> {
  return store.query<T>(block.sql, { readonly: true, params: paramsFor(block) });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'oversight-schema-doc-'));
  // The seed's dates are fixed; a TTL would drop them as soon as they age.
  store = await openEmbeddedStore({ dataDir, ttlDays: 0, rollupTtlDays: 0 });
  await store.migrate();
  await seedStore(store);
});

afterAll(async () => {
  await store?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('every sql block in docs/schema.md', () => {
  it('has a cookbook of 12 to 20 queries, each a single read statement', () => {
    const numbered = BLOCKS.filter((b) => /^\d+\. /.test(b.heading));
    expect(numbered.length).toBeGreaterThanOrEqual(12);
    expect(numbered.length).toBeLessThanOrEqual(20);
    for (const block of BLOCKS) {
      expect(block.sql, `line ${block.line}`).toMatch(/^(SELECT|WITH)\b/);
      expect(block.sql, `line ${block.line}`).not.toMatch(/;\s*\S/);
    }
  });

  it.each(BLOCKS.map((b) => [`line ${b.line}: ${b.heading}`, b] as const))(
    'runs: %s',
    async (_name, block) => {
      await expect(run(block)).resolves.toBeInstanceOf(Array);
    },
  );
});

describe('cookbook answers on the seeded data', () => {
  it('1. token spend and cost per model per day', async () => {
    expect(await run(cookbook(1))).toEqual([
      {
        day: '2026-11-02',
        provider: 'openai',
        model: 'gpt-4o-mini',
        calls: 2,
        input_tokens: 1250,
        output_tokens: 150,
        cost_usd: 0.0008,
      },
      {
        day: '2026-11-02',
        provider: 'openai',
        model: 'text-embedding-3-small',
        calls: 1,
        input_tokens: 8,
        output_tokens: null,
        cost_usd: 0,
      },
      {
        day: '2026-11-03',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        calls: 3,
        input_tokens: 1800,
        output_tokens: 380,
        cost_usd: 0.0126,
      },
      {
        day: '2026-11-03',
        provider: 'openai',
        model: 'gpt-4o-mini',
        calls: 1,
        input_tokens: 700,
        output_tokens: 40,
        cost_usd: 0.0004,
      },
    ]);
  });

  it('2. latency and ttft leave out failed calls', async () => {
    expect(await run(cookbook(2))).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        calls: 2,
        p50_ms: 1750,
        p95_ms: 1975,
        p50_ttft_ms: 700,
        p95_ttft_ms: 790,
      },
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        calls: 3,
        p50_ms: 1000,
        p95_ms: 1180,
        p50_ttft_ms: 300,
        p95_ttft_ms: 345,
      },
    ]);
  });

  it('3. error rate by model', async () => {
    expect(await run(cookbook(3))).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        calls: 3,
        errors: 1,
        error_rate: 0.333,
        top_error_types: ['overloaded_error'],
      },
      { provider: 'openai', model: 'gpt-4o-mini', calls: 3, errors: 0, error_rate: 0, top_error_types: [] },
    ]);
  });

  it('4. most expensive sessions, other projects excluded', async () => {
    const rows = await run<{ session_id: string; cost_usd: number; model_calls: number; tokens: number }>(
      cookbook(4),
    );
    expect(rows.map((r) => [r.session_id, r.model_calls, r.tokens, r.cost_usd])).toEqual([
      ['sess-bob-1', 3, 2180, 0.0126],
      ['sess-alice-1', 1, 978, 0.0006],
      ['sess-carol-1', 1, 740, 0.0004],
      ['sess-mallory-1', 1, 430, 0.0002],
    ]);
  });

  it('5. share of chat steps flagged per evaluator and target', async () => {
    expect(await run(cookbook(5))).toEqual([
      { evaluator: 'jailbreak', target: 'input', scored: 6, flagged: 1, flagged_share: 0.167 },
      { evaluator: 'pii', target: 'input', scored: 6, flagged: 1, flagged_share: 0.167 },
      { evaluator: 'pii', target: 'output', scored: 5, flagged: 1, flagged_share: 0.2 },
      { evaluator: 'prompt_injection', target: 'input', scored: 6, flagged: 1, flagged_share: 0.167 },
      { evaluator: 'refusal', target: 'output', scored: 5, flagged: 2, flagged_share: 0.4 },
      { evaluator: 'toxicity', target: 'input', scored: 6, flagged: 0, flagged_share: 0 },
      { evaluator: 'toxicity', target: 'output', scored: 5, flagged: 0, flagged_share: 0 },
    ]);
  });

  it('6. the injected prompt, with its text', async () => {
    expect(await run(cookbook(6))).toEqual([
      {
        flagged_at: '2026-11-02 10:00:00.820000000',
        trace_id: TRACE.injection,
        score: 0.99,
        user_id: 'mallory',
        model: 'gpt-4o-mini',
        prompt: QUESTIONS.injection,
      },
    ]);
  });

  it('7. the answer that leaked PII', async () => {
    const rows = await run<{ trace_id: string; completion_text: string }>(cookbook(7));
    expect(rows.map((r) => [r.trace_id, r.completion_text])).toEqual([[TRACE.piiAnswer, ANSWERS.piiAnswer]]);
  });

  it('8. refusal rate per day', async () => {
    expect(await run(cookbook(8))).toEqual([
      { day: '2026-11-02', answers: 2, refusals: 1, refusal_rate: 0.5 },
      { day: '2026-11-03', answers: 3, refusals: 1, refusal_rate: 0.333 },
    ]);
  });

  it('9. refusals by topic read the latest topic version (FINAL)', async () => {
    expect(await run(cookbook(9))).toEqual([
      { topic: 'pay invoice bitcoin', topic_size: 2, answers: 1, refusals: 1 },
      { topic: 'password reset login', topic_size: 1, answers: 1, refusals: 0 },
    ]);
  });

  it('10. the retrieval whose best document scored low', async () => {
    expect(await run(cookbook(10))).toEqual([
      {
        trace_id: TRACE.bitcoin,
        query: QUESTIONS.bitcoin,
        top_score: 0.21,
        best_document: 'kb-310',
        documents: 2,
      },
    ]);
  });

  it('11. documents most often retrieved', async () => {
    const rows = await run<{
      document_id: string;
      retrievals: number;
      times_ranked_first: number;
      avg_score: number;
    }>(cookbook(11));
    expect(rows.map((r) => [r.document_id, r.retrievals, r.times_ranked_first, r.avg_score])).toEqual([
      ['kb-101', 2, 1, 0.545],
      ['kb-205', 1, 0, 0.62],
      ['kb-310', 1, 1, 0.21],
    ]);
  });

  it('12. thumbs-down rate per model counts a resent feedback once', async () => {
    expect(await run(cookbook(12))).toEqual([
      { model: 'gpt-4o-mini', votes: 3, thumbs_down: 2, thumbs_down_rate: 0.667 },
      { model: 'claude-sonnet-4-5', votes: 1, thumbs_down: 0, thumbs_down_rate: 0 },
    ]);
    // The seed really holds the duplicate that FINAL removes.
    const [raw] = await store.query<{ n: number }>(`SELECT count() AS n FROM feedback WHERE id = 'fb-2'`);
    expect(raw?.n).toBe(2);
  });

  it('13. the trace the guardrail blocked', async () => {
    expect(await run(cookbook(13))).toEqual([
      {
        blocked_at: '2026-11-03 11:00:00.005000000',
        trace_id: TRACE.guardBlock,
        category: 'prompt_injection',
        checked: 'input',
        score: 0.97,
        policy: 'support-bot',
        reason: 'prompt_injection 0.97>=0.5 block: instruction override',
      },
    ]);
  });

  it('14. word search over questions', async () => {
    const rows = await run<{ trace_id: string; prompt_text: string }>(cookbook(14));
    expect(rows.map((r) => [r.trace_id, r.prompt_text])).toEqual([
      [TRACE.passwordReset, QUESTIONS.passwordReset],
    ]);
  });

  it('15 and 16. a whole trace in start order, directly and via the trace-id lookup', async () => {
    const expected = [
      'POST /api/chat',
      'embeddings text-embedding-3-small',
      'retrieval kb-articles',
      'chat gpt-4o-mini',
    ];
    const direct = await run<{ SpanName: string; duration_ms: number; model: string; input_tokens: string }>(
      cookbook(15),
    );
    expect(direct.map((r) => r.SpanName)).toEqual(expected);
    expect(direct[3]).toMatchObject({ duration_ms: 1200, model: 'gpt-4o-mini', input_tokens: '850' });
    const lookup = await run<{ operationName: string; parentSpanID: string }>(cookbook(16));
    expect(lookup.map((r) => r.operationName)).toEqual(expected);
    expect(lookup.map((r) => r.parentSpanID)).toEqual([
      '',
      'a1a1a1a1a1a1a1a1',
      'a1a1a1a1a1a1a1a1',
      'a1a1a1a1a1a1a1a1',
    ]);
  });

  it('17. app-reported evaluation events from the Events column', async () => {
    expect(await run(cookbook(17))).toEqual([
      {
        TraceId: TRACE.passwordReset,
        SpanName: 'chat gpt-4o-mini',
        model: 'gpt-4o-mini',
        evaluator: 'groundedness',
        score: 0.92,
        label: 'grounded',
      },
    ]);
  });

  it('18. hourly roll-up: response models, merged quantiles, nan-free ttft only where reported', async () => {
    const rows = await run<Row>(cookbook(18));
    expect(
      rows.map((r) => [
        r.hour,
        r.model,
        r.calls,
        r.errors,
        r.cost_usd,
        r.duration_ms_p50_p90_p99,
        r.ttft_ms_p50,
      ]),
    ).toEqual([
      ['2026-11-02 09:00:00', 'gpt-4o-mini-2024-07-18', 1, 0, 0.0006, [1200, 1200, 1200], 350],
      ['2026-11-02 10:00:00', 'gpt-4o-mini-2024-07-18', 1, 0, 0.0002, [800, 800, 800], 250],
      ['2026-11-03 12:00:00', 'claude-sonnet-4-5-20250929', 1, 0, 0.0081, [2000, 2000, 2000], 800],
      ['2026-11-03 13:00:00', 'claude-sonnet-4-5', 1, 1, 0, [500, 500, 500], null],
      ['2026-11-03 13:00:00', 'claude-sonnet-4-5-20250929', 1, 0, 0.0045, [1500, 1500, 1500], 600],
      ['2026-11-03 14:00:00', 'gpt-4o-mini-2024-07-18', 1, 0, 0.0004, [1000, 1000, 1000], 300],
    ]);
  });

  it('19. daily cost per model from the roll-up agrees with the raw table', async () => {
    expect(await run(cookbook(19))).toEqual([
      { day: '2026-11-02', model: 'gpt-4o-mini-2024-07-18', calls: 2, cost_usd: 0.0008 },
      { day: '2026-11-02', model: 'text-embedding-3-small', calls: 1, cost_usd: 0 },
      { day: '2026-11-03', model: 'claude-sonnet-4-5-20250929', calls: 2, cost_usd: 0.0126 },
      { day: '2026-11-03', model: 'gpt-4o-mini-2024-07-18', calls: 1, cost_usd: 0.0004 },
      { day: '2026-11-03', model: 'claude-sonnet-4-5', calls: 1, cost_usd: 0 },
    ]);
  });

  it('20. daily flags from the evaluations roll-up match the raw evaluations', async () => {
    const rows = await run<{
      day: string;
      evaluator: string;
      target: string;
      scored: number;
      flagged: number;
    }>(cookbook(20));
    const flagged = rows
      .filter((r) => r.flagged > 0)
      .map((r) => [r.day, r.evaluator, r.target, r.flagged, r.scored]);
    expect(flagged).toEqual([
      ['2026-11-02', 'jailbreak', 'input', 1, 2],
      ['2026-11-02', 'prompt_injection', 'input', 1, 2],
      ['2026-11-02', 'refusal', 'output', 1, 2],
      ['2026-11-03', 'pii', 'input', 1, 4],
      ['2026-11-03', 'pii', 'output', 1, 3],
      ['2026-11-03', 'refusal', 'output', 1, 3],
    ]);
  });

  it('binds documented parameters and reads topics with FINAL', async () => {
    const parameterised = BLOCKS.find((b) => parameterNames(b.sql).length > 0);
    expect(parameterised).toBeDefined();
    const rows = await run<{ model: string; cost_usd: number | null }>(parameterised as SqlBlock);
    expect(rows.filter((r) => r.model !== '').map((r) => [r.model, r.cost_usd])).toEqual([
      ['claude-sonnet-4-5', 0.0126],
      ['gpt-4o-mini', 0.0012],
      ['text-embedding-3-small', 0],
    ]);
    const topics = BLOCKS.find((b) =>
      /FROM topics FINAL\s+WHERE project_id = 'default'\s+ORDER BY size DESC/.test(b.sql),
    );
    expect(topics).toBeDefined();
    const topicRows = await run<{ label: string; size: number }>(topics as SqlBlock);
    expect(topicRows.map((r) => [r.label, r.size])).toEqual([
      ['pay invoice bitcoin', 2],
      ['password reset login', 1],
    ]);
  });
});

describe('the doc matches the schema', () => {
  const sections = tableSections(DOC);

  it('documents every table the DDL creates, and every column the DDL names', () => {
    const tables = ddlColumns(DDL_DIR);
    expect([...tables.keys()].sort()).toEqual([
      'embedder_state',
      'evaluations',
      'evaluations_hourly',
      'feedback',
      'feedback_hourly',
      'flagged_traces_hourly',
      'gap_signals_hourly',
      'gap_state',
      'llm_quality_hourly',
      'llm_spans',
      'llm_spans_hourly',
      'otel_traces',
      'otel_traces_trace_id_ts',
      'quality_events',
      'retrieval_documents',
      'topic_vocabulary',
      'topics',
      'worst_answers_hourly',
    ]);
    for (const [table, columns] of tables) {
      const section = sections.get(table);
      expect(section, `docs/schema.md has no "### \`${table}\`" section`).toBeDefined();
      expect(columns.length).toBeGreaterThan(2);
      for (const column of columns) {
        expect(section, `${table}.${column} is not in its column table`).toContain(`| \`${column}\` |`);
      }
    }
  });

  it('gives every column its real type, and each table its real sort key, partition and engine', async () => {
    const columns = await store.query<{ table: string; name: string; type: string }>(
      `SELECT table, name, type FROM system.columns
       WHERE database = currentDatabase() AND table NOT LIKE '%\\_mv' AND table != 'schema_migrations'
       ORDER BY table, position`,
    );
    expect(columns.length).toBeGreaterThan(100);
    // The DDL reader sees exactly what the engine made of the templates.
    const fromDdl = ddlColumns(DDL_DIR);
    for (const [table, names] of fromDdl) {
      expect(names, table).toEqual(columns.filter((c) => c.table === table).map((c) => c.name));
    }
    for (const { table, name, type } of columns) {
      expect(sections.get(table) ?? '', `${table}.${name}`).toContain(`| \`${name}\` | \`${type}\` |`);
    }
    const tables = await store.query<{
      name: string;
      engine: string;
      sorting_key: string;
      partition_key: string;
    }>(
      `SELECT name, engine, sorting_key, partition_key FROM system.tables
       WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations'`,
    );
    expect(tables).toHaveLength(18);
    for (const { name, engine, sorting_key, partition_key } of tables) {
      const section = sections.get(name) ?? '';
      const key = sorting_key.replace(/^\((.*)\)$/, '$1');
      expect(section, name).toContain(`ORDER BY (${key})`);
      if (partition_key) expect(section, name).toContain(`PARTITION BY ${partition_key}`);
      if (engine !== 'MergeTree') expect(section, name).toContain(engine);
    }
  });

  it('gives each table the TTL a default start gives it, or says it has none', () => {
    const rules = new Map(ttlRules({ database: 'oversight' }).map((rule) => [rule.table, rule]));
    expect(rules.size).toBeGreaterThan(10);
    for (const table of ddlColumns(DDL_DIR).keys()) {
      const section = sections.get(table) ?? '';
      const rule = rules.get(table);
      if (!rule) {
        expect(section, table).toMatch(/no TTL/);
        continue;
      }
      // `toDateTime(timestamp)` is how the DDL turns a DateTime64 into a TTL; the doc names the column.
      const column = /^toDateTime\((\w+)\)$/.exec(rule.expression)?.[1] ?? rule.expression;
      const said = section.replace(/\s+/g, ' ');
      expect(
        said.includes(`dropped ${rule.days} days after \`${column}\``) ||
          said.includes(`dropped after ${rule.days} days`),
        `${table}: the doc should say it is dropped ${rule.days} days after \`${column}\``,
      ).toBe(true);
      expect(said, table).not.toMatch(/no TTL/);
    }
  });

  it('says prompt_text and completion_text are cut where the scorers read the whole text', () => {
    const llmSpans = sections.get('llm_spans') ?? '';
    const cap = TEXT_CAP_CHARS.toLocaleString('en-US');
    for (const column of ['prompt_text', 'completion_text']) {
      const row = llmSpans.split('\n').find((line) => line.startsWith(`| \`${column}\` |`)) ?? '';
      expect(row, column).toContain(`capped at ${cap} characters`);
      expect(row, column).not.toMatch(/exact text the (input|output) scorers saw/i);
    }
    // What the doc says, on the collector's own row path: PII past the cap is
    // flagged on both sides, and neither stored text holds it.
    const filler = 'please read this long message. '.repeat(Math.ceil(TEXT_CAP_CHARS / 31));
    const email = 'jane.doe@gmail.com';
    const rows = createBatchTransform({ maxTextChars: 100_000, scorers: [realScorers.pii as never] })([
      {
        projectId: PROJECT,
        position: 0,
        receivedAt: Date.now(),
        spans: [
          spanWith({
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.input.messages': JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: `${filler}Write to ${email}.` }] },
            ]),
            'gen_ai.output.messages': JSON.stringify([
              {
                role: 'assistant',
                parts: [{ type: 'text', content: `${filler}I wrote to ${email}.` }],
                finish_reason: 'stop',
              },
            ]),
          }),
        ],
      },
    ]);
    const [span] = rows.get('llm_spans') ?? [];
    expect(String(span?.prompt_text).length).toBeLessThanOrEqual(TEXT_CAP_CHARS);
    expect(span?.prompt_text).not.toContain(email);
    expect(span?.completion_text).not.toContain(email);
    const pii = (rows.get('evaluations') ?? []).filter((r) => r.evaluator === 'pii');
    expect(pii.map((r) => [r.target, r.label])).toEqual([
      ['input', 'pii'],
      ['output', 'pii'],
    ]);
  });

  it('names the labels the real scorers report, and the real scorers agree with the seed on clear cases', () => {
    for (const spec of Object.values(TASK_SPECS)) {
      expect(LABELS[spec.scorerName]).toEqual([spec.positiveLabel, spec.negativeLabel]);
    }
    for (const [evaluator, [positive, negative]] of Object.entries(LABELS)) {
      expect(realScorers[evaluator], evaluator).toBeDefined();
      expect(DOC).toContain(`\`${evaluator}\` (`);
      expect(DOC).toContain(`\`${positive}\` / \`${negative}\``);
    }
    const positives = Object.values(LABELS).map(([positive]) => `'${positive}'`);
    expect(DOC).toContain(`label IN (${positives.join(', ')})`);

    const label = (evaluator: string, text: string) => realScorers[evaluator]?.score(text).label;
    expect(label('prompt_injection', QUESTIONS.injection)).toBe('injection');
    expect(label('pii', QUESTIONS.piiAnswer)).toBe('pii');
    expect(label('pii', ANSWERS.piiAnswer)).toBe('pii');
    expect(label('refusal', ANSWERS.injection)).toBe('refusal');
    expect(label('refusal', ANSWERS.bitcoin)).toBe('refusal');
    expect(label('refusal', ANSWERS.passwordReset)).toBe('answer');
    expect(label('pii', ANSWERS.passwordReset)).toBe('no_pii');
  });
});
