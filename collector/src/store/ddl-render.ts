/**
 * Renders the DDL templates in `ddl/` for one deployment shape: single node
 * (MergeTree) or a cluster (`ON CLUSTER`, ReplicatedMergeTree local tables plus
 * Distributed tables), with or without TTL. The templates keep the schema
 * readable as SQL, the way the OTel Collector's ClickHouse exporter keeps its.
 *
 * Placeholders:
 *   {{db}}                      the database, quoted
 *   {{on_cluster}}              `ON CLUSTER name`, or nothing
 *   {{local name}}              `name`, or `name_local` on a cluster
 *   {{engine Kind(args)}}       Kind(args), or ReplicatedKind(zk path, replica, args)
 *   {{ttl expr}}                `TTL expr + toIntervalDay(ttlDays)`, or nothing
 *   {{rollup_ttl expr}}         same with rollupTtlDays
 *   {{dedup_window}}            the (non_)replicated_deduplication_window setting
 *   {{distributed name key}}    a Distributed table over name_local, or nothing
 *   {{redistribute name key}}   after an ALTER of name_local: the Distributed table dropped and
 *                               created again (it holds no rows, and `AS` copies columns only once)
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertIdentifier } from './tables.ts';

export interface DdlOptions {
  database: string;
  /** Cluster name from ClickHouse's `remote_servers`; absent for one node. */
  cluster?: string;
  /** Raw rows expire after this many days; 0 keeps them forever. */
  ttlDays?: number;
  /** Hourly roll-ups expire after this many days; 0 keeps them forever. */
  rollupTtlDays?: number;
  /** Recent insert blocks remembered per table for `insert_deduplication_token`. */
  dedupWindow?: number;
}

export const DEFAULT_TTL_DAYS = 30;
export const DEFAULT_ROLLUP_TTL_DAYS = 400;
export const DEFAULT_DEDUP_WINDOW = 10_000;

export interface Migration {
  version: number;
  name: string;
  /** sha256 of the template, so a changed file is visible in schema_migrations. */
  checksum: string;
  template: string;
}

const DDL_DIR = join(import.meta.dirname, 'ddl');
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** The migrations shipped in `ddl/`, in version order. */
export function loadMigrations(dir: string = DDL_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    const template = readFileSync(join(dir, file), 'utf8');
    migrations.push({
      version: Number(match[1]),
      name: match[2] as string,
      checksum: createHash('sha256').update(template).digest('hex'),
      template,
    });
  }
  return migrations;
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)(?:\s+([^}]*?))?\s*\}\}/g;
const ENGINE = /^([A-Za-z]*MergeTree)(?:\((.*)\))?$/;

