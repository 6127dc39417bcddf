/**
 * The two maps of the tables, docs/architecture.md's "Storage" and
 * docs/sql.md's "The tables", against what the migrations create: each names
 * every table and view, marks the views, and sql.md's "sorted by" column is
 * each table's real sort key. A table added by a migration and left out of a
 * map fails here.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/store/chdb-store.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');

/** The rows (cells, trimmed) of the first markdown table under `heading`, header and rule left out. */
function tableUnder(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6}\s/.test(line)) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(
      line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2);
}

const backticked = (cell: string) =>
  [...cell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1] as string);

interface Relation {
  name: string;
  engine: string;
  sortingKey: string;
}

let dataDir: string;
let store: EmbeddedStore;
/** Every table and view an analyst reads: materialized views (`*_mv`) and the migrations ledger left out. */
let relations: Relation[];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'oversight-table-maps-'));
  store = await openEmbeddedStore({ dataDir });
  await store.migrate();
  relations = (
    await store.query<{ name: string; engine: string; sorting_key: string }>(
      `SELECT name, engine, sorting_key FROM system.tables
       WHERE database = currentDatabase() AND engine != 'MaterializedView' AND name != 'schema_migrations'
       ORDER BY name`,
    )
  ).map((r) => ({ name: r.name, engine: r.engine, sortingKey: r.sorting_key.replace(/^\((.*)\)$/, '$1') }));
});

afterAll(async () => {
  await store?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("docs/architecture.md's Storage table", () => {
  const rows = tableUnder(doc('architecture.md'), '## Storage (database `oversight`)');

  it('names every table and view the migrations create, and nothing else', () => {
    expect(relations.length).toBeGreaterThan(20);
    const named = rows.flatMap((row) => backticked(row[0] ?? ''));
    expect([...named].sort()).toEqual(relations.map((r) => r.name));
  });

  it('marks the views as views', () => {
    for (const { name, engine } of relations) {
      const row = rows.find((r) => backticked(r[0] ?? '').includes(name));
      if (engine === 'View') expect(row?.[0], name).toContain(`\`${name}\` (view)`);
      else expect(row?.[0], name).not.toContain(`\`${name}\` (view)`);
    }
  });
});

describe("docs/sql.md's table of the tables", () => {
  const rows = tableUnder(doc('sql.md'), '## The tables');

  it('has a row for every table and view the migrations create', () => {
    const named = rows.map((row) => backticked(row[0] ?? '')[0]);
    expect([...named].sort()).toEqual(relations.map((r) => r.name));
  });

  it('gives each table its real sort key (`hour` for toStartOfHour(timestamp)), a view none, and marks views', () => {
    for (const { name, engine, sortingKey } of relations) {
      const row = rows.find((r) => backticked(r[0] ?? '')[0] === name) as string[];
      const sorted = (row[2] ?? '').replaceAll('`', '');
      if (engine === 'View') {
        expect(row[0], name).toBe(`\`${name}\` (view)`);
        expect(sorted, name).toBe('—');
        continue;
      }
      expect(row[0], name).toBe(`\`${name}\``);
      const real = sortingKey.replaceAll('toStartOfHour(timestamp)', 'hour').split(', ');
      const documented = sorted.split(', ');
      if (documented.at(-1) === '…') {
        // A prefix: what to filter on first, the rest elided.
        expect(documented.length, name).toBeGreaterThan(2);
        expect(real.slice(0, documented.length - 1), name).toEqual(documented.slice(0, -1));
      } else expect(real, name).toEqual(documented);
    }
  });
});
