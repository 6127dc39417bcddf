import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { post, type RagTrace, ragTrace } from '../enrich/rag-traces.ts';
import { waitFor } from '../helpers/collector.ts';
import { CLI_KEY, type CliCollector, cliSql, startCliCollector } from './cli-collector.ts';
import { metricValue } from './spans.ts';

/**
 * `oversight start` is SIGKILLed while some RAG traces are scored and others
 * are still open in its assembler (their spans stored, their scores not).
 * Restarted on the same directories, it recovers the open ones from
 * ClickHouse; in the end every generation has exactly one row per evaluator
 * and its quality columns set, the scored ones untouched.
 */
const dirs: string[] = [];
const children: CliCollector[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
// Roots end a trace after 1 s; traces without a root stay open for 10 minutes.
const ARGS = ['--trace-grace-ms', '1000', '--trace-idle-ms', '600000'];

describe('SIGKILL with traces open in the assembler', () => {
  it('ends with exactly one score per generation and evaluator', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-trace-kill-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const first = await startCliCollector(dataDir, ARGS);
    children.push(first);

    const done = Array.from({ length: 4 }, (_, i) => ragTrace(i % 2 === 0 ? 'otel-genai' : 'openinference'));
    for (const t of done) {
      await post(first.url, CLI_KEY, t.generation);
      await post(first.url, CLI_KEY, t.retrieval);
      await post(first.url, CLI_KEY, t.root);
    }
    await waitFor(
      async () =>
        (metricValue(await scrape(first.url), 'oversight_trace_scored_total', 'kind="generations"') ?? 0) >=
        done.length,
      20_000,
      'the first traces scored',
    );

    // Mid-trace: retrieval and generation stored, the root never sent; the assembler holds them.
    const open: RagTrace[] = Array.from({ length: 4 }, (_, i) =>
      ragTrace(i % 2 === 0 ? 'openllmetry' : 'otel-genai'),
    );
    for (const t of open) {
      await post(first.url, CLI_KEY, t.retrieval);
      await post(first.url, CLI_KEY, t.generation);
    }
    await waitFor(
      async () => {
        const m = await scrape(first.url);
        return (
          (metricValue(m, 'oversight_rows_written_total', 'table="llm_spans"') ?? 0) >=
            2 * (done.length + open.length) && (metricValue(m, 'oversight_trace_open') ?? 0) >= open.length
        );
      },
      20_000,
      'open traces stored and assembling',
    );
    first.kill('SIGKILL');
    await first.exited;

    const second = await startCliCollector(dataDir, ARGS);
    children.push(second);
    // The roots arrive after the restart: a trace this process never saw, already scored by recovery.
    for (const t of open) await post(second.url, CLI_KEY, t.root);

    const all = [...done, ...open];
    const spanList = all.map((t) => `'${t.generationId}'`).join(',');
    const rows = await waitFor(
      async () => {
        const got = await cliSql<{ span_id: string; evaluator: string; n: number }>(
          dataDir,
          `SELECT span_id, evaluator, toUInt32(count()) AS n FROM evaluations
            WHERE span_id IN (${spanList}) AND source = 'collector' GROUP BY span_id, evaluator`,
        );
        return got.length >= all.length * 3 ? got : null;
      },
      30_000,
      'every generation scored',
    );
    // The roots' traces are flushed 1 s after they arrive; let any wrong re-score land before counting.
    await new Promise((r) => setTimeout(r, 2_500));
    const final = await cliSql<{ span_id: string; evaluator: string; n: number }>(
      dataDir,
      `SELECT span_id, evaluator, toUInt32(count()) AS n FROM evaluations
        WHERE span_id IN (${spanList}) AND source = 'collector' GROUP BY span_id, evaluator ORDER BY span_id, evaluator`,
    );
    expect(rows.length).toBe(all.length * 3);
    expect(final).toHaveLength(all.length * 3);
    expect(final.every((r) => Number(r.n) === 1)).toBe(true);
    const columns = await cliSql<{ span_id: string; hallucinated: number | null }>(
      dataDir,
      `SELECT span_id, hallucinated FROM llm_spans WHERE span_id IN (${spanList})`,
    );
    expect(columns).toHaveLength(all.length);
    expect(columns.every((c) => c.hallucinated === 1)).toBe(true);
    const m = await scrape(second.url);
    expect(metricValue(m, 'oversight_trace_scored_total', 'kind="recovered"')).toBeGreaterThanOrEqual(
      open.length,
    );
  });
});
