/**
 * Every panel of every dashboard and every alert query, expanded as Grafana and
 * the ClickHouse plugin would and run on chdb against traffic with known rates
 * (grafana/test/seed.ts): the values on screen are the seeded ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLAGGED } from '../src/dashboards/common.ts';
import { GRAFANA_DIR } from '../src/generate.ts';
import {
  context,
  openSeededStore,
  refreshViews,
  runPanel,
  type SeededStore,
  type Selection,
} from './harness.ts';
import { ANSWERS_PER_HOUR, GUARD_DECISIONS, SAFETY, TOPICS } from './seed.ts';

const START = new Date('2026-11-01T00:00:00Z');
// 75 hours: N = 7,200 answers, a multiple of every period in the seed (5 × 20, 16, 24 × 3, 96).
const HOURS = 75;
const END = new Date(START.getTime() + HOURS * 3_600_000);
const N = ANSWERS_PER_HOUR * HOURS;
const OTHER = 480;

/** Answer i of the seed is stamped START + i × 37.5 s; failed call j at answer slot 16j + j % 6. */
const at = (slot: number) => START.getTime() + slot * (3_600_000 / ANSWERS_PER_HOUR);
const inRange = (slot: number, from: Date, to: Date) =>
  at(slot) >= from.getTime() && at(slot) <= to.getTime();
const answersIn = (from: Date, to: Date) => [...Array(N).keys()].filter((i) => inRange(i, from, to));
const failuresIn = (from: Date, to: Date) =>
  [...Array(N / 16).keys()].map((j) => 16 * j + (j % 6)).filter((slot) => inRange(slot, from, to));

interface Target {
  rawSql: string;
  format: number;
}
interface Panel {
  type: string;
  title: string;
  description?: string;
  targets?: Target[];
  fieldConfig?: {
    overrides: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[];
  };
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: string }[] };
}

const DASHBOARDS = ['overview', 'hallucination', 'kb-gaps', 'safety', 'feedback'].map(
  (name) => JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', `${name}.json`), 'utf8')) as Dashboard,
);

function sqlOf(uid: string, title: string): string {
  const board = DASHBOARDS.find((d) => d.uid === uid);
  const panel = board?.panels.find((p) => p.title === title);
  const sql = panel?.targets?.[0]?.rawSql;
  if (!sql) throw new Error(`no panel "${title}" in ${uid}`);
  return sql;
}

let seeded: SeededStore;

beforeAll(async () => {
  seeded = await openSeededStore({ start: START, hours: HOURS, otherProjectAnswers: OTHER });
});

afterAll(async () => {
  await seeded?.close();
});

type Row = Record<string, unknown>;
const run = (uid: string, title: string, selection: Selection = { project: 'default' }) =>
  runPanel<Row>(seeded.store, sqlOf(uid, title), context(START, END, selection));

const panels = DASHBOARDS.flatMap((d) =>
  d.panels.filter((p) => p.targets?.length).map((p) => [`${d.uid}: ${p.title}`, d.uid, p.title] as const),
);
const variableQueries = DASHBOARDS.flatMap((d) =>
  d.templating.list.map((v) => [`${d.uid}: $${v.name}`, v.query] as const),
);

