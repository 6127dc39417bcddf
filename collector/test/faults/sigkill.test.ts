import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/collector.ts';
import {
  CLI_KEY,
  type CliCollector,
  cliSql,
  expectAckedExactlyOnce,
  startCliCollector,
} from './cli-collector.ts';
import { startSender } from './sender.ts';
import { metricValue, postSpans } from './spans.ts';

/**
 * `oversight start` (embedded store) is SIGKILLed while exporters are posting
 * and the drain is writing; restarted on the same directories it replays its
 * log, and every span it acknowledged is in ClickHouse exactly once. Spans of
 * requests cut off by the kill may be there or not, whole, and never twice;
 * resent to the restarted collector, every request is then stored once.
 */
const SPANS_PER_REQUEST = 20;

const dirs: string[] = [];
const children: CliCollector[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

describe('SIGKILL of the collector mid-ingest', () => {
  it('delivers every acknowledged span exactly once after a restart', { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-sigkill-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');

    const first = await startCliCollector(dataDir);
    children.push(first);
    const sender = startSender({
      url: first.url,
      apiKey: CLI_KEY,
      workers: 4,
      spansPerRequest: SPANS_PER_REQUEST,
      stopOnConnectionError: true,
    });
    // Kill once the drain has written some of the log and the exporters are still going.
    await sender.waitForAcks(400);
    await waitFor(
      async () =>
        (metricValue(await scrape(first.url), 'oversight_rows_written_total', 'table="otel_traces"') ?? 0) >
        0,
      60_000,
      'rows written before the kill',
    );
    await sender.waitForAcks(sender.acked.size + 200);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await sender.stop();
    const acked = new Set(sender.acked);
    const sentIds = new Set(sender.sent.flatMap((b) => b.spanIds));
    // Requests in flight at the kill got no answer.
    expect(sender.refusals.length).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(sentIds.size);

    // With no collector running, `oversight sql` opens the data dir itself: what was written before the kill.
    const before = await cliSql<{ n: number | string }>(dataDir, 'SELECT count() AS n FROM otel_traces');
    // Some acknowledged spans were only in the log: the restart has something to replay.
    expect(Number(before[0]?.n)).toBeGreaterThan(0);
    expect(Number(before[0]?.n)).toBeLessThan(acked.size);
    const second = await startCliCollector(dataDir);
    children.push(second);
    await waitFor(
      async () => metricValue(await scrape(second.url), 'oversight_queue_depth') === 0,
      120_000,
      'the replayed log to drain',
    );

    for (const counts of (await expectAckedExactlyOnce(dataDir, acked, sentIds)).values()) {
      // A request cut off by the kill is in the log whole or not at all.
      for (const batch of sender.sent) {
        const present = batch.spanIds.filter((id) => counts.has(id)).length;
        expect([0, batch.spanIds.length]).toContain(present);
      }
    }

    // Exporters resend what got no answer; resending every request checks each the first process
    // took is known to the second (from its journal, or from the log), and each it never took is stored now.
    const resentBefore = metricValue(await scrape(second.url), 'oversight_spans_resent_total') ?? 0;
    for (const batch of sender.sent) expect((await postSpans(second.url, CLI_KEY, batch)).status).toBe(200);
    await waitFor(
      async () => metricValue(await scrape(second.url), 'oversight_queue_depth') === 0,
      120_000,
      'the resends to drain',
    );
    const resent =
      (metricValue(await scrape(second.url), 'oversight_spans_resent_total') ?? 0) - resentBefore;
    expect(resent).toBeGreaterThanOrEqual(acked.size);
    await expectAckedExactlyOnce(dataDir, sentIds, sentIds);

    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
