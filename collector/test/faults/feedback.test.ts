import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerStore, type ServerStore } from '../../src/store/clickhouse-store.ts';
import { type ChdbHttpServer, startChdbHttpServer } from '../helpers/chdb-http-server.ts';
import { waitFor } from '../helpers/collector.ts';
import { acquireChdbDataDir, releaseChdbDataDir } from '../helpers/store-backends.ts';
import { CLI_KEY, CLI_PROJECT, type CliCollector, startCliCollector } from './cli-collector.ts';
import { metricValue } from './spans.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/**
 * Feedback rides the write-ahead log like spans. The real `oversight start`
 * (server backend, behind a proxy the test cuts) acknowledges feedback while
 * ClickHouse is down; then ClickHouse takes the drain's insert but its answer
 * is lost, and the collector is SIGKILLed with feedback requests in flight.
 * Restarted on the same log, it replays: every acknowledged feedback is stored
 * exactly once (by its deduplication token, merges stopped so nothing hides a
 * copy), a resent id collapses to one row under FINAL, and a request the kill
 * cut off is there once or not at all.
 */
const DATABASE = `faults_feedback_${process.pid}`;

let clickhouse: ChdbHttpServer;
let proxy: TcpProxy;
let direct: ServerStore;
let dir: string;
const children: CliCollector[] = [];

beforeAll(async () => {
  clickhouse = await startChdbHttpServer({ dataDir: await acquireChdbDataDir() });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: clickhouse.port });
  direct = openServerStore({ url: clickhouse.url, database: DATABASE });
  dir = await mkdtemp(join(tmpdir(), 'oversight-feedback-faults-'));
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await direct?.command(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await direct?.close();
  await proxy?.close();
  await clickhouse?.close();
  await releaseChdbDataDir();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface SentFeedback {
  id: string;
  traceId: string;
  value: 'up' | 'down';
}

const newFeedback = (): SentFeedback => ({
  id: `fb-${randomBytes(8).toString('hex')}`,
  traceId: randomBytes(16).toString('hex'),
  value: Math.random() < 0.5 ? 'up' : 'down',
});

/** HTTP status, or the network error code when the collector is gone. */
async function post(url: string, feedback: SentFeedback): Promise<number | string> {
  try {
    const res = await fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLI_KEY}` },
      body: JSON.stringify(feedback),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).message;
  }
}

async function postAll(url: string, all: SentFeedback[]): Promise<(number | string)[]> {
  return Promise.all(all.map((f) => post(url, f)));
}

/** Raw row counts per id (no FINAL): a copy the tokens let through shows as 2. */
async function rawCounts(ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await direct.query<{ id: string; n: number | string }>(
    'SELECT id, count() AS n FROM feedback WHERE id IN {ids:Array(String)} GROUP BY id',
    { params: { ids } },
  );
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

async function queueDepth(url: string): Promise<number | null> {
  return metricValue(await (await fetch(`${url}/metrics`)).text(), 'oversight_queue_depth');
}

describe('feedback through a ClickHouse outage and a SIGKILL', () => {
  it('stores every acknowledged feedback exactly once after the restart', { timeout: 420_000 }, async () => {
    const dataDir = join(dir, 'data');
    const args = ['--clickhouse-url', proxy.url, '--database', DATABASE];
    const first = await startCliCollector(dataDir, args);
    children.push(first);
    // A background merge of the ReplacingMergeTree would collapse a copy and hide it from the count.
    await direct.command('SYSTEM STOP MERGES feedback');

    // ClickHouse up: the ordinary path, acknowledged and drained.
    const before = Array.from({ length: 10 }, newFeedback);
    expect(await postAll(first.url, before)).toEqual(Array(10).fill(202));
    await waitFor(async () => (await rawCounts(before.map((f) => f.id))).size === 10, 90_000, 'rows');

    // ClickHouse down: still acknowledged, once durable in the log; one id is sent twice (a client retry).
    await proxy.cut();
    const during = Array.from({ length: 40 }, newFeedback);
    const resent = during[0] as SentFeedback;
    expect(await postAll(first.url, [...during, resent])).toEqual(Array(41).fill(202));
    await waitFor(async () => ((await queueDepth(first.url)) ?? 0) >= 41, 90_000, 'queued feedback');
    expect((await rawCounts(during.map((f) => f.id))).size).toBe(0);

    // ClickHouse back but its answers lost: the drain's insert lands, the collector never learns it.
    // A round that never commits is retried as it was staged, so what lands is the round staged
    // during the outage: all 41 when they arrived within the drain's linger, fewer on a loaded machine.
    await proxy.loseResponses();
    await waitFor(
      async () => (await rawCounts(during.map((f) => f.id))).size > 0,
      // Generous: the drain backs off up to 5 s, and the shared test machine can be slow.
      120_000,
      'the outage backlog landing',
    );
    await waitFor(async () => proxy.lostResponses >= 1, 90_000, 'an insert whose answer was lost');

    // Clients keep posting; the kill cuts some requests off unanswered.
    const sent: SentFeedback[] = [];
    const acked = new Set<string>();
    let stopping = false;
    const client = async () => {
      while (!stopping) {
        const feedback = newFeedback();
        sent.push(feedback);
        const status = await post(first.url, feedback);
        if (status === 202) acked.add(feedback.id);
        else if (typeof status === 'string') return;
      }
    };
    const clients = Promise.all(Array.from({ length: 4 }, client));
    await waitFor(async () => acked.size >= 40, 90_000, 'acks before the kill');
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    stopping = true;
    await clients;
    expect(acked.size).toBeGreaterThanOrEqual(40);
    // Requests in flight at the kill got no answer.
    expect(sent.length).toBeGreaterThan(acked.size);

    await proxy.restore();
    const second = await startCliCollector(dataDir, args);
    children.push(second);
    await waitFor(async () => (await queueDepth(second.url)) === 0, 120_000, 'the replayed log to drain');

    const ackedIds = [...before, ...during].map((f) => f.id).concat([...acked]);
    const counts = await rawCounts(sent.map((f) => f.id).concat(ackedIds));
    const missing = ackedIds.filter((id) => !counts.has(id));
    expect(missing, 'acknowledged feedback missing').toEqual([]);
    for (const [id, n] of counts) {
      // Sent twice by the client: two rows for ReplacingMergeTree to collapse (one when both
      // landed in one insert, which the engine collapses on insert), never more.
      if (id === resent.id) expect([1, 2], id).toContain(n);
      else expect(n, id).toBe(1);
    }
    const [final] = await direct.query<{ n: number | string }>(
      'SELECT count() AS n FROM feedback FINAL WHERE id = {id:String}',
      { params: { id: resent.id } },
    );
    expect(Number(final?.n)).toBe(1);

    // Rows are whole and filed under the key's project.
    const sample = await direct.query<Record<string, unknown>>(
      'SELECT project_id, trace_id, kind, value FROM feedback FINAL WHERE id IN {ids:Array(String)} ORDER BY id',
      { params: { ids: during.map((f) => f.id) } },
    );
    const expected = [...during]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((f) => ({
        project_id: CLI_PROJECT,
        trace_id: f.traceId,
        kind: 'thumbs',
        value: f.value === 'up' ? 1 : 0,
      }));
    expect(sample).toEqual(expected);

    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
