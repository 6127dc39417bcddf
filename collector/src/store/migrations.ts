/**
 * Versioned, idempotent schema migrations. Every statement is `IF NOT EXISTS`
 * (or otherwise safe to repeat), so two collectors starting at once, or a crash
 * between a statement and its ledger row, leave the schema correct; the
 * `schema_migrations` ledger only saves work on the next start.
 */
import { type DdlOptions, loadMigrations, type Migration, renderBootstrap, renderDdl } from './ddl-render.ts';
import type { Row } from './store.ts';
import { qualifiedTable, SCHEMA_MIGRATIONS } from './tables.ts';

export interface MigrationTarget {
  command(sql: string): Promise<void>;
  query<T = Row>(sql: string): Promise<T[]>;
  insert(table: string, rows: Row[]): Promise<void>;
}

export interface MigrationResult {
  applied: number[];
  skipped: number[];
}

export async function applyMigrations(
  target: MigrationTarget,
  options: DdlOptions,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrationResult> {
  for (const statement of renderBootstrap(options)) await target.command(statement);
  const done = await target.query<{ version: number }>(
    `SELECT DISTINCT version FROM ${qualifiedTable(options.database, SCHEMA_MIGRATIONS)}`,
  );
  const appliedBefore = new Set(done.map((row) => Number(row.version)));
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const migration of migrations) {
    if (appliedBefore.has(migration.version)) {
      result.skipped.push(migration.version);
      continue;
    }
    for (const statement of renderDdl(migration.template, options)) {
      try {
        await target.command(statement);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`migration ${migration.version}_${migration.name} failed: ${reason}\n${statement}`, {
          cause: error,
        });
      }
    }
    await target.insert(SCHEMA_MIGRATIONS, [
      { version: migration.version, name: migration.name, checksum: migration.checksum },
    ]);
    result.applied.push(migration.version);
  }
  return result;
}

/** Every statement `migrate()` would run, in order: for review, or to apply by hand. */
export function renderSchema(options: DdlOptions, migrations: Migration[] = loadMigrations()): string[] {
  return [...renderBootstrap(options), ...migrations.flatMap((m) => renderDdl(m.template, options))];
}
