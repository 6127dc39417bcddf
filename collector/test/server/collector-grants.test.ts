/**
 * The ClickHouse grants of the collector's user (deploy/clickhouse/users.d and
 * docs/security.md) against the statements the collector really issues: every
 * migration, rendered as `migrate()` sends it, and a DPO export recorded
 * against a real engine. Each statement is mapped to the privileges ClickHouse
 * checks for it (InterpreterCreateQuery / InterpreterAlterQuery /
 * InterpreterDropQuery), so a migration with a statement of a new kind fails
 * here until it is mapped and granted, instead of on the first server start.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportPreferences } from '../../src/export/export-preferences.ts';
import { openEmbeddedStore } from '../../src/store/chdb-store.ts';
import { applyMigrations } from '../../src/store/migrations.ts';
import type { Row, Store } from '../../src/store/store.ts';

const DATABASE = 'oversight';
const USERS_XML = new URL('../../../deploy/clickhouse/users.d/oversight.xml', import.meta.url);
const SECURITY_DOC = new URL('../../../docs/security.md', import.meta.url);

/** What one statement needs: a privilege on a table of the database, or on the database itself. */
interface Need {
  privilege: string;
  table?: string;
}

interface Grant {
  privileges: string[];
  /** `*`, a table name, or a prefix ending in `*` (ClickHouse 24.10+). */
  table: string;
}

/** The parent of each privilege in ClickHouse's hierarchy (a grant of the parent covers the child). */
const PARENT: Record<string, string> = {
  'ALTER ADD COLUMN': 'ALTER COLUMN',
  'ALTER COLUMN': 'ALTER TABLE',
  'ALTER SETTINGS': 'ALTER TABLE',
  'ALTER TTL': 'ALTER TABLE',
  'ALTER UPDATE': 'ALTER TABLE',
  'ALTER DELETE': 'ALTER TABLE',
  'ALTER TABLE': 'ALTER',
  'ALTER VIEW MODIFY QUERY': 'ALTER VIEW',
  'ALTER VIEW': 'ALTER',
  'CREATE DATABASE': 'CREATE',
  'CREATE TABLE': 'CREATE',
  'CREATE VIEW': 'CREATE',
  'DROP DATABASE': 'DROP',
  'DROP TABLE': 'DROP',
  'DROP VIEW': 'DROP',
  ALTER: 'ALL',
  CREATE: 'ALL',
  DROP: 'ALL',
  INSERT: 'ALL',
  SELECT: 'ALL',
  ALL: '',
};
const ALIAS: Record<string, string> = {
  'ALTER MODIFY SETTING': 'ALTER SETTINGS',
  'ALTER SETTING': 'ALTER SETTINGS',
  'MODIFY SETTING': 'ALTER SETTINGS',
  'ALTER MODIFY TTL': 'ALTER TTL',
  'MODIFY TTL': 'ALTER TTL',
  'ALTER TABLE MODIFY QUERY': 'ALTER VIEW MODIFY QUERY',
  'ADD COLUMN': 'ALTER ADD COLUMN',
  UPDATE: 'ALTER UPDATE',
  DELETE: 'ALTER DELETE',
};

function canonical(privilege: string): string {
  const name = privilege.trim().replace(/\s+/g, ' ').toUpperCase();
  const known = ALIAS[name] ?? name;
  if (!(known in PARENT)) throw new Error(`privilege this test does not know: ${privilege}`);
  return known;
}

function parseGrant(sql: string): Grant {
  const m = /^GRANT (.+?) ON (\w+)\.(\w*\*?)$/.exec(sql.trim());
  if (!m) throw new Error(`not a grant this test reads: ${sql}`);
  if (m[2] !== DATABASE) throw new Error(`grant outside the ${DATABASE} database: ${sql}`);
  return { privileges: (m[1] as string).split(',').map(canonical), table: m[3] as string };
}

async function xmlGrants(): Promise<Grant[]> {
  const xml = await readFile(USERS_XML, 'utf8');
  const user = /<users>[\s\S]*?<oversight>([\s\S]*?)<\/oversight>/.exec(xml)?.[1] ?? '';
  return [...user.matchAll(/<query>([^<]+)<\/query>/g)].map((m) => parseGrant(m[1] as string));
}

async function docGrants(): Promise<Grant[]> {
  const doc = await readFile(SECURITY_DOC, 'utf8');
  return [...doc.matchAll(/^(GRANT .+) TO oversight_collector;$/gm)].map((m) => parseGrant(m[1] as string));
}

function covers(grant: Grant, need: Need): boolean {
  const tableOk =
    grant.table === '*' ||
    (need.table !== undefined &&
      (grant.table.endsWith('*')
        ? need.table.startsWith(grant.table.slice(0, -1))
        : grant.table === need.table));
  if (!tableOk) return false;
  for (let p: string | undefined = need.privilege; p; p = PARENT[p])
    if (grant.privileges.includes(p)) return true;
  return false;
}

const REFERENCE = /`oversight`\.`?(\w+)`?/g;

