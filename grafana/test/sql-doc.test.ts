/**
 * docs/sql.md is executable: every ```sql block runs read-only on the seeded
 * traffic of grafana/test/seed.ts, and the answers follow from the seed's rates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterNames, type SqlBlock, sqlBlocks } from '../../collector/test/docs/markdown-sql.ts';
import { GRAFANA_DIR } from '../src/generate.ts';
import { openSeededStore, type SeededStore } from './harness.ts';
import { ANSWERS_PER_HOUR, MODELS, SERVICES } from './seed.ts';

const START = new Date('2026-11-01T00:00:00Z');
const HOURS = 75;
const N = ANSWERS_PER_HOUR * HOURS;
const BLOCKS = sqlBlocks(readFileSync(join(GRAFANA_DIR, '..', 'docs/sql.md'), 'utf8'));
const PARAMS: Record<string, string> = {
  project: 'default',
  from: '2026-11-01 00:00:00',
  to: '2026-11-04 03:00:00',
};

let seeded: SeededStore;
beforeAll(async () => {
  seeded = await openSeededStore({ start: START, hours: HOURS, otherProjectAnswers: 480 });
});
afterAll(async () => {
  await seeded?.close();
});

type Row = Record<string, unknown>;
function block(number: number): SqlBlock {
  const found = BLOCKS.filter((b) => b.heading.startsWith(`${number}. `));
  if (found.length !== 1)
    throw new Error(`expected one sql block under heading ${number}., found ${found.length}`);
  return found[0] as SqlBlock;
}
async function run(number: number): Promise<Row[]> {
  const b = block(number);
  const params = Object.fromEntries(parameterNames(b.sql).map((name) => [name, PARAMS[name] as string]));
  return seeded.store.query<Row>(b.sql, { readonly: true, params });
}

describe('docs/sql.md', () => {
  it('has at least a dozen numbered queries, each one read statement with known parameters', () => {
    const numbered = BLOCKS.filter((b) => /^\d+\. /.test(b.heading));
    expect(numbered.length).toBe(BLOCKS.length);
    expect(numbered.length).toBeGreaterThanOrEqual(12);
    for (const b of BLOCKS) {
      expect(b.sql, `line ${b.line}`).toMatch(/^(SELECT|WITH)\b/);
      for (const name of parameterNames(b.sql)) expect(PARAMS, `line ${b.line}`).toHaveProperty(name);
    }
  });

  it.each(BLOCKS.map((b) => [b.heading, b] as const))('runs and returns rows: %s', async (heading) => {
    const number = Number(heading.split('.')[0]);
    expect((await run(number)).length).toBeGreaterThan(0);
  });

  it('1. prompt v1 hallucinates half the time, v2 never', async () => {
    const rows = await run(1);
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      expect(r.answers).toBe(N / 6);
      expect(r.hallucination_rate).toBe(r.prompt_version === 'v1' ? 0.5 : 0);
    }
  });

  it('2. every service reads 25 % every day', async () => {
    const rows = await run(2);
    expect(rows).toHaveLength(4 * SERVICES.length);
    expect(new Set(rows.map((r) => r.rate))).toEqual(new Set([0.25]));
  });

  it('3. lists the least grounded answers with their unsupported claims', async () => {
    const rows = await run(3);
    expect(rows).toHaveLength(10);
    for (const r of rows) expect(r.unsupported).toMatch(/^unsupported: "claim \d+"$/);
  });

  it('4. users thumb down the ungrounded answers', async () => {
    expect(await run(4)).toEqual([
      { verdict: 'grounded', thumbs: N / 8, thumbs_up_rate: 1 },
      { verdict: 'not grounded', thumbs: N / 24, thumbs_up_rate: 0 },
    ]);
  });

  it('5. and 6. the crypto-payments topic is the biggest gap', async () => {
    const unanswered = await run(5);
    expect(unanswered.map((r) => [r.topic, r.unanswered, r.reasons])).toEqual([
      ['crypto payments', N / 6, { low_retrieval_score: N / 6, refusal: N / 6 }],
      ['passwords', N / 12, { low_retrieval_score: N / 12, refusal: N / 12 }],
    ]);
    const ranked = await run(6);
    // By the graded score's mean, billing's weak retrieval (0.5) outranks passwords' (0.4),
    // which the flags rank the other way round.
    expect(ranked.map((r) => [r.topic, r.mean_gap_score, r.gap_rate])).toEqual([
      ['crypto payments', 0.6, 0.5],
      ['billing', 0.5, 0.0417],
      ['passwords', 0.4, 0.25],
    ]);
    // kb_gaps counts a thumbed-down answer as a gap: billing's ungrounded answers (1 in 24) were thumbed down.
    expect(ranked.map((r) => r.gaps)).toEqual([N / 6, N / 72, N / 12]);
  });

  it('7. gaps come with weak retrieval', async () => {
    expect(await run(7)).toEqual([
      { outcome: 'answered', retrievals: (3 * N) / 4, mean_top_score: 0.85 },
      { outcome: 'gap', retrievals: N / 4, mean_top_score: 0.25 },
    ]);
  });

  it('8. and 9. cost per session and per model', async () => {
    const sessions = await run(8);
    expect(sessions).toHaveLength(10);
    expect(sessions[0]).toMatchObject({ calls: 4, cost_usd: 0.004 });
    const models = await run(9);
    expect(models.map((r) => r.model).sort()).toEqual([...MODELS].sort());
    expect(models.reduce((s, r) => s + Number(r.cost_usd), 0)).toBeCloseTo(N * 0.001, 6);
    expect(models.reduce((s, r) => s + Number(r.errors), 0)).toBe(N / 16);
  });

  it('10. counts failures by provider', async () => {
    const rows = await run(10);
    expect(rows.reduce((s, r) => s + Number(r.failures), 0)).toBe(N / 16);
    expect(new Set(rows.map((r) => r.error_type))).toEqual(new Set(['overloaded_error']));
  });

  it('11. PII leaks: every hundredth answer, all on support-bot', async () => {
    expect(await run(11)).toEqual([{ service_name: 'support-bot', leaks: N / 100, sessions: N / 100 }]);
  });

  it('12. flag rates from the roll-up', async () => {
    expect((await run(12)).map((r) => [r.evaluator, r.flag_rate])).toEqual([
      ['jailbreak', 0.15],
      ['pii', 0.05],
      ['prompt_injection', 0.1],
      ['refusal', 0.25],
      ['toxicity', 0.2],
    ]);
  });

  it('13. guard decisions per category', async () => {
    const rows = await run(13);
    const total = rows.reduce((s, r) => s + Number(r.blocked) + Number(r.redacted) + Number(r.flagged), 0);
    expect(total).toBe(((N / 8) * 3) / 4);
  });

  it('14. to 16. injections by user, thumbs by model, corrections', async () => {
    const users = await run(14);
    expect(users.length).toBeLessThanOrEqual(10);
    expect(Number(users[0]?.attempts)).toBeGreaterThanOrEqual(Number(users.at(-1)?.attempts));
    expect((await run(15)).map((r) => [r.model, r.thumbs_up_rate])).toEqual([
      ['gpt-4o-mini', 0.5],
      ['claude-sonnet-4-5', 1],
      ['gpt-4o', 1],
    ]);
    const edits = await run(16);
    expect(edits).toHaveLength(10);
    for (const r of edits) expect(r.correction).toMatch(/^corrected answer \d+$/);
  });
});
