/**
 * Parent side of a benchmark collector: starts `collector-child.ts` in its own
 * Node process, queries it the way `oversight sql` does (`/internal/sql` with
 * the token from its control file), asks it for its memory and CPU, stops it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessStats } from './process-stats.ts';

const CHILD = fileURLToPath(new URL('./collector-child.ts', import.meta.url));

export interface CollectorProcess {
  url: string;
  pid: number;
  /** Result of a read-only query in TabSeparated. */
  sql(query: string): Promise<string>;
  count(table: string, where?: string): Promise<number>;
  /** Sum of a Prometheus metric over its label sets, from `/metrics`. */
  metric(name: string): Promise<number>;
  stats(): Promise<ProcessStats>;
  /** Starts the event-loop-delay window that `stats()` and `stop()` report. */
  resetLoopDelay(): void;
  /** Stops intake, lets the collector drain and close; returns its final figures. */
  stop(): Promise<ProcessStats>;
}

function nextMessage<T extends object>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`collector child sent no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = ({ type: got, ...rest }: { type: string }) => {
      if (got !== type) return;
      cleanup();
      resolve(rest as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`collector child exited (code ${code}) before "${type}"`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startCollectorProcess(options: { evaluators: string }): Promise<CollectorProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oversight-bench-'));
  const child = fork(CHILD, [JSON.stringify({ dir, evaluators: options.evaluators })], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let ready: { url: string; controlFile: string };
  try {
    ready = await nextMessage(child, 'ready', 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Named in errors: a query failing with "fetch failed" says nothing about why the collector went away.
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `collector process ${child.pid} exited (code ${code}, signal ${signal})`;
  });
  const { token } = JSON.parse(await readFile(ready.controlFile, 'utf8')) as { token: string };

  const post = (query: string) =>
    fetch(`${ready.url}/internal/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, format: 'TabSeparated' }),
    });
  const sql = async (query: string): Promise<string> => {
    let response: Response | undefined;
    // While the collector's event loop is blocked for seconds, a kept-alive socket can time out
    // under a request in flight (ECONNRESET); the query is read-only, so asking again is safe.
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await post(query);
      } catch (error) {
        if (exited) throw new Error(exited, { cause: error });
        if (attempt === 3)
          throw new Error(`query to the collector failed: ${(error as Error).message}`, { cause: error });
      }
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`query failed (${response.status}): ${text}`);
    return text;
  };

  let stopped: Promise<ProcessStats> | undefined;
  return {
    url: ready.url,
    pid: child.pid as number,
    sql,
    async count(table, where) {
      return Number(
        (await sql(`SELECT count() FROM oversight.${table}${where ? ` WHERE ${where}` : ''}`)).trim(),
      );
    },
    async metric(name) {
      const text = await (await fetch(`${ready.url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
          sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
    async stats() {
      const reply = nextMessage<ProcessStats>(child, 'stats', 10_000);
      child.send({ type: 'stats' });
      return reply;
    },
    resetLoopDelay() {
      child.send({ type: 'reset' });
    },
    stop() {
      stopped ??= (async () => {
        try {
          const reply = nextMessage<ProcessStats>(child, 'stopped', 120_000);
          child.send({ type: 'stop' });
          const stats = await reply;
          if (child.exitCode === null) await once(child, 'exit');
          return stats;
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
          await rm(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}
