/**
 * Every Grafana panel and alert query (grafana/dashboards, grafana/provisioning/
 * alerting), expanded as the ClickHouse plugin would for a 30-day range with
 * every variable on "All", timed on chdb over 1M and 10M answers seeded by
 * INSERT … SELECT FROM numbers() (grafana/test/seed.ts; plus its evaluations,
 * retrieval documents, feedback and guardrail rows). Baseline, same run and
 * store: a full scan of llm_spans (count and sum of durations). Goal: every
 * panel under 500 ms. Median of 3 runs after one warm-up. The refreshed
 * roll-ups (migration 013) are brought up to date by the seed, as their timer
 * would; their refresh time is part of the seeding time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GRAFANA_DIR } from '../../grafana/src/generate.ts';
import { expand } from '../../grafana/test/expand.ts';
import { context, openSeededStore } from '../../grafana/test/harness.ts';
import { note, printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { median } from '../stats.ts';

const DAYS = 30;
/**
 * OVERSIGHT_BENCH_KEEP_STORES=1 keeps the seeded stores in .bench/dashboards
 * and reuses one whose seed and migrations are unchanged (seeding 10M answers
 * takes minutes; the directories take ~1 GB for 10M).
 */
const KEEP_DIR = process.env.OVERSIGHT_BENCH_KEEP_STORES
  ? join(import.meta.dirname, '../../.bench/dashboards')
  : undefined;
const GOAL_MS = 500;

export interface DashboardQuery {
  name: string;
  sql: string;
  /** Alert queries see their own look-back, panels the dashboard range. */
  lookbackSeconds?: number;
}

/** Every panel target and ClickHouse alert query A, named `<dashboard>: <panel>` / `alert: <rule>`. */
export function dashboardQueries(): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const file of readdirSync(join(GRAFANA_DIR, 'dashboards')).sort()) {
    const board = JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', file), 'utf8')) as {
      uid: string;
      panels: { title: string; targets?: { rawSql: string }[] }[];
    };
    for (const panel of board.panels)
      for (const target of panel.targets ?? [])
        out.push({ name: `${board.uid.replace('oversight-', '')}: ${panel.title}`, sql: target.rawSql });
  }
  const rules = parse(readFileSync(join(GRAFANA_DIR, 'provisioning/alerting/rules.yaml'), 'utf8')) as {
    groups: {
      rules: {
        uid: string;
        data: { refId: string; relativeTimeRange: { from: number }; model: { rawSql?: string } }[];
      }[];
    }[];
  };
  for (const rule of rules.groups.flatMap((g) => g.rules)) {
    const a = rule.data.find((d) => d.refId === 'A');
    if (a?.model.rawSql)
      out.push({
        name: `alert: ${rule.uid.replace('oversight-', '')}`,
        sql: a.model.rawSql,
        lookbackSeconds: a.relativeTimeRange.from,
      });
  }
  return out;
}

async function timeAt(
  answers: number,
  list: DashboardQuery[],
): Promise<{ seedS: number; baselineMs: number; ms: number[] }> {
  const end = new Date('2026-12-01T00:00:00Z');
  const start = new Date(end.getTime() - DAYS * 86_400_000);
  const t0 = performance.now();
  const seeded = await openSeededStore(
    {
      start,
      hours: DAYS * 24,
      answersPerHour: Math.max(1, Math.round(answers / (DAYS * 24))),
      otherProjectAnswers: 1_000,
    },
    KEEP_DIR,
  );
  // A reused store reports no seeding time (NaN), not its opening time.
  const seedS = seeded.seeded ? (performance.now() - t0) / 1000 : Number.NaN;
  try {
    const timed = async (sql: string) => {
      await seeded.store.query(sql, { readonly: true });
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await seeded.store.query(sql, { readonly: true });
        runs.push(performance.now() - t);
      }
      return median(runs);
    };
    const baselineMs = await timed('SELECT count(), sum(duration_ns) FROM llm_spans');
    const ms: number[] = [];
    for (const q of list) {
      const from = q.lookbackSeconds ? new Date(end.getTime() - q.lookbackSeconds * 1000) : start;
      // Grafana's interval for a 30-day range on a ~1,000-pixel panel: 1 hour.
      ms.push(await timed(expand(q.sql, context(from, end, { project: 'default' }, 3_600_000))));
    }
    return { seedS, baselineMs, ms };
  } finally {
    await seeded.close();
  }
}

export const dashboards: Section = {
  name: 'dashboards',
  description: 'every Grafana panel and alert query on chdb at 1M and 10M spans (goal < 500 ms each)',
  async run(options: SectionOptions): Promise<Figures> {
    const sizes = options.quick ? [100_000, 1_000_000] : [1_000_000, 10_000_000];
    const list = dashboardQueries();
    const results: Awaited<ReturnType<typeof timeAt>>[] = [];
    const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
    const seeding = (s: number) =>
      Number.isNaN(s) ? 'reused a kept seeded store' : `seeded in ${s.toFixed(1)} s`;
    for (const size of sizes) {
      const r = await timeAt(size, list);
      results.push(r);
      // Seeding 10M takes minutes on a busy machine: show each size as it lands.
      note(
        `${label(size)}: ${seeding(r.seedS)}, scan baseline ${r.baselineMs.toFixed(0)} ms, slowest query ${Math.max(...r.ms).toFixed(0)} ms`,
      );
    }
    printTable(
      `Panel and alert query latency, ms (median of 3, 30-day range, all variables "All"; goal < ${GOAL_MS} ms)`,
      ['query', ...sizes.map((n) => `${label(n)} spans`)],
      [
        ['baseline: full scan of llm_spans', ...results.map((r) => Math.round(r.baselineMs * 10) / 10)],
        ...list.map((q, i) => [q.name, ...results.map((r) => Math.round((r.ms[i] as number) * 10) / 10)]),
      ],
    );
    const figures: Figures = {};
    sizes.forEach((size, s) => {
      const r = results[s] as (typeof results)[number];
      const tag = label(size);
      const over = r.ms.filter((m) => m >= GOAL_MS).length;
      note(
        `${tag}: ${seeding(r.seedS)}; slowest query ${Math.max(...r.ms).toFixed(0)} ms; ${over} of ${list.length} over ${GOAL_MS} ms`,
      );
      if (!Number.isNaN(r.seedS)) figures[`seed_s_${tag}`] = Math.round(r.seedS * 10) / 10;
      figures[`baseline_scan_ms_${tag}`] = Math.round(r.baselineMs * 10) / 10;
      figures[`max_query_ms_${tag}`] = Math.round(Math.max(...r.ms));
      figures[`median_query_ms_${tag}`] = Math.round(median(r.ms));
      figures[`queries_over_goal_${tag}`] = over;
    });
    return figures;
  },
};
