/** Opens a chdb store seeded with grafana/test/seed.ts and runs panel SQL the way Grafana would. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedStore, openEmbeddedStore } from '../../collector/src/store/chdb-store.ts';
import { expand, type QueryContext, type Variable } from './expand.ts';
import {
  MODELS,
  OTHER_PROJECT,
  PROJECT,
  SERVICES,
  type SeedOptions,
  seedStatements,
  TOPICS,
} from './seed.ts';

export interface SeededStore {
  store: EmbeddedStore;
  close(): Promise<void>;
}

export async function openSeededStore(options: SeedOptions): Promise<SeededStore> {
  const dataDir = await mkdtemp(join(tmpdir(), 'oversight-grafana-'));
  // Seeded dates are fixed: no TTL may drop them.
  const store = await openEmbeddedStore({ dataDir, ttlDays: 0, rollupTtlDays: 0 });
  await store.migrate();
  for (const statement of seedStatements(options)) await store.command(statement);
  return {
    store,
    async close() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
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
