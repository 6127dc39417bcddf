/**
 * Versioned, idempotent schema migrations. Every statement is `IF NOT EXISTS`
 * (or otherwise safe to repeat), so two collectors starting at once, or a crash
 * between a statement and its ledger row, leave the schema correct; the
 * `schema_migrations` ledger only saves work on the next start.
 */
import {
  type DdlOptions,
  loadMigrations,
  type Migration,
  renderBootstrap,
  renderDdl,
  type TtlRule,
  ttlRules,
} from './ddl-render.ts';
import type { Row } from './store.ts';
import { assertIdentifier, qualifiedTable, SCHEMA_MIGRATIONS } from './tables.ts';

export interface MigrateOptions extends DdlOptions {
  /** Told one line per change made to an existing table's settings (default: the console). */
  log?: (line: string) => void;
}

const consoleLog = (line: string) => console.log(`[oversight] ${line}`);

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
  options: MigrateOptions,
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
  await syncTtl(target, options, migrations);
  return result;
}

/** The days a table's TTL clause keeps rows (0: no clause); NaN for a clause not of the templates' form. */
function ttlDaysOf(engineFull: string): number {
  const clause = /\bTTL (.+?)(?: SETTINGS |$)/.exec(engineFull)?.[1];
  if (clause === undefined) return 0;
  const days = /^.+ \+ toIntervalDay\((\d+)\)$/.exec(clause.trim())?.[1];
  return days === undefined ? Number.NaN : Number(days);
}

const describeTtl = (days: number) =>
  Number.isNaN(days) ? 'a TTL of its own' : days === 0 ? 'no TTL' : `TTL ${days} days`;

/**
 * A table's TTL is set by its CREATE TABLE IF NOT EXISTS, which does nothing
 * once the table exists: a changed `--ttl-days` would never reach a database
 * created before. So where the operator gave the days (`ttlDays`, and
 * `rollupTtlDays` for the roll-ups), each table's TTL is compared with them
 * and changed where they differ. Only that: a default is no one's choice (an
 * `oversight migrate` without the flag must not shorten a 90-day
 * deployment), and a TTL not of the templates' form was written by hand and
 * is left as it is. Existing rows are judged by the new TTL at once
 * (ClickHouse materializes a modified TTL in the background), so a change
 * that fails (a user without ALTER TTL) is said and the start goes on.
 */
export async function syncTtl(
  target: MigrationTarget,
  options: MigrateOptions,
  migrations: Migration[] = loadMigrations(),
): Promise<void> {
  const given = (rule: TtlRule) => (rule.rollup ? options.rollupTtlDays : options.ttlDays) !== undefined;
  const rules = ttlRules(options, migrations).filter(given);
  if (rules.length === 0) return;
  const database = assertIdentifier(options.database, 'database');
  const cluster =
    options.cluster === undefined ? '' : ` ON CLUSTER \`${assertIdentifier(options.cluster, 'cluster')}\``;
  const current = async (tables: TtlRule[]) => {
    const rows = await target.query<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables WHERE database = '${database}' AND name IN (${tables
        .map((rule) => `'${rule.table}'`)
        .join(', ')})`,
    );
    return new Map(rows.map((row) => [row.name, ttlDaysOf(row.engine_full)]));
  };
  const log = options.log ?? consoleLog;
  const before = await current(rules);
  for (const rule of rules) {
    const days = before.get(rule.table);
    if (days === undefined || days === rule.days) continue;
    if (Number.isNaN(days)) {
      log(`${rule.table}: has a TTL of its own, left as it is (--ttl-days ${rule.days} not applied)`);
      continue;
    }
    const table = `\`${database}\`.\`${rule.table}\`${cluster}`;
    const sql =
      rule.days > 0
        ? `ALTER TABLE ${table} MODIFY TTL ${rule.expression} + toIntervalDay(${rule.days})`
        : `ALTER TABLE ${table} REMOVE TTL`;
    try {
      await target.command(sql);
    } catch (error) {
      // Another collector starting at the same time may have made the same change first.
      if ((await current([rule])).get(rule.table) === rule.days) continue;
      log(
        `${rule.table}: keeps ${describeTtl(days)}, changing it to ${describeTtl(rule.days)} failed: ${(error as Error).message}`,
      );
      continue;
    }
    log(`${rule.table}: ${describeTtl(days)} -> ${describeTtl(rule.days)}`);
  }
}

/** Every statement `migrate()` would run, in order: for review, or to apply by hand. */
export function renderSchema(options: DdlOptions, migrations: Migration[] = loadMigrations()): string[] {
  return [...renderBootstrap(options), ...migrations.flatMap((m) => renderDdl(m.template, options))];
}
