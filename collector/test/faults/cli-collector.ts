import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { countsById } from './spans.ts';

/**
 * The real `oversight` CLI as a child process on Node 24, for tests that kill
 * or signal the collector the way an operator or an orchestrator would.
 */
const NODE = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
// The child runs the repo's sources: @oversight/* resolve to src/ under this condition (exports default to dist).
const SOURCE = '--conditions=oversight:source';

export const CLI_KEY = 'fault-test-key-0001';
export const CLI_PROJECT = 'faults';

export interface CliCollector {
  readonly url: string;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child printed so far, for assertions and failure messages. */
  output(): string;
  /** Resolves when a stdout line matches. */
  waitForLine(pattern: RegExp): Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

/** The child's environment without settings that would redirect it (a CI's CLICKHOUSE_URL, OVERSIGHT_*). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OVERSIGHT_') || key.startsWith('CLICKHOUSE_')) continue;
    env[key] = value;
  }
  return env;
}

export async function startCliCollector(dataDir: string, extraArgs: string[] = []): Promise<CliCollector> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    NODE,
    [
      SOURCE,
      CLI,
      'start',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--api-keys',
      `${CLI_KEY}=${CLI_PROJECT}`,
      '--evaluators',
      'none',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() },
  );
  let output = '';
  const lineWaiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    output += `${line}\n`;
    for (const waiter of lineWaiters) {
      if (!waiter.pattern.test(line)) continue;
      lineWaiters.delete(waiter);
      waiter.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const waitForLine = (pattern: RegExp) =>
    new Promise<string>((resolveLine, reject) => {
      lineWaiters.add({ pattern, resolve: resolveLine });
      void exited.then(({ code, signal }) =>
        reject(new Error(`collector exited (${code ?? signal}) before printing ${pattern}:\n${output}`)),
      );
    });

  const ready = await waitForLine(/collector listening on /);
  const url = /listening on (\S+)/.exec(ready)?.[1] as string;
  return {
    url,
    pid: child.pid as number,
    exited,
    output: () => output,
    waitForLine,
    kill: (signal) => child.kill(signal),
  };
}

/** `oversight sql --format json`: through the running collector when one holds the data dir, else directly. */
export async function cliSql<T>(dataDir: string, query: string): Promise<T[]> {
  const child = spawn(NODE, [SOURCE, CLI, 'sql', '--data-dir', dataDir, '--format', 'json', query], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`oversight sql exited ${code}: ${stderr}`);
  return stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

/**
 * Reads both span tables through `oversight sql` and checks the fault tests'
 * promise: every acknowledged span is stored exactly once, and nothing stored
 * was never sent. Returns the per-table counts for test-specific checks.
 */
export async function expectAckedExactlyOnce(
  dataDir: string,
  acked: ReadonlySet<string>,
  sent: ReadonlySet<string>,
): Promise<Map<'otel_traces' | 'llm_spans', Map<string, number>>> {
  const tables = new Map<'otel_traces' | 'llm_spans', Map<string, number>>();
  for (const [table, idColumn] of [
    ['otel_traces', 'SpanId'],
    ['llm_spans', 'span_id'],
  ] as const) {
    const rows = await cliSql<{ id: string; n: number | string }>(
      dataDir,
      `SELECT ${idColumn} AS id, count() AS n FROM ${table} GROUP BY id`,
    );
    const counts = countsById(rows);
    for (const [id, n] of counts) expect(n, `${table} ${id}`).toBe(1);
    for (const id of counts.keys()) expect(sent.has(id), `${table} ${id} was sent`).toBe(true);
    const missing = [...acked].filter((id) => !counts.has(id));
    expect(missing, `acknowledged spans missing from ${table}`).toEqual([]);
    tables.set(table, counts);
  }
  return tables;
}
