/** Opens a chdb store seeded with grafana/test/seed.ts and runs panel SQL the way Grafana would. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedStore, openEmbeddedStore } from '../../collector/src/store/chdb-store.ts';
import { loadMigrations } from '../../collector/src/store/ddl-render.ts';
import { expand, type QueryContext, type Variable } from './expand.ts';
import {
  MODELS,
  OTHER_PROJECT,
  PROJECT,
  REFRESHED_VIEWS,
  SERVICES,
  type SeedOptions,
  seedStatements,
  TOPICS,
} from './seed.ts';

export interface SeededStore {
  store: EmbeddedStore;
  close(): Promise<void>;
}

/**
 * A chdb store migrated and seeded. With `keepIn`, the store lives in a
 * directory named after the seed statements and the migrations, and a later
 * call with the same seed and schema reuses it instead of seeding again
 * (seeding 10M answers takes minutes); without it, a temporary directory.
 */
export async function openSeededStore(
  options: SeedOptions,
  keepIn?: string,
): Promise<SeededStore & { seeded: boolean }> {
  const statements = seedStatements(options);
  const key = createHash('sha256')
    .update(JSON.stringify([statements, loadMigrations().map((m) => m.checksum)]))
    .digest('hex')
    .slice(0, 16);
  const dataDir = keepIn ? join(keepIn, key) : await mkdtemp(join(tmpdir(), 'oversight-grafana-'));
  const done = join(dataDir, 'seeded');
  const reuse = keepIn !== undefined && existsSync(done);
  if (keepIn) await mkdir(dataDir, { recursive: true });
  // Seeded dates are fixed: no TTL may drop them.
  const store = await openEmbeddedStore({ dataDir, ttlDays: 0, rollupTtlDays: 0 });
  await store.migrate();
  if (!reuse) {
    for (const statement of statements) await store.command(statement);
    await refreshViews(store);
    if (keepIn) await writeFile(done, `${new Date().toISOString()}\n`);
  }
  return {
    store,
    seeded: !reuse,
    async close() {
      await store.close();
      if (!keepIn) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Brings the refreshed roll-ups up to date, as their 5-minute timer would, and
 * returns once each has finished a refresh that started after this call.
 * `SYSTEM REFRESH VIEW` only schedules one and `SYSTEM WAIT VIEW` returns at
 * once if it has not started yet, so this waits on system.view_refreshes;
 * its times have second resolution, so the refreshes start on a fresh second.
 */
export async function refreshViews(store: EmbeddedStore, timeoutMs = 600_000): Promise<void> {
  for (const view of REFRESHED_VIEWS) await store.command(`SYSTEM WAIT VIEW ${view}`);
  await sleep(1005 - (Date.now() % 1000));
  const [start] = await store.query<{ t: string }>('SELECT toString(now()) AS t');
  for (const view of REFRESHED_VIEWS) await store.command(`SYSTEM REFRESH VIEW ${view}`);
  const names = REFRESHED_VIEWS.map((v) => `'${v}'`).join(', ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await store.query<{ view: string; done: number; exception: string }>(
      `SELECT view, last_success_time >= toDateTime('${start?.t}') AND status != 'Running' AS done, exception
       FROM system.view_refreshes WHERE database = currentDatabase() AND view IN (${names})`,
    );
    const failed = rows.find((r) => r.exception !== '');
    if (failed) throw new Error(`refresh of ${failed.view} failed: ${failed.exception}`);
    if (rows.length === REFRESHED_VIEWS.length && rows.every((r) => Number(r.done) === 1)) return;
    if (Date.now() > deadline)
      throw new Error(`refreshed views not done after ${timeoutMs} ms: ${JSON.stringify(rows)}`);
    await sleep(50);
  }
}

export type Selection = Partial<Record<'project' | 'service' | 'model' | 'topic', string | string[]>>;

/** The dashboard variables with their options as the seed defines them; unset ones are "All". */
export function dashboardVariables(selection: Selection = {}): Variable[] {
  const options: Record<string, string[]> = {
    project: [PROJECT, OTHER_PROJECT],
    service: [...SERVICES],
    model: [...MODELS],
    topic: TOPICS.map((t) => String(t.id)),
  };
  return Object.entries(options).map(([name, values]) => ({
    name,
    options: values,
    current: selection[name as keyof Selection] ?? '$__all',
  }));
}

export function context(
  from: Date,
  to: Date,
  selection: Selection = {},
  intervalMs = 3_600_000,
): QueryContext {
  return { from, to, intervalMs, variables: dashboardVariables(selection) };
}

export async function runPanel<T = Record<string, unknown>>(
  store: EmbeddedStore,
  rawSql: string,
  ctx: QueryContext,
): Promise<T[]> {
  // Grafana's data source user is read-only (deploy/clickhouse/users.d): so are these queries.
  return store.query<T>(expand(rawSql, ctx), { readonly: true });
}