/** Splits at commas outside parentheses and quotes: one ALTER's commands. */
function topLevelCommands(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote && text[i - 1] !== '\\') quote = '';
    } else if (c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

const ALTER_COMMANDS: [RegExp, string][] = [
  [/^ADD COLUMN\b/, 'ALTER ADD COLUMN'],
  [/^MODIFY SETTING\b/, 'ALTER SETTINGS'],
  [/^(MODIFY|REMOVE) TTL\b/, 'ALTER TTL'],
  [/^UPDATE\b/, 'ALTER UPDATE'],
  [/^DELETE\b/, 'ALTER DELETE'],
];

/** The privileges ClickHouse checks for one statement; throws for a kind this test does not know. */
function needsOf(sql: string): Need[] {
  const s = sql.replace(/\s+/g, ' ').trim();
  const refs = [...s.matchAll(REFERENCE)].map((m) => m[1] as string);
  const [object, ...sources] = refs;
  const selects = (tables: string[]) => tables.map((table) => ({ privilege: 'SELECT', table }));
  if (/^CREATE DATABASE (IF NOT EXISTS )?`oversight`$/.test(s)) return [{ privilege: 'CREATE DATABASE' }];
  // The system database is readable by everyone: a read of it alone needs nothing.
  if (/^(SELECT|WITH)\b/.test(s)) return selects(refs);
  if (object === undefined) throw new Error(`statement names no table of ${DATABASE}: ${s.slice(0, 120)}`);
  const on = (privilege: string, table = object) => ({ privilege, table });
  const view = /^CREATE (OR REPLACE )?VIEW /.exec(s);
  if (view) {
    // Replacing drops the old view first, under the caller's rights.
    return [on('CREATE VIEW'), ...(view[1] ? [on('DROP VIEW')] : []), ...selects(sources)];
  }
  if (/^CREATE MATERIALIZED VIEW /.test(s)) {
    const target = /\bTO `oversight`\.`?(\w+)`?/.exec(s)?.[1];
    if (!target) throw new Error(`materialized view without TO: ${s.slice(0, 120)}`);
    return [on('CREATE VIEW'), on('SELECT', target), on('INSERT', target), ...selects(sources)];
  }
  if (/^CREATE TABLE /.test(s)) {
    // CREATE … AS SELECT fills the new table: INSERT on it, unless EMPTY.
    const filled = / AS (\(?\s*SELECT|WITH)\b/.test(s) && !/ EMPTY AS /.test(s);
    return [on('CREATE TABLE'), ...(filled ? [on('INSERT')] : []), ...selects(sources)];
  }
  const alter = /^ALTER TABLE `oversight`\.`?\w+`? (.*)$/.exec(s);
  if (alter) {
    const body = alter[1] as string;
    if (/^MODIFY QUERY\b/.test(body)) return [on('ALTER VIEW MODIFY QUERY'), ...selects(sources)];
    // `MODIFY SETTING a = 1, b = 2` is one command whose list the comma split cuts apart.
    const commands = topLevelCommands(body).filter((c, i) => !(/^\w+ = /.test(c) && i > 0));
    return commands.map((command) => {
      const kind = ALTER_COMMANDS.find(([re]) => re.test(command));
      if (!kind) throw new Error(`ALTER command this test does not map: ${command.slice(0, 80)}`);
      return on(kind[1]);
    });
  }
  if (/^DROP VIEW /.test(s)) return [on('DROP VIEW')];
  if (/^DROP TABLE /.test(s)) return [on('DROP TABLE')];
  if (/^INSERT INTO /.test(s)) return [on('INSERT'), ...selects(sources)];
  if (/^UPDATE /.test(s)) return [on('ALTER UPDATE'), ...selects(sources)];
  if (/^DELETE FROM /.test(s)) return [on('ALTER DELETE'), ...selects(sources)];
  throw new Error(`statement kind this test does not map to privileges: ${s.slice(0, 120)}`);
}

/** Every (statement, privilege) the grants leave out, as readable lines. */
function uncovered(grants: Grant[], statements: string[]): string[] {
  const missing = new Set<string>();
  for (const sql of statements)
    for (const need of needsOf(sql))
      if (!grants.some((g) => covers(g, need)))
        missing.add(
          `${need.privilege} ON ${DATABASE}.${need.table ?? '*'}  (${sql.replace(/\s+/g, ' ').slice(0, 60)}…)`,
        );
  return [...missing];
}

/**
 * What `migrate()` sends a server with an empty ledger, in order, the ledger's
 * read and writes included, on a database whose tables keep rows 7 days: with
 * other days configured it also brings each table's TTL to them.
 */
async function migrationStatements(ttlDays: number): Promise<string[]> {
  const sent: string[] = [];
  await applyMigrations(
    {
      async command(sql) {
        sent.push(sql);
      },
      async query<T>(sql: string) {
        sent.push(sql);
        const tables = /FROM system\.tables .* name IN \((.*)\)/.exec(sql)?.[1];
        if (!tables) return [] as T[];
        return [...tables.matchAll(/'(\w+)'/g)].map((m) => ({
          name: m[1],
          engine_full: 'MergeTree ORDER BY x TTL t + toIntervalDay(7) SETTINGS index_granularity = 8192',
        })) as T[];
      },
      async insert(table) {
        sent.push(`INSERT INTO \`${DATABASE}\`.${table} FORMAT JSONEachRow`);
      },
    },
    { database: DATABASE, ttlDays, log: () => {} },
  );
  return sent;
}

/** A store that records every statement it is given before passing it on. */
function recording(store: Store, sent: string[]): Store {
  return {
    ...store,
    async insert(table: string, rows: Row[], options) {
      sent.push(`INSERT INTO \`${DATABASE}\`.\`${table}\` FORMAT JSONEachRow`);
      return store.insert(table, rows, options);
    },
    async query(sql, options) {
      sent.push(sql);
      return store.query(sql, options);
    },
    async queryText(sql, format, options) {
      sent.push(sql);
      return store.queryText(sql, format, options);
    },
    stream(sql, options) {
      sent.push(sql);
      return store.stream(sql, options);
    },
    async command(sql, options) {
      sent.push(sql);
      return store.command(sql, options);
    },
  };
}

describe('the collector user’s ClickHouse grants', () => {
  it('are the same in the compose users file and in docs/security.md', async () => {
    const normal = (grants: Grant[]) =>
      grants.flatMap((g) => g.privileges.map((p) => `${p} ON ${g.table}`)).sort();
    expect(normal(await docGrants())).toEqual(normal(await xmlGrants()));
  });

  it('cover every statement of every migration, and the TTL changes migrate() makes', async () => {
    const statements = [...(await migrationStatements(30)), ...(await migrationStatements(0))];
    expect(statements).toContain(
      `ALTER TABLE \`${DATABASE}\`.\`llm_spans\` MODIFY TTL toDateTime(timestamp) + toIntervalDay(30)`,
    );
    expect(statements).toContain(`ALTER TABLE \`${DATABASE}\`.\`llm_spans\` REMOVE TTL`);
    const needed = new Set(statements.flatMap((s) => needsOf(s).map((n) => n.privilege)));
    // The kinds the migrations hold today: a new one must be mapped above before this passes.
    expect([...needed].sort()).toEqual([
      'ALTER ADD COLUMN',
      'ALTER SETTINGS',
      'ALTER TTL',
      'ALTER VIEW MODIFY QUERY',
      'CREATE DATABASE',
      'CREATE TABLE',
      'CREATE VIEW',
      'DROP VIEW',
      'INSERT',
      'SELECT',
    ]);
    expect(uncovered(await xmlGrants(), statements)).toEqual([]);
    expect(uncovered(await docGrants(), statements)).toEqual([]);
  });

  it('cover a DPO export, its work tables and the removal of ones a killed export left', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oversight-grants-'));
    const store = await openEmbeddedStore({ dataDir: path.join(dir, 'data'), database: DATABASE });
    try {
      await store.migrate();
      // Left by an export killed a day ago: this one drops it first.
      await store.command(
        `CREATE TABLE \`${DATABASE}\`.export_dpo_1000_abcdef (x UInt8) ENGINE = MergeTree ORDER BY x`,
      );
      const sent: string[] = [];
      await exportPreferences(recording(store, sent), new PassThrough().resume(), { format: 'dpo' });
      const kinds = sent.map((s) => {
        const head = s.replace(/\s+/g, ' ').trim();
        return /^(CREATE TABLE|INSERT INTO|DROP TABLE IF EXISTS) `oversight`\.`(export_dpo)_/
          .exec(head)
          ?.slice(1, 3)
          .join(' ');
      });
      expect(new Set(kinds.filter(Boolean))).toEqual(
        new Set(['CREATE TABLE export_dpo', 'INSERT INTO export_dpo', 'DROP TABLE IF EXISTS export_dpo']),
      );
      expect(sent).toContain(`DROP TABLE IF EXISTS \`${DATABASE}\`.\`export_dpo_1000_abcdef\` SYNC`);
      expect(uncovered(await xmlGrants(), sent)).toEqual([]);
      expect(uncovered(await docGrants(), sent)).toEqual([]);
      // Dropping is granted on the work tables only, not on the data.
      expect(uncovered(await xmlGrants(), ['DROP TABLE `oversight`.llm_spans'])).toHaveLength(1);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('map a statement of a kind not seen before to a failure, not to a pass', () => {
    expect(() => needsOf('RENAME TABLE `oversight`.a TO `oversight`.b')).toThrow(/does not map/);
    expect(() => needsOf('ALTER TABLE `oversight`.llm_spans DROP COLUMN x')).toThrow(/does not map/);
    expect(needsOf('CREATE OR REPLACE VIEW `oversight`.v AS SELECT 1 FROM `oversight`.llm_spans')).toEqual([
      { privilege: 'CREATE VIEW', table: 'v' },
      { privilege: 'DROP VIEW', table: 'v' },
      { privilege: 'SELECT', table: 'llm_spans' },
    ]);
  });
});
