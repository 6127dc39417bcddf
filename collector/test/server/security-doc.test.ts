/**
 * The ClickHouse access SQL in docs/security.md, checked against the real
 * engine and schema. chdb cannot create users, roles or policies (no writable
 * access storage), so each statement is parsed by the engine, and each row
 * policy's condition is run as a WHERE clause over rows of three projects.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';

const DOC = new URL('../../../docs/security.md', import.meta.url);
const TEAM = 'team_payments';
const TEAM_PROJECTS = ['payments-api', 'payments-bot'];
const ALL_PROJECTS = [...TEAM_PROJECTS, 'search'];

let dir: string;
let store: Store;
let statements: string[];
/** Tables of the real schema (not views) with their project column. */
let projectTables: Map<string, string>;

beforeAll(async () => {
  const doc = await readFile(DOC, 'utf8');
  const blocks = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  statements = blocks
    .flatMap((block) => block.split(/;\s*(?:\n|$)/))
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);

  dir = await mkdtemp(path.join(tmpdir(), 'oversight-security-doc-'));
  store = await openStore({ dataDir: path.join(dir, 'data') });
  await store.migrate();
  const columns = await store.query<{ table: string; name: string }>(
    `SELECT c.table AS table, c.name AS name FROM system.columns c
       JOIN system.tables t ON t.database = c.database AND t.name = c.table
      WHERE c.database = 'oversight' AND c.name IN ('project_id', 'ProjectId') AND t.engine != 'MaterializedView'`,
  );
  projectTables = new Map(columns.map((c) => [c.table, c.name]));
});
afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Policy {
  name: string;
  table: string;
  condition: string;
  to: string;
}

function policies(): Policy[] {
  return statements.flatMap((sql) => {
    const m =
      /^CREATE ROW POLICY IF NOT EXISTS (\w+) ON oversight\.(\w+) FOR SELECT USING (.+) TO (\w+)$/s.exec(sql);
    return m
      ? [{ name: m[1] as string, table: m[2] as string, condition: m[3] as string, to: m[4] as string }]
      : [];
  });
}

describe('docs/security.md ClickHouse access SQL', () => {
  it('has statements, each parsed by the engine', async () => {
    expect(statements.length).toBeGreaterThan(20);
    for (const sql of statements) {
      await expect(store.queryText(`EXPLAIN AST ${sql}`, 'TSV'), sql).resolves.toBeTypeOf('string');
    }
  });

  it('the reader profile is readonly = 1', () => {
    const profile = statements.find((s) =>
      s.startsWith('CREATE SETTINGS PROFILE IF NOT EXISTS oversight_reader'),
    );
    expect(profile).toMatch(/\breadonly = 1 CONST\b/);
  });

  it('every table with a project column has a team policy and an admin policy, and the team reads only those tables', () => {
    expect([...projectTables.keys()].sort()).toEqual(
      expect.arrayContaining(['otel_traces', 'llm_spans', 'evaluations', 'feedback']),
    );
    const found = policies();
    for (const table of projectTables.keys()) {
      expect(
        found.filter((p) => p.table === table && p.to === TEAM),
        table,
      ).toHaveLength(1);
      expect(
        found.filter((p) => p.table === table && p.to === 'oversight_admin'),
        table,
      ).toHaveLength(1);
    }
    const teamGrants = statements
      .map((s) => new RegExp(`^GRANT SELECT ON oversight\\.(\\S+) TO ${TEAM}$`).exec(s)?.[1])
      .filter((t): t is string => t !== undefined);
    expect(teamGrants.sort()).toEqual([...projectTables.keys()].sort());
  });

  it("each team policy runs on its real table and keeps exactly the team's projects", async () => {
    for (const policy of policies().filter((p) => p.to === TEAM)) {
      const column = projectTables.get(policy.table) as string;
      // The column the condition names is the table's project column.
      expect(policy.condition, policy.name).toContain(column);
      // Compiles against the real table (column names and types).
      await store.query(`SELECT count() FROM oversight.${policy.table} WHERE ${policy.condition}`);
      const kept = await store.query<{ kept: string[] }>(
        `SELECT groupArray(${column}) AS kept FROM (SELECT arrayJoin({projects:Array(String)}) AS ${column}) WHERE ${policy.condition}`,
        { params: { projects: ALL_PROJECTS } },
      );
      expect(kept, policy.name).toEqual([{ kept: TEAM_PROJECTS }]);
    }
    for (const policy of policies().filter((p) => p.to === 'oversight_admin')) {
      expect(policy.condition, policy.name).toBe('1');
    }
  });
});