/** Statements of one template, rendered, without comments or empty statements. */
export function renderDdl(template: string, options: DdlOptions): string[] {
  const database = assertIdentifier(options.database, 'database');
  const cluster = options.cluster === undefined ? undefined : assertIdentifier(options.cluster, 'cluster');
  const ttlDays = options.ttlDays ?? DEFAULT_TTL_DAYS;
  const rollupTtlDays = options.rollupTtlDays ?? DEFAULT_ROLLUP_TTL_DAYS;
  const dedupWindow = options.dedupWindow ?? DEFAULT_DEDUP_WINDOW;
  const db = `\`${database}\``;

  const ttl = (expr: string, days: number) =>
    days > 0 ? `TTL ${expr} + toIntervalDay(${Math.floor(days)})` : '';

  const render = (_all: string, name: string, arg: string | undefined): string => {
    const argument = (arg ?? '').trim();
    switch (name) {
      case 'db':
        return db;
      case 'on_cluster':
        return cluster ? `ON CLUSTER \`${cluster}\`` : '';
      case 'local': {
        const table = assertIdentifier(argument, 'table');
        return cluster ? `${table}_local` : table;
      }
      case 'engine': {
        const match = ENGINE.exec(argument);
        if (!match) throw new Error(`unknown engine in DDL template: ${argument}`);
        const [, kind, args] = match;
        if (!cluster) return argument;
        const replicated = ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"];
        if (args) replicated.push(args);
        return `Replicated${kind}(${replicated.join(', ')})`;
      }
      case 'ttl':
        return ttl(argument, ttlDays);
      case 'rollup_ttl':
        return ttl(argument, rollupTtlDays);
      case 'dedup_window':
        return `${cluster ? 'replicated' : 'non_replicated'}_deduplication_window = ${Math.floor(dedupWindow)}`;
      case 'redistribute':
      case 'distributed': {
        if (!cluster) return '';
        const space = argument.indexOf(' ');
        const table = assertIdentifier(space < 0 ? argument : argument.slice(0, space), 'table');
        const shardingKey = space < 0 ? 'rand()' : argument.slice(space + 1).trim();
        const drop =
          name === 'redistribute'
            ? `DROP TABLE IF EXISTS ${db}.\`${table}\` ON CLUSTER \`${cluster}\` SYNC;\n`
            : '';
        return (
          drop +
          `CREATE TABLE IF NOT EXISTS ${db}.\`${table}\` ON CLUSTER \`${cluster}\` AS ${db}.\`${table}_local\`\n` +
          `ENGINE = Distributed(\`${cluster}\`, ${db}, \`${table}_local\`, ${shardingKey})`
        );
      }
      default:
        throw new Error(`unknown DDL placeholder {{${name}}}`);
    }
  };

  const withoutComments = template
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .replace(PLACEHOLDER, render)
    .split(/;\s*(?:\n|$)/)
    .map((statement) =>
      statement
        .replace(/(\S) {2,}(?=\S)/g, '$1 ')
        .replace(/[ \t]+\n/g, '\n')
        .replace(/\n{2,}/g, '\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
}

/** The TTL a table's template gives it: `expression + toIntervalDay(days)`, none for 0 days. */
export interface TtlRule {
  /** As created: `name`, or `name_local` on a cluster. */
  table: string;
  expression: string;
  days: number;
  /** A roll-up's (`rollupTtlDays`), not a raw table's (`ttlDays`). */
  rollup: boolean;
}

const TTL_TABLE =
  /CREATE TABLE IF NOT EXISTS \{\{\s*db\s*\}\}\.\{\{\s*local\s+(\w+)\s*\}\}[\s\S]*?\{\{\s*(ttl|rollup_ttl)\s+([^}]*?)\s*\}\}/;

/** Every table the templates create with a `{{ttl}}` or `{{rollup_ttl}}` clause, with its TTL under `options`. */
export function ttlRules(options: DdlOptions, migrations: Migration[] = loadMigrations()): TtlRule[] {
  const cluster = options.cluster !== undefined;
  const rules: TtlRule[] = [];
  for (const migration of migrations) {
    const template = migration.template
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('--'))
      .join('\n');
    for (const statement of template.split(/;\s*(?:\n|$)/)) {
      const match = TTL_TABLE.exec(statement);
      if (!match) continue;
      const [, name, kind, expression] = match as unknown as [string, string, string, string];
      const days =
        kind === 'ttl'
          ? (options.ttlDays ?? DEFAULT_TTL_DAYS)
          : (options.rollupTtlDays ?? DEFAULT_ROLLUP_TTL_DAYS);
      rules.push({
        table: assertIdentifier(cluster ? `${name}_local` : name, 'table'),
        expression,
        days: Math.max(0, Math.floor(days)),
        rollup: kind !== 'ttl',
      });
    }
  }
  return rules;
}

const SCHEMA_MIGRATIONS_TEMPLATE = `
CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}} (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = {{engine ReplacingMergeTree(applied_at)}}
ORDER BY version
`;

/** The statements that create the database and the migrations ledger. */
export function renderBootstrap(options: DdlOptions): string[] {
  const database = assertIdentifier(options.database, 'database');
  const cluster =
    options.cluster === undefined ? '' : ` ON CLUSTER \`${assertIdentifier(options.cluster, 'cluster')}\``;
  return [
    `CREATE DATABASE IF NOT EXISTS \`${database}\`${cluster}`,
    ...renderDdl(SCHEMA_MIGRATIONS_TEMPLATE, options),
  ];
}