describe('every panel query runs and returns rows', () => {
  it.each(panels)('%s (all variables "All")', async (_name, uid, title) => {
    expect((await run(uid, title, {})).length).toBeGreaterThan(0);
  });
  it.each(panels)('%s (multi-value selection)', async (_name, uid, title) => {
    const rows = await run(uid, title, {
      project: ['default'],
      service: ['support-bot', 'search-api'],
      model: ['gpt-4o-mini', 'gpt-4o'],
      topic: ['102', '103'],
    });
    expect(rows.length).toBeGreaterThan(0);
  });
  it.each(variableQueries)('variable %s', async (_name, sql) => {
    const rows = await runPanel<Row>(seeded.store, sql, context(START, END, {}));
    expect(rows.length).toBeGreaterThan(0);
  });
  it.each(variableQueries)('variable %s over a range within one hour', async (_name, sql) => {
    // 10:10–10:40 of the second hour: the roll-up's row for it is stamped 10:00, before the range.
    const from = new Date(START.getTime() + 3_600_000 + 10 * 60_000);
    const to = new Date(START.getTime() + 3_600_000 + 40 * 60_000);
    const rows = await runPanel<Row>(seeded.store, sql, context(from, to, {}));
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('table units', () => {
  const tables = DASHBOARDS.flatMap((d) =>
    d.panels.filter((p) => p.type === 'table').map((p) => [`${d.uid}: ${p.title}`, d.uid, p] as const),
  );
  const expected = (column: string) =>
    /(^|_)rate(_at_least|_at_most)?$/.test(column)
      ? 'percentunit'
      : column === 'cost_usd'
        ? 'currencyUSD'
        : column.endsWith('_ms')
          ? 'ms'
          : undefined;

  it.each(tables)(
    '%s shows rates as percentages, costs in dollars, durations in ms',
    async (_n, uid, panel) => {
      const [first] = await run(uid, panel.title, {});
      const units = Object.fromEntries(
        (panel.fieldConfig?.overrides ?? []).flatMap((o) =>
          o.properties.filter((p) => p.id === 'unit').map((p) => [o.matcher.options, p.value]),
        ),
      );
      for (const column of Object.keys(first ?? {}))
        expect(units[column], `${panel.title}: ${column}`).toBe(expected(column));
    },
  );
});

describe('dashboard variables', () => {
  const referenced = (sql: string) =>
    new Set([...sql.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)/g)].map(([, a, b]) => a ?? b));

  it.each(DASHBOARDS.map((d) => [d.uid, d] as const))(
    '%s: every variable it offers narrows each panel, or the panel says why not',
    (_uid, board) => {
      const offered = board.templating.list.map((v) => v.name);
      for (const panel of board.panels.filter((p) => p.targets?.length)) {
        const used = referenced(panel.targets?.map((t) => t.rawSql).join('\n') ?? '');
        const ignored = offered.filter((name) => !used.has(name));
        if (ignored.length === 0) continue;
        expect(panel.description, `${panel.title} ignores ${ignored.join(', ')}`).toMatch(
          /^Not narrowed by /,
        );
        for (const name of ignored) expect(panel.description, panel.title).toContain(name);
      }
    },
  );

  it('narrows feedback counts by the service of the answer they are about', async () => {
    // Regenerate, copy and edit land on i % 24 = 3, 9, 15: odd i, all search-api answers.
    const edits = (service: string) =>
      run('oversight-feedback', 'Edited answers', { project: 'default', service });
    expect(await edits('search-api')).toEqual([{ edits: N / 24 }]);
    expect(await edits('support-bot')).toEqual([{ edits: 0 }]);
    const kinds = await run('oversight-feedback', 'Feedback by kind', {
      project: 'default',
      service: 'support-bot',
    });
    expect(new Set(kinds.map((r) => r.kind))).toEqual(new Set(['thumbs']));
  });
});

describe('hallucination dashboard', () => {
  it('reads the seeded 1-in-4 hallucination rate as 25 %, and the other project apart', async () => {
    expect(await run('oversight-hallucination', 'Hallucination rate')).toEqual([
      { hallucination_rate: 0.25 },
    ]);
    expect(await run('oversight-hallucination', 'Scored answers')).toEqual([{ scored: N }]);
    const [all] = await run('oversight-hallucination', 'Hallucination rate', {});
    expect(all?.hallucination_rate).toBeCloseTo((N / 4 + OTHER) / (N + OTHER), 12);
    const [other] = await run('oversight-hallucination', 'Hallucination rate', { project: 'acme-internal' });
    expect(other?.hallucination_rate).toBe(1);
  });

  it('reads a range shorter than an hour as that range, not the whole hour', async () => {
    // 01:10–01:40: the roll-up's row for the hour is stamped 01:00 and holds all 96 answers.
    const from = new Date(START.getTime() + 3_600_000 + 10 * 60_000);
    const to = new Date(START.getTime() + 3_600_000 + 40 * 60_000);
    const scored = await runPanel<Row>(
      seeded.store,
      sqlOf('oversight-hallucination', 'Scored answers'),
      context(from, to, { project: 'default' }),
    );
    expect(scored).toEqual([{ scored: answersIn(from, to).length }]);
    expect(answersIn(from, to)).toHaveLength(49);
  });

  it('is 25 % in every hour for every model and every service', async () => {
    const byModel = await run('oversight-hallucination', 'Hallucination rate by model');
    expect(byModel).toHaveLength(HOURS * 3);
    expect(new Set(byModel.map((r) => r.rate))).toEqual(new Set([0.25]));
    const byService = await run('oversight-hallucination', 'Hallucination rate by service', {
      project: 'default',
      service: 'search-api',
    });
    expect(byService).toHaveLength(HOURS);
    expect(byService.every((r) => r.service_name === 'search-api' && r.rate === 0.25)).toBe(true);
  });

  it('narrows to a multi-value model selection', async () => {
    const rows = await run('oversight-hallucination', 'Scored answers', {
      project: 'default',
      model: ['gpt-4o', 'claude-sonnet-4-5'],
    });
    expect(rows).toEqual([{ scored: (N * 2) / 3 }]);
  });

  it('labels topics with their newest label', async () => {
    const rows = await run('oversight-hallucination', 'Hallucination rate by topic');
    expect(rows.map((r) => [r.topic, r.answers, r.rate])).toEqual(TOPICS.map((t) => [t.label, N / 3, 0.25]));
  });

  it('ranks topics by how surely they hallucinate, not by a rate of one answer', async () => {
    // A project of its own: topic 1 answered once, wrongly; topic 2 30 times wrong of 100; topic 3 never.
    const counts = [
      [1, 1, 1],
      [2, 100, 30],
      [3, 10, 0],
    ] as const;
    // A day before the seeded range, so no other panel or alert sees it.
    const from = new Date(START.getTime() - 86_400_000);
    const hour = `toDateTime64('${from.toISOString().slice(0, 19).replace('T', ' ')}', 9, 'UTC')`;
    await seeded.store.command(`
INSERT INTO quality_events (project_id, timestamp, trace_id, span_id, service_name, model, topic_id, sign, hallucinated)
${counts
  .map(
    ([topic, answers, wrong]) =>
      `SELECT 'ranking', ${hour} + INTERVAL number SECOND, hex(${topic} * 1000 + number), hex(number), 'bot', 'gpt-4o', ${topic}, 1, toUInt8(number < ${wrong}) FROM numbers(${answers})`,
  )
  .join('\nUNION ALL\n')}`);
    const rows = await runPanel<Row>(
      seeded.store,
      sqlOf('oversight-hallucination', 'Hallucination rate by topic'),
      context(from, START, { project: 'ranking' }),
    );
    expect(rows.map((r) => [String(r.topic_id), r.answers, r.rate])).toEqual([
      ['2', 100, 0.3],
      ['1', 1, 1],
      ['3', 10, 0],
    ]);
    // The 95 % Wilson lower bounds: 30 of 100 is surely at least 22 %, 1 of 1 only 21 %.
    expect(rows.map((r) => Number(r.rate_at_least))).toEqual([
      expect.closeTo(0.2189, 4),
      expect.closeTo(0.2065, 4),
      expect.closeTo(0, 12),
    ]);
  });

  it('folds a merged-away topic into the topic it joined: panels, the topic filter and the variable', async () => {
    const ms = (x: number) => `fromUnixTimestamp64Milli(toInt64(${x}), 'UTC')`;
    const topicRow = (
      label: string,
      firstSeen: number,
      at: number,
      size: number,
      gaps: number,
      into: number,
    ) =>
      `('default', 103, '${label}', ${ms(firstSeen)}, ${ms(at)}, ${size}, ${gaps}, '${label && `a question about ${label}`}', ${into})`;
    const insert = (values: string) =>
      seeded.store.command(
        `INSERT INTO topics (project_id, topic_id, label, first_seen, last_seen, size, gap_count, representative, merged_into) VALUES ${values}`,
      );
    // The clusterer merged 103 into 102: a tombstone newer than 103's last row names 102.
    await insert(topicRow('', END.getTime() + 1000, END.getTime() + 1000, 0, 0, 102));
    try {
      const byTopic = await run('oversight-hallucination', 'Hallucination rate by topic');
      // One rate, twice the answers: the folded topic is the surer, so it ranks first.
      expect(byTopic.map((r) => [String(r.topic_id), r.topic, r.answers, r.rate])).toEqual([
        ['102', 'passwords', (N * 2) / 3, 0.25],
        ['101', 'billing', N / 3, 0.25],
      ]);
      // Picking 102 takes in the rows still carrying 103.
      expect(
        await run('oversight-hallucination', 'Scored answers', { project: 'default', topic: '102' }),
      ).toEqual([{ scored: (N * 2) / 3 }]);
      const ranked = await run('oversight-kb-gaps', 'Topics ranked by mean gap score');
      expect(ranked.map((r) => r.topic)).not.toContain('crypto payments');
      expect(ranked.find((r) => r.topic === 'passwords')?.questions).toBe(
        byTopic.find((r) => r.topic === 'passwords')?.answers,
      );
      const variable =
        DASHBOARDS.find((d) => d.uid === 'oversight-hallucination')?.templating.list.find(
          (v) => v.name === 'topic',
        )?.query ?? '';
      const live = await runPanel<Row>(seeded.store, variable, context(START, END, { project: 'default' }));
      expect(live.map((r) => r.label)).toEqual(['billing', 'passwords']);
    } finally {
      // 103 back, as the newest row: what the seed had.
      const perTopic = Math.floor(N / 3);
      await insert(
        topicRow(
          'crypto payments',
          END.getTime() - 86_400_000,
          END.getTime() + 2000,
          perTopic,
          Math.floor(perTopic / 2),
          0,
        ),
      );
    }
    expect((await run('oversight-hallucination', 'Hallucination rate by topic')).map((r) => r.topic)).toEqual(
      TOPICS.map((t) => t.label),
    );
  });

  it('bins groundedness into the seeded buckets', async () => {
    const rows = await run('oversight-hallucination', 'Groundedness distribution');
    expect(rows).toEqual([
      { bucket: '0.1', answers: N / 12 },
      { bucket: '0.2', answers: N / 12 },
      { bucket: '0.3', answers: N / 12 },
      { bucket: '0.7', answers: N / 4 },
      { bucket: '0.8', answers: N / 4 },
      { bucket: '0.9', answers: N / 4 },
    ]);
  });

  it('lists the worst answers with their unsupported sentences', async () => {
    const rows = await run('oversight-hallucination', 'Worst recent answers');
    expect(rows).toHaveLength(20);
    for (const r of rows) {
      expect(r.groundedness).toBeCloseTo(0.15, 6);
      expect(r.unsupported).toBe(`unsupported: "claim ${String(r.question).split(' ')[1]}"`);
    }
  });
});

describe('worst answers from their roll-up', () => {
  it('ranks the same 20 answers as a scan of llm_spans, for a selection and a range off the hour', async () => {
    const from = new Date(START.getTime() + 90 * 60_000);
    const to = new Date(END.getTime() - 10 * 60_000);
    const models = ['gpt-4o', 'claude-sonnet-4-5'];
    const rows = await runPanel<Row>(
      seeded.store,
      sqlOf('oversight-hallucination', 'Worst recent answers'),
      context(from, to, { project: 'default', model: models }),
    );
    const scan = await seeded.store.query<Row>(
      `SELECT trace_id, groundedness FROM llm_spans
       WHERE project_id = 'default' AND hallucinated = 1
         AND timestamp >= toDateTime(${from.getTime() / 1000}) AND timestamp <= toDateTime(${to.getTime() / 1000})
         AND if(response_model != '', response_model, request_model) IN ('${models.join("', '")}')
       ORDER BY groundedness ASC, timestamp DESC LIMIT 20`,
    );
    expect(scan).toHaveLength(20);
    expect(rows.map((r) => [r.trace_id, r.groundedness])).toEqual(
      scan.map((r) => [r.trace_id, r.groundedness]),
    );
    expect(
      rows.every((r) => r.model === 'claude-sonnet-4-5' && String(r.question).startsWith('question ')),
    ).toBe(true);
  });
});

describe('overview dashboard', () => {
  const errors = N / 16;
  it('counts requests, errors, tokens and cost from the hourly roll-up', async () => {
    expect(await run('oversight-overview', 'Requests')).toEqual([{ requests: N + errors }]);
    const [rate] = await run('oversight-overview', 'Error rate');
    expect(rate?.error_rate).toBeCloseTo(errors / (N + errors), 12);
    const [cost] = await run('oversight-overview', 'Cost');
    expect(cost?.cost_usd).toBeCloseTo(N * 0.001, 9);
    // input 100 + i % 7, output 50
    let input = 0;
    for (let i = 0; i < N; i++) input += 100 + (i % 7);
    expect(await run('oversight-overview', 'Tokens')).toEqual([{ tokens: input + 50 * N }]);
  });

  it('puts latency quantiles where the seeded durations are', async () => {
    const rows = await run('oversight-overview', 'Latency p50 / p95 / p99');
    expect(rows).toHaveLength(HOURS);
    for (const r of rows) {
      // answers take 200..1190 ms (uniform), failed calls 500 ms
      expect(r.p50).toBeGreaterThan(550);
      expect(r.p50).toBeLessThan(800);
      expect(r.p99).toBeGreaterThan(1100);
      expect(r.p99).toBeLessThanOrEqual(1190);
    }
    const ttft = await run('oversight-overview', 'Time to first token p50 / p95');
    expect(ttft).toHaveLength(HOURS);
    for (const r of ttft) {
      expect(r.ttft_p50).toBeGreaterThan(115);
      expect(r.ttft_p50).toBeLessThan(135);
    }
  });

  it('counts what embeddings, speech, transcription and decisions cost in the spend, not in the requests', async () => {
    // In the second hour after the seeded traffic (whose range ends on the hour that follows it), so no other test sees it.
    const at = `fromUnixTimestamp64Milli(toInt64(${END.getTime() + 5_400_000}), 'UTC')`;
    await seeded.store.command(
      `INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, operation, request_model, response_model, input_tokens, cost_usd, status)
       VALUES ('default', ${at}, 'emb', 'emb-span', 'support-bot', 'embeddings', 'text-embedding-3-small', 'text-embedding-3-small', 4000, 0.5, 'ok'),
              ('default', ${at}, 'emb', 'stt-span', 'support-bot', 'transcribe', 'gpt-4o-transcribe', 'gpt-4o-transcribe', 1000, 0.25, 'ok'),
              ('default', ${at}, 'emb', 'tts-span', 'support-bot', 'generate_speech', 'gpt-4o-mini-tts', 'gpt-4o-mini-tts', 200, 0.125, 'ok'),
              ('default', ${at}, 'emb', 'decide-span', 'support-bot', 'decide', 'openai/gpt-4o-mini', 'openai/gpt-4o-mini', 40, 0.0625, 'ok')`,
    );
    const later = (title: string) =>
      runPanel<Row>(
        seeded.store,
        sqlOf('oversight-overview', title),
        context(new Date(END.getTime() + 3_600_000), new Date(END.getTime() + 7_200_000), {
          project: 'default',
        }),
      );
    expect(await later('Cost')).toEqual([{ cost_usd: 0.9375 }]);
    expect(await later('Tokens')).toEqual([{ tokens: 5240 }]);
    expect(await later('Cost and tokens by model and service')).toEqual([
      expect.objectContaining({ model: 'text-embedding-3-small', requests: 1, cost_usd: 0.5 }),
      expect.objectContaining({ model: 'gpt-4o-transcribe', requests: 1, cost_usd: 0.25 }),
      expect.objectContaining({ model: 'gpt-4o-mini-tts', requests: 1, cost_usd: 0.125 }),
      expect.objectContaining({ model: 'openai/gpt-4o-mini', requests: 1, cost_usd: 0.0625 }),
    ]);
    expect(await later('Requests')).toEqual([{ requests: 0 }]);
    // The tokens a model burned, embeddings included: the series adds up to the Tokens stat.
    expect((await later('Tokens by model')).map((r) => [r.model, r.tokens])).toEqual([
      ['gpt-4o-mini-tts', 200],
      ['gpt-4o-transcribe', 1000],
      ['openai/gpt-4o-mini', 40],
      ['text-embedding-3-small', 4000],
    ]);
  });

  it("counts a remote agent's spend, which no traced model call repeats, and a local agent's none", async () => {
    // Five hours after the seeded traffic: a chat call, the app's own agent run around it (the
    // collector keeps no usage on it), and a remote agent whose model calls are not traced here.
    const from = new Date(END.getTime() + 5 * 3_600_000);
    const at = `fromUnixTimestamp64Milli(toInt64(${from.getTime() + 600_000}), 'UTC')`;
    await seeded.store.command(
      `INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, operation, provider, request_model, response_model, input_tokens, output_tokens, cost_usd, status)
       VALUES ('default', ${at}, 'agents', 'chat-span', 'support-bot', 'chat', 'openai', 'gpt-4o', 'gpt-4o', 100, 20, 0.01, 'ok'),
              ('default', ${at}, 'agents', 'local-agent', 'support-bot', 'invoke_agent', 'openai', 'gpt-4o', 'gpt-4o', NULL, NULL, NULL, 'ok'),
              ('default', ${at}, 'agents', 'remote-agent', 'support-bot', 'invoke_agent', 'openai', 'gpt-4o-mini', 'gpt-4o-mini', 1000, 200, 0.5, 'ok')`,
    );
    const ctx = context(from, new Date(from.getTime() + 3_600_000), { project: 'default' });
    const panel = (title: string) => runPanel<Row>(seeded.store, sqlOf('oversight-overview', title), ctx);
    const [cost] = await panel('Cost');
    expect(cost?.cost_usd).toBeCloseTo(0.51, 12);
    expect(await panel('Tokens')).toEqual([{ tokens: 1320 }]);
    expect((await panel('Tokens by model')).map((r) => [r.model, r.tokens])).toEqual([
      ['gpt-4o', 120],
      ['gpt-4o-mini', 1200],
    ]);
    expect(
      (await panel('Cost and tokens by model and service')).map((r) => [r.model, r.requests, r.input_tokens]),
    ).toEqual([
      ['gpt-4o-mini', 1, 1000],
      ['gpt-4o', 1, 100],
    ]);
    expect(await panel('Requests')).toEqual([{ requests: 1 }]);
  });

  it('lists a failed call once, not again as the agent run it failed', async () => {
    // Nine hours after the seeded traffic: a chat call failed inside the app's agent run (whose
    // span fails with it), and a remote agent failed on its own.
    const from = new Date(END.getTime() + 9 * 3_600_000);
    const at = (minutes: number) =>
      `fromUnixTimestamp64Milli(toInt64(${from.getTime() + minutes * 60_000}), 'UTC')`;
    await seeded.store.command(
      `INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, operation, request_model, status, error_type, status_message)
       VALUES ('default', ${at(10)}, 'local', 'local-chat', 'support-bot', 'chat', 'gpt-4o', 'error', 'rate_limit', '429'),
              ('default', ${at(10)}, 'local', 'local-agent', 'support-bot', 'invoke_agent', 'gpt-4o', 'error', 'rate_limit', '429'),
              ('default', ${at(20)}, 'remote', 'remote-agent', 'support-bot', 'invoke_agent', 'assistant', 'error', 'timeout', 'deadline')`,
    );
    const rows = await runPanel<Row>(
      seeded.store,
      sqlOf('oversight-overview', 'Recent failed calls'),
      context(from, new Date(from.getTime() + 3_600_000), { project: 'default' }),
    );
    expect(rows.map((r) => [r.trace_id, r.operation, r.error_type])).toEqual([
      ['remote', 'invoke_agent', 'timeout'],
      ['local', 'chat', 'rate_limit'],
    ]);
  });

  it('shows no time to first token for hours whose answers were not streamed', async () => {
    // A range of its own, three hours after the seeded traffic: one answer, returned whole.
    const from = new Date(END.getTime() + 3 * 3_600_000);
    const at = `fromUnixTimestamp64Milli(toInt64(${from.getTime() + 1_800_000}), 'UTC')`;
    await seeded.store.command(
      `INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, operation, request_model, response_model, duration_ns, status)
       VALUES ('default', ${at}, 'whole', 'whole-span', 'support-bot', 'chat', 'gpt-4o', 'gpt-4o', 800000000, 'ok')`,
    );
    const ctx = context(from, new Date(from.getTime() + 3_600_000), { project: 'default' });
    const latency = await runPanel<Row>(
      seeded.store,
      sqlOf('oversight-overview', 'Latency p50 / p95 / p99'),
      ctx,
    );
    expect(latency.map((r) => r.p50)).toEqual([800]);
    // No row, not a NaN point (JSON writes NaN as null).
    expect(
      await runPanel<Row>(seeded.store, sqlOf('oversight-overview', 'Time to first token p50 / p95'), ctx),
    ).toEqual([]);
  });

  it('shows no data, not NaN, for a rate over a range with nothing to count', async () => {
    // JSON output writes NaN as null: ask ClickHouse which one the panel returned.
    const nothing = async (uid: string, title: string, column: string) =>
      runPanel<Row>(
        seeded.store,
        `SELECT isNull(${column}) AS is_null FROM (${sqlOf(uid, title)})`,
        context(new Date(END.getTime() + 30 * 86_400_000), new Date(END.getTime() + 31 * 86_400_000), {
          project: 'default',
        }),
      );
    for (const [uid, title, column] of [
      ['oversight-overview', 'Error rate', 'error_rate'],
      ['oversight-hallucination', 'Hallucination rate', 'hallucination_rate'],
      ['oversight-hallucination', 'Mean groundedness', 'groundedness'],
      ['oversight-hallucination', 'Mean answer relevance', 'answer_relevance'],
      ['oversight-safety', 'Prompt injection', 'rate'],
      ['oversight-feedback', 'Thumbs-up rate', 'thumbs_up_rate'],
    ] as const)
      expect(await nothing(uid, title, column), `${uid}: ${title}`).toEqual([{ is_null: 1 }]);
  });

  it('splits cost by model and service, and lists failed calls with their trace', async () => {
    const rows = await run('oversight-overview', 'Cost and tokens by model and service');
    expect(rows).toHaveLength(6);
    expect(rows.reduce((s, r) => s + Number(r.requests), 0)).toBe(N + errors);
    const failed = await run('oversight-overview', 'Recent failed calls', {
      project: 'default',
      service: 'support-bot',
    });
    expect(failed).toHaveLength(50);
    expect(failed.every((r) => r.error_type === 'overloaded_error' && r.service_name === 'support-bot')).toBe(
      true,
    );
  });
});

describe('ranges that start or end inside an hour', () => {
  // 01:50–03:20: ten minutes of the second hour, the whole third, twenty minutes of the fourth.
  const from = new Date(START.getTime() + 110 * 60_000);
  const to = new Date(START.getTime() + 200 * 60_000);
  const ranged = (uid: string, title: string) =>
    runPanel<Row>(seeded.store, sqlOf(uid, title), context(from, to, { project: 'default' }));

  it('counts the calls, tokens and cost in the range, not in the hours it touches', async () => {
    const answers = answersIn(from, to);
    const failures = failuresIn(from, to);
    expect([answers.length, failures.length]).toEqual([145, 9]);
    expect(await ranged('oversight-overview', 'Requests')).toEqual([
      { requests: answers.length + failures.length },
    ]);
    const [rate] = await ranged('oversight-overview', 'Error rate');
    expect(rate?.error_rate).toBeCloseTo(failures.length / (answers.length + failures.length), 12);
    const [cost] = await ranged('oversight-overview', 'Cost');
    expect(cost?.cost_usd).toBeCloseTo(answers.length * 0.001, 9);
    expect(await ranged('oversight-overview', 'Tokens')).toEqual([
      { tokens: answers.reduce((sum, i) => sum + 100 + (i % 7) + 50, 0) },
    ]);
    // Each hour's point holds what of the hour lies in the range.
    const hourOf = (slot: number) => new Date(at(slot) - (at(slot) % 3_600_000)).getTime();
    const perHour = new Map<number, number>();
    for (const slot of [...answers, ...failures])
      perHour.set(hourOf(slot), (perHour.get(hourOf(slot)) ?? 0) + 1);
    const series = await ranged('oversight-overview', 'Requests and errors');
    expect(
      series.map((r) => [Date.parse(`${String(r.time).replace(' ', 'T')}Z`), Number(r.requests)]),
    ).toEqual([...perHour.entries()].sort((a, b) => a[0] - b[0]));
  });

  it('rates the answers scored in the range', async () => {
    const answers = answersIn(from, to);
    expect(await ranged('oversight-hallucination', 'Scored answers')).toEqual([{ scored: answers.length }]);
    const hallucinated = answers.filter((i) => Math.floor(i / 6) % 4 === 0).length;
    const [rate] = await ranged('oversight-hallucination', 'Hallucination rate');
    expect(rate?.hallucination_rate).toBeCloseTo(hallucinated / answers.length, 12);
    const buckets = await ranged('oversight-hallucination', 'Groundedness distribution');
    expect(buckets.reduce((sum, r) => sum + Number(r.answers), 0)).toBe(answers.length);
  });

  it('counts the gap signals of the answers in the range', async () => {
    // Answer i is a gap with both signals when intDiv(i, 6) % 4 < intDiv(i, 24) % 3.
    const gaps = answersIn(from, to).filter((i) => Math.floor(i / 6) % 4 < Math.floor(i / 24) % 3).length;
    expect(await ranged('oversight-kb-gaps', 'Why answers were gaps')).toEqual([
      { signal: 'low_retrieval_score', answers: gaps },
      { signal: 'refusal', answers: gaps },
    ]);
  });

  it('ranks the traces flagged in the range, not in the hours it touches', async () => {
    // 01:10–01:40. Answer i's one safety score (scorer i % 5) flags it when intDiv(i, 5) % 20 < i % 5 + 1.
    const inside = [
      new Date(START.getTime() + 70 * 60_000),
      new Date(START.getTime() + 100 * 60_000),
    ] as const;
    const flagged = answersIn(...inside).filter((i) => Math.floor(i / 5) % 20 < (i % 5) + 1);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.length).toBeLessThan(25);
    const rows = await runPanel<Row>(
      seeded.store,
      sqlOf('oversight-safety', 'Top offending traces'),
      context(...inside, { project: 'default' }),
    );
    expect(
      rows.map((r) => Date.parse(`${String(r.first_seen).replace(' ', 'T')}Z`)).sort((a, b) => a - b),
    ).toEqual(flagged.map((i) => at(i)));
  });

  it('counts the feedback given in the range, narrowed by the answer it is about', async () => {
    // Thumbs on answer i % 24 in {0, 7, 14, 21}, 30 s after it, down when intDiv(i, 6) % 4 = 0;
    // edits on i % 24 = 15, 40 s after it (odd i: search-api's answers).
    const given = (offsetMs: number, slots: number[]) =>
      [...Array(N).keys()].filter(
        (i) =>
          slots.includes(i % 24) && at(i) + offsetMs >= from.getTime() && at(i) + offsetMs <= to.getTime(),
      );
    const thumbs = given(30_000, [0, 7, 14, 21]);
    const ups = thumbs.filter((i) => Math.floor(i / 6) % 4 !== 0);
    const edits = given(40_000, [15]);
    expect(await ranged('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: thumbs.length }]);
    const [rate] = await ranged('oversight-feedback', 'Thumbs-up rate');
    expect(rate?.thumbs_up_rate).toBeCloseTo(ups.length / thumbs.length, 12);
    const narrowed = (service: string) =>
      runPanel<Row>(
        seeded.store,
        sqlOf('oversight-feedback', 'Edited answers'),
        context(from, to, { project: 'default', service }),
      );
    expect(await narrowed('search-api')).toEqual([{ edits: edits.length }]);
    expect(await narrowed('support-bot')).toEqual([{ edits: 0 }]);
    const byModel = await ranged('oversight-feedback', 'Thumbs-up rate by model');
    expect(byModel.reduce((sum, r) => sum + Number(r.thumbs), 0)).toBe(thumbs.length);
  });

  it('rates the texts the safety scorers read in the range', async () => {
    // The PII scorer reads answer i when i % 5 = 0 and flags it when intDiv(i, 5) % 20 = 0.
    const read = answersIn(from, to).filter((i) => i % 5 === 0);
    const flagged = read.filter((i) => Math.floor(i / 5) % 20 === 0);
    expect(flagged.length).toBeGreaterThan(0);
    const [pii] = await ranged('oversight-safety', 'PII');
    expect(pii?.rate).toBeCloseTo(flagged.length / read.length, 12);
  });
});

describe('knowledge-base gaps dashboard', () => {
  it('ranks topics by their mean graded gap score, with flag counts and sample questions', async () => {
    const rows = await run('oversight-kb-gaps', 'Topics ranked by mean gap score');
    // Billing has no flagged gap but ranks second: its answers' graded scores say retrieval was weak.
    expect(rows.map((r) => [r.topic, r.questions, r.gaps, r.gap_rate, r.graded])).toEqual([
      ['crypto payments', N / 3, N / 6, 0.5, N / 3],
      ['billing', N / 3, 0, 0, N / 3],
      ['passwords', N / 3, N / 12, 0.25, N / 3],
    ]);
    // Each topic's mean (0.6, 0.5, 0.4) shrunk by five answers at the range's mean (0.5).
    const shrunk = (mean: number) => (mean * (N / 3) + 5 * 0.5) / (N / 3 + 5);
    expect(rows.map((r) => Number(r.mean_gap_score))).toEqual(
      [0.6, 0.5, 0.4].map((m) => expect.closeTo(shrunk(m), 5)),
    );
    const top = rows[0] as Row;
    expect(Number(top.gap_score)).toBeGreaterThan(0.47);
    expect(Number(top.gap_score)).toBeLessThan(0.5);
    expect((top.sample_questions as string[]).every((q) => q.endsWith('about crypto payments'))).toBe(true);
  });

  it('shows only the topic first seen in the range as new', async () => {
    const rows = await run('oversight-kb-gaps', 'New topics');
    expect(rows.map((r) => r.topic)).toEqual(['crypto payments']);
  });

  it('gives each topic a gap-rate series', async () => {
    const rows = await run('oversight-kb-gaps', 'Gap rate by topic', { project: 'default', topic: '102' });
    expect(rows).toHaveLength(HOURS);
    expect(rows.every((r) => r.topic === 'passwords' && r.gap_rate === 0.25)).toBe(true);
  });

  it('nets a re-score out of the gap rate before its take-back row merges', async () => {
    // A re-scored gap answer not yet merged: the take-back row of the old score
    // (one gap checked less, one gap less) and the new score's (checked, no gap).
    const hour = `toDateTime(${Math.floor(START.getTime() / 1000)}, 'UTC')`;
    const row = (checked: number, gaps: number) =>
      `('default', ${hour}, 'support-bot', 'gpt-4o-mini', 102, ${checked}, ${gaps})`;
    await seeded.store.command(
      `INSERT INTO llm_quality_hourly (project_id, hour, service_name, model, topic_id, gap_checked, gaps) VALUES ${row(-1, -1)}, ${row(1, 0)}`,
    );
    try {
      const rows = await run('oversight-kb-gaps', 'Gap rate by topic', { project: 'default', topic: '102' });
      // 24 passwords questions in the hour, 6 gaps: now 5.
      expect(rows[0]?.gap_rate).toBe(5 / 24);
    } finally {
      await seeded.store.command(
        `INSERT INTO llm_quality_hourly (project_id, hour, service_name, model, topic_id, gap_checked, gaps) VALUES ${row(1, 1)}, ${row(-1, 0)}`,
      );
    }
    expect(
      (await run('oversight-kb-gaps', 'Gap rate by topic', { project: 'default', topic: '102' }))[0]
        ?.gap_rate,
    ).toBe(0.25);
  });

  it('bins top retrieval scores and counts gap signals', async () => {
    expect(await run('oversight-kb-gaps', 'Top retrieval score distribution')).toEqual([
      { bucket: '0.2', retrievals: N / 4 },
      { bucket: '0.8', retrievals: (3 * N) / 4 },
    ]);
    expect(await run('oversight-kb-gaps', 'Why answers were gaps')).toEqual([
      { signal: 'low_retrieval_score', answers: N / 4 },
      { signal: 'refusal', answers: N / 4 },
    ]);
  });

  it("leaves a reranker's scores out of the retrieval score distribution", async () => {
    const at = `fromUnixTimestamp64Milli(toInt64(${START.getTime() + 3_600_000}), 'UTC')`;
    await seeded.store.command(
      `INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, operation) VALUES ('default', ${at}, 'rr', 'rerank-span', 'rerank')`,
    );
    await seeded.store.command(
      `INSERT INTO retrieval_documents (project_id, timestamp, trace_id, span_id, document_id, rank, score) VALUES ('default', ${at}, 'rr', 'rerank-span', 'doc', 1, 0.97)`,
    );
    try {
      expect(await run('oversight-kb-gaps', 'Top retrieval score distribution')).toEqual([
        { bucket: '0.2', retrievals: N / 4 },
        { bucket: '0.8', retrievals: (3 * N) / 4 },
      ]);
    } finally {
      await seeded.store.command("DELETE FROM retrieval_documents WHERE span_id = 'rerank-span'");
      await seeded.store.command("DELETE FROM llm_spans WHERE span_id = 'rerank-span'");
    }
  });
});

describe('safety dashboard', () => {
  it.each(SAFETY.map((s) => [s.evaluator, s.rate] as const))(
    '%s flag rate reads %s',
    async (evaluator, rate) => {
      const title = {
        pii: 'PII',
        prompt_injection: 'Prompt injection',
        jailbreak: 'Jailbreak',
        toxicity: 'Toxicity',
        refusal: 'Refusal',
      }[evaluator];
      const [row] = await run('oversight-safety', title);
      expect(row?.rate).toBeCloseTo(rate, 12);
    },
  );

  it('counts guard decisions', async () => {
    const guards = N / 8;
    expect(await run('oversight-safety', 'Guard blocks')).toEqual([{ blocked: guards / 4 }]);
    const rows = await run('oversight-safety', 'Guard decisions by category');
    const byDecision = new Map<string, number>();
    for (const r of rows)
      byDecision.set(String(r.decision), (byDecision.get(String(r.decision)) ?? 0) + Number(r.decisions));
    expect(Object.fromEntries(byDecision)).toEqual(
      Object.fromEntries(GUARD_DECISIONS.filter((d) => d !== 'allowed').map((d) => [d, guards / 4])),
    );
    const series = await run('oversight-safety', 'Guard decisions');
    expect(series.reduce((s, r) => s + Number(r.decisions), 0)).toBe((3 * guards) / 4);
  });

  it('counts a guard check that blocked for two reasons as one block', async () => {
    // Seven hours after the seeded traffic: one input check blocked as injection and as
    // jailbreak (one evaluation row per category), one that only redacted PII.
    const from = new Date(END.getTime() + 7 * 3_600_000);
    const at = `fromUnixTimestamp64Milli(toInt64(${from.getTime() + 600_000}), 'UTC')`;
    const row = (span: string, category: string, decision: string) =>
      `('default', ${at}, 'guarded', '${span}', '${category}', 'input', 0.9, '${decision}', '', 'sdk-1', 'sdk')`;
    await seeded.store.command(
      `INSERT INTO evaluations (project_id, timestamp, trace_id, span_id, evaluator, target, score, label, explanation, evaluator_version, source)
       VALUES ${[row('guard-1', 'prompt_injection', 'blocked'), row('guard-1', 'jailbreak', 'blocked'), row('guard-2', 'pii', 'redacted')].join(', ')}`,
    );
    const ctx = context(from, new Date(from.getTime() + 3_600_000), { project: 'default' });
    expect(await runPanel<Row>(seeded.store, sqlOf('oversight-safety', 'Guard blocks'), ctx)).toEqual([
      { blocked: 1 },
    ]);
  });

  it('ranks offending traces', async () => {
    const rows = await run('oversight-safety', 'Top offending traces');
    expect(rows).toHaveLength(25);
    expect(rows.every((r) => r.flags === 1 && r.max_score === 0.95)).toBe(true);
  });
});

describe('feedback dashboard', () => {
  it('reads the thumbs-up rate once per feedback id (FINAL) as 75 %', async () => {
    expect(await run('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: N / 6 }]);
    expect(await run('oversight-feedback', 'Thumbs-up rate')).toEqual([{ thumbs_up_rate: 0.75 }]);
    expect(await run('oversight-feedback', 'Edited answers')).toEqual([{ edits: N / 24 }]);
  });

  it('splits thumbs by the model and topic of the answer', async () => {
    const byModel = await run('oversight-feedback', 'Thumbs-up rate by model');
    expect(byModel.map((r) => [r.model, r.thumbs_up_rate])).toEqual([
      ['gpt-4o-mini', 0.5],
      ['claude-sonnet-4-5', 1],
      ['gpt-4o', 1],
    ]);
    const byTopic = await run('oversight-feedback', 'Thumbs-up rate by topic');
    expect(byTopic.map((r) => r.thumbs_up_rate)).toEqual([0.75, 0.75, 0.75]);
  });

  it('lists comments and corrections, newest first', async () => {
    const rows = await run('oversight-feedback', 'Recent comments and corrections');
    expect(rows).toHaveLength(50);
    expect(
      rows.every((r) => r.comment === 'wrong answer' || String(r.correction).startsWith('corrected answer')),
    ).toBe(true);
  });
});

describe('alert rules', () => {
  const rules = parse(readFileSync(join(GRAFANA_DIR, 'provisioning/alerting/rules.yaml'), 'utf8')) as {
    groups: {
      rules: {
        uid: string;
        data: { refId: string; relativeTimeRange: { from: number }; model: Record<string, unknown> }[];
      }[];
    }[];
  };
  const ruleSql = (uid: string) => {
    const rule = rules.groups[0]?.rules.find((r) => r.uid === uid);
    const a = rule?.data.find((d) => d.refId === 'A');
    if (!a) throw new Error(`no rule ${uid}`);
    return { sql: String(a.model.rawSql), lookback: a.relativeTimeRange.from };
  };
  const evaluate = async (uid: string, at: Date) => {
    const { sql, lookback } = ruleSql(uid);
    return runPanel<Row>(
      seeded.store,
      sql,
      context(new Date(at.getTime() - lookback * 1000), at, {}, 60_000),
    );
  };

  it('hallucination rate: one instance per project and service', async () => {
    // The other project's 480 answers fill the first five hours.
    expect(
      await evaluate('oversight-hallucination-rate', new Date(START.getTime() + 2 * 3_600_000 - 1000)),
    ).toEqual([
      { project_id: 'acme-internal', service_name: 'support-bot', value: 1 },
      { project_id: 'default', service_name: 'search-api', value: 0.25 },
      { project_id: 'default', service_name: 'support-bot', value: 0.25 },
    ]);
  });

  it('hallucination rate: still reads the last full hour a few minutes into the next', async () => {
    // Nothing is scored yet in the hour under way; the hour before holds 96 answers.
    const rows = await evaluate('oversight-hallucination-rate', new Date(END.getTime() + 5 * 60_000));
    expect(rows).toEqual([
      { project_id: 'default', service_name: 'search-api', value: 0.25 },
      { project_id: 'default', service_name: 'support-bot', value: 0.25 },
    ]);
  });

  it('injection spike: steady traffic stays near 1× its baseline, one numeric column per project', async () => {
    const rows = await evaluate('oversight-injection-spike', END);
    expect(rows).toHaveLength(1);
    // Grafana alerts on a table with exactly one numeric column; any other is an error each evaluation.
    expect(Object.keys(rows[0] ?? {})).toEqual(['project_id', 'value']);
    expect(Number(rows[0]?.value)).toBeGreaterThan(0.5);
    expect(Number(rows[0]?.value)).toBeLessThan(2);
  });

  it('injection spike: quiet hours count in the baseline, so one old burst does not mask a new one', async () => {
    const at = new Date(END.getTime() + 6 * 86_400_000);
    const burst = (hour: number, count: number) =>
      seeded.store.command(
        `INSERT INTO evaluations_hourly (hour, project_id, evaluator, source, label, count)
         VALUES (toDateTime(${Math.floor(hour / 1000)}, 'UTC'), 'quiet', 'prompt_injection', 'collector', 'injection', ${count})`,
      );
    // 60 attempts in one hour three days before, then 60 in the last full hour:
    // against the hours that had a flag the baseline is 60 (1×); against every hour of the week, < 1.
    await burst(at.getTime() - 3 * 86_400_000, 60);
    await burst(at.getTime() - 3_600_000, 60);
    const quiet = (await evaluate('oversight-injection-spike', at)).find((r) => r.project_id === 'quiet');
    expect(Number(quiet?.value)).toBe(60);
  });

  it('injection spike: a project younger than the week is measured against the hours it has', async () => {
    const at = new Date(END.getTime() + 6 * 86_400_000);
    // Ten hours old, 800 texts scored an hour, 8 of them flagged every hour: steady, 1× its own baseline.
    const hours = [...Array(10).keys()].map((k) => Math.floor((at.getTime() - (k + 1) * 3_600_000) / 1000));
    await seeded.store.command(
      `INSERT INTO evaluations_hourly (hour, project_id, evaluator, source, label, count) VALUES ${hours
        .flatMap((h) => [
          `(toDateTime(${h}, 'UTC'), 'fresh', 'prompt_injection', 'collector', 'injection', 8)`,
          `(toDateTime(${h}, 'UTC'), 'fresh', 'prompt_injection', 'collector', 'benign', 792)`,
        ])
        .join(', ')}`,
    );
    const fresh = (await evaluate('oversight-injection-spike', at)).find((r) => r.project_id === 'fresh');
    expect(Number(fresh?.value)).toBe(1);
  });

  it('new topic gap: finds the new half-unanswered topic', async () => {
    expect(await evaluate('oversight-new-topic-gap', END)).toEqual([
      { project_id: 'default', topic: 'crypto payments', value: 0.5 },
    ]);
  });

  it('new topic gap: counts the hours of a topic merged into the new one', async () => {
    const ms = (x: number) => `fromUnixTimestamp64Milli(toInt64(${x}), 'UTC')`;
    const insert = (row: string) =>
      seeded.store.command(
        `INSERT INTO topics (project_id, topic_id, label, first_seen, last_seen, size, gap_count, representative, merged_into) VALUES ${row}`,
      );
    // 102 (passwords, a gap a quarter of the time) merged into the new 103 (half).
    await insert(
      `('default', 102, '', ${ms(END.getTime() + 1000)}, ${ms(END.getTime() + 1000)}, 0, 0, '', 103)`,
    );
    try {
      expect(await evaluate('oversight-new-topic-gap', END)).toEqual([
        { project_id: 'default', topic: 'crypto payments', value: 0.375 },
      ]);
    } finally {
      const perTopic = Math.floor(N / 3);
      const tenDays = START.getTime() - 10 * 86_400_000;
      await insert(
        `('default', 102, 'passwords', ${ms(tenDays)}, ${ms(END.getTime() + 2000)}, ${perTopic}, ${Math.floor(perTopic / 4)}, 'a question about passwords', 0)`,
      );
    }
    expect(await evaluate('oversight-new-topic-gap', END)).toEqual([
      { project_id: 'default', topic: 'crypto payments', value: 0.5 },
    ]);
  });
});

// Last: it changes the seeded data. The roll-up's refresh recomputes the newest hours from the raw rows.
describe('refreshed roll-ups', () => {
  const refresh = () => refreshViews(seeded.store);
  const byTopic = async () =>
    Object.fromEntries(
      (await run('oversight-feedback', 'Thumbs-up rate by topic')).map((r) => [
        r.topic,
        [Number(r.thumbs), r.thumbs_up_rate],
      ]),
    );

  it('gives the same figures after another refresh', async () => {
    const before = await byTopic();
    expect(before).toEqual(Object.fromEntries(TOPICS.map((t) => [t.label, [N / 18, 0.75]])));
    await refresh();
    expect(await byTopic()).toEqual(before);
    expect(await run('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: N / 6 }]);
  });

  it('moves a thumb with its answer when the answer changes topic, counting it once', async () => {
    // Answer N - 96 opens the last hour, is thumbed down (i % 24 = 0, hallucinated) and is about
    // topic 103; the trace stage re-assigns topics with a lightweight UPDATE, as here.
    const move = async (topic: number) => {
      await seeded.store.command(
        `UPDATE llm_spans SET topic_id = ${topic} WHERE project_id = 'default' AND trace_id = lower(hex(toUInt128(${N - 96})))`,
      );
      await refresh();
    };
    await move(101);
    let after = await byTopic();
    expect(after.billing).toEqual([N / 18 + 1, N / 24 / (N / 18 + 1)]);
    expect(after['crypto payments']).toEqual([N / 18 - 1, N / 24 / (N / 18 - 1)]);
    expect(after.passwords).toEqual([N / 18, 0.75]);
    // A topic of its own, then back: the hour's group for topic 999 vanishes and must not linger.
    await move(999);
    expect((await byTopic())['999']).toEqual([1, 0]);
    await move(103);
    after = await byTopic();
    expect(after).toEqual(Object.fromEntries(TOPICS.map((t) => [t.label, [N / 18, 0.75]])));
    expect(await run('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: N / 6 }]);
  });

  it('ranks the traces flagged most first, from the hourly top traces', async () => {
    // The seed flags each trace at most once; two traces of the last hour get more flags now.
    const at = (i: number) => `fromUnixTimestamp64Milli(toInt64(${START.getTime()} + ${i} * 37500), 'UTC')`;
    const flag = (i: number, evaluator: string, label: string, score: number) =>
      `('default', ${at(i)}, lower(hex(toUInt128(${i}))), lower(hex(toUInt64(${i}))), '${evaluator}', 'input', ${score}, '${label}', '', 'v1', 'collector')`;
    await seeded.store.command(`INSERT INTO evaluations (project_id, timestamp, trace_id, span_id, evaluator, target, score, label,
      explanation, evaluator_version, source) VALUES ${[
        flag(N - 50, 'jailbreak', 'jailbreak', 0.99),
        flag(N - 50, 'toxicity', 'toxic', 0.8),
        flag(N - 50, 'prompt_injection', 'injection', 0.9),
        flag(N - 40, 'pii', 'pii', 0.9),
        flag(N - 40, 'pii', 'no_pii', 0.1),
        flag(N - 40, 'refusal', 'refusal', 0.7),
      ].join(', ')}`);
    await refresh();
    const rows = await run('oversight-safety', 'Top offending traces');
    expect(rows).toHaveLength(25);
    const [first, second, third] = rows;
    expect([first?.flags, first?.max_score, [...((first?.scorers as string[]) ?? [])].sort()]).toEqual([
      3,
      0.99,
      ['jailbreak', 'prompt_injection', 'toxicity'],
    ]);
    expect([second?.flags, second?.max_score, [...((second?.scorers as string[]) ?? [])].sort()]).toEqual([
      2,
      0.9,
      ['pii', 'refusal'],
    ]);
    expect([third?.flags, third?.max_score]).toEqual([1, 0.95]);
    const ids = await seeded.store.query<{ t: string }>(
      `SELECT lower(hex(toUInt128(arrayJoin([${N - 50}, ${N - 40}])))) AS t`,
    );
    expect([first?.trace_id, second?.trace_id]).toEqual(ids.map((r) => r.t));
    // A re-score deletes the first trace's flags (the trace stage deletes superseded scores): it
    // leaves the ranking, and its row in the last hour stays only as no longer current.
    await seeded.store.command(
      `DELETE FROM evaluations WHERE project_id = 'default' AND trace_id = '${ids[0]?.t}' AND source = 'collector'`,
    );
    await refresh();
    const after = await run('oversight-safety', 'Top offending traces');
    expect([after[0]?.trace_id, after[0]?.flags]).toEqual([ids[1]?.t, 2]);
    expect(after.some((r) => r.trace_id === ids[0]?.t)).toBe(false);
    const lastHour = `toDateTime(${(END.getTime() - 3_600_000) / 1000})`;
    const current = await seeded.store.query<{ current: number; n: number }>(
      `SELECT current, count() AS n FROM flagged_traces_hourly FINAL WHERE hour = ${lastHour} GROUP BY current ORDER BY current`,
    );
    expect(current.map((r) => [r.current, r.n])).toEqual([
      [0, 1],
      [1, current[1]?.n],
    ]);
    expect(after).toHaveLength(25);
  });

  it('counts a thumb whose answer it cannot find, unless a pick narrows by the answer', async () => {
    // The refresh recomputes from the newest stored hour on: the thumb lands in the last hour.
    const at = `fromUnixTimestamp64Milli(toInt64(${END.getTime() - 30 * 60_000}), 'UTC')`;
    await seeded.store.command(
      `INSERT INTO feedback (id, project_id, timestamp, trace_id, span_id, user_id, kind, value)
       VALUES ('fb-no-answer', 'default', ${at}, 'no-such-trace', '', 'u1', 'thumbs', 1)`,
    );
    await refresh();
    try {
      expect(await run('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: N / 6 + 1 }]);
      expect(await run('oversight-feedback', 'Thumbs-up rate')).toEqual([
        { thumbs_up_rate: (N / 8 + 1) / (N / 6 + 1) },
      ]);
      // Thumbs on i % 24 = 0 and 14 are on support-bot's answers.
      expect(
        await run('oversight-feedback', 'Thumbs given', { project: 'default', service: 'support-bot' }),
      ).toEqual([{ thumbs: N / 12 }]);
      const byModel = await run('oversight-feedback', 'Thumbs-up rate by model');
      expect(byModel.reduce((sum, r) => sum + Number(r.thumbs), 0)).toBe(N / 6);
    } finally {
      await seeded.store.command("DELETE FROM feedback WHERE id = 'fb-no-answer'");
      await refresh();
    }
    expect(await run('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: N / 6 }]);
  });

  it('counts a user who changed their thumb once, by the newest, as answer_votes does', async () => {
    // Thumbs up, then down ten minutes later: two feedback() calls, two ids, one voter. The
    // refresh recomputes the newest hours, where both land; the range's end reads them raw.
    const stamp = (ms: number) => `fromUnixTimestamp64Milli(toInt64(${ms}), 'UTC')`;
    const first = END.getTime() - 50 * 60_000;
    const second = END.getTime() - 40 * 60_000;
    await seeded.store.command(
      `INSERT INTO feedback (id, project_id, timestamp, trace_id, span_id, user_id, kind, value) VALUES
       ('fb-changed-1', 'default', ${stamp(first)}, 'changed-trace', '', 'changer', 'thumbs', 1),
       ('fb-changed-2', 'default', ${stamp(second)}, 'changed-trace', '', 'changer', 'thumbs', 0)`,
    );
    await refresh();
    const seededThumbs = (from: number, to: number) =>
      [...Array(N).keys()].filter(
        (i) => [0, 7, 14, 21].includes(i % 24) && at(i) + 30_000 >= from && at(i) + 30_000 <= to,
      );
    const figures = async (from: number, to: number) => {
      const ctx = context(new Date(from), new Date(to), { project: 'default' });
      const [given] = await runPanel<Row>(seeded.store, sqlOf('oversight-feedback', 'Thumbs given'), ctx);
      const [rate] = await runPanel<Row>(seeded.store, sqlOf('oversight-feedback', 'Thumbs-up rate'), ctx);
      return [Number(given?.thumbs), Number(rate?.thumbs_up_rate)];
    };
    const expected = (from: number, to: number, changer: number) => {
      const thumbs = seededThumbs(from, to);
      const ups = thumbs.filter((i) => Math.floor(i / 6) % 4 !== 0).length;
      return [thumbs.length + changer, ups / (thumbs.length + changer)];
    };
    try {
      // Whole hours, from the roll-up: one thumb, down.
      const [given, rate] = await figures(START.getTime(), END.getTime());
      const [wantGiven, wantRate] = expected(START.getTime(), END.getTime(), 1);
      expect(given).toBe(wantGiven);
      expect(rate).toBeCloseTo(wantRate as number, 12);
      // A range ending between the two thumbs: the vote stands where its newest thumb was given.
      const early = [END.getTime() - 150 * 60_000, END.getTime() - 45 * 60_000] as const;
      expect((await figures(...early))[0]).toBe(expected(...early, 0)[0]);
      // A range ending after both, inside the hour: read raw, still one thumb, down.
      const late = [END.getTime() - 150 * 60_000, END.getTime() - 35 * 60_000] as const;
      const [lateGiven, lateRate] = await figures(...late);
      const [lateWant, lateWantRate] = expected(...late, 1);
      expect(lateGiven).toBe(lateWant);
      expect(lateRate).toBeCloseTo(lateWantRate as number, 12);
    } finally {
      await seeded.store.command("DELETE FROM feedback WHERE trace_id = 'changed-trace'");
      await refresh();
    }
    expect(await run('oversight-feedback', 'Thumbs given')).toEqual([{ thumbs: N / 6 }]);
  });

  it('flags the same labels as the dashboards', () => {
    const ddl = readFileSync(
      join(GRAFANA_DIR, '../collector/src/store/ddl/013_refreshed_rollups.sql'),
      'utf8',
    );
    expect(ddl).toContain(FLAGGED);
  });

  it('drops an answer from the gap signals when a re-score clears its gap', async () => {
    // Answer N - 96 (topic 103, h = 0) was a gap with both signals.
    await seeded.store.command(
      `UPDATE llm_spans SET kb_gap = 0, gap_signals = [] WHERE project_id = 'default' AND trace_id = lower(hex(toUInt128(${N - 96}))) AND kb_gap = 1`,
    );
    await refresh();
    expect(await run('oversight-kb-gaps', 'Why answers were gaps')).toEqual([
      { signal: 'low_retrieval_score', answers: N / 4 - 1 },
      { signal: 'refusal', answers: N / 4 - 1 },
    ]);
  });
});
