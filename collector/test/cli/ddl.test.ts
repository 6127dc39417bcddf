import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/store/chdb-store.ts';
import { oversight } from '../helpers/cli.ts';

/** `oversight ddl`: the schema a DBA reviews or applies by hand, single node or cluster. */
const ddlWith = async (env: Record<string, string>, ...args: string[]) =>
  (await oversight(['ddl', ...args], { env: { PATH: process.env.PATH ?? '', ...env } })).stdout
    .split(/;\n(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
const ddl = async (...args: string[]) =>
  (await oversight(['ddl', ...args], { env: { PATH: process.env.PATH ?? '' } })).stdout
    .split(/;\n(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);

describe('oversight ddl', () => {
  it('prints a single-node schema that a real engine applies and that creates every table', async () => {
    const statements = await ddl('--database', 'reviewed', '--ttl-days', '7');
    expect(statements.some((s) => s.includes('ON CLUSTER'))).toBe(false);
    const dir = await mkdtemp(path.join(tmpdir(), 'oversight-ddl-'));
    const store = await openEmbeddedStore({ dataDir: path.join(dir, 'data'), database: 'reviewed' });
    try {
      for (const statement of statements) await store.command(statement);
      const tables = await store.query<{ name: string }>(
        "SELECT name FROM system.tables WHERE database = 'reviewed' AND engine NOT LIKE '%View%' ORDER BY name",
      );
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'evaluations',
          'feedback',
          'llm_spans',
          'otel_traces',
          'retrieval_documents',
          'topics',
        ]),
      );
      const [ttl] = await store.query<{ q: string }>(
        "SELECT create_table_query q FROM system.tables WHERE database = 'reviewed' AND name = 'llm_spans'",
      );
      expect(ttl?.q).toMatch(/TTL .*toIntervalDay\(7\)/);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads an empty OVERSIGHT_TTL_DAYS as unset (30 days), not as 0 (keep rows forever)', async () => {
    // What a compose file's `OVERSIGHT_TTL_DAYS: ${TTL:-}` hands over when TTL is left out.
    const spans = (await ddlWith({ OVERSIGHT_TTL_DAYS: '' })).find((s) =>
      /TABLE IF NOT EXISTS \S*llm_spans /.test(s),
    );
    expect(spans).toMatch(/TTL .*toIntervalDay\(30\)/);
    const kept = (await ddlWith({ OVERSIGHT_TTL_DAYS: '0' })).find((s) =>
      /TABLE IF NOT EXISTS \S*llm_spans /.test(s),
    );
    expect(kept).not.toMatch(/TTL /);
  });

  it('renders every statement ON CLUSTER with replicated local tables and distributed ones', async () => {
    const statements = await ddl('--cluster', 'prod');
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements)
      expect(statement, statement.slice(0, 80)).toContain('ON CLUSTER `prod`');
    const engines = statements.join('\n').match(/ENGINE = (\w+)/g) ?? [];
    // The refreshed roll-ups of migration 013 are plain tables on purpose: every replica refreshes its own copy.
    // Migration 024 makes feedback_hourly's view again: five views, four tables.
    const refreshed = [
      ...new Set(
        statements.filter((s) => /REFRESH EVERY/.test(s)).map((s) => /\bTO `oversight`\.(\w+)/.exec(s)?.[1]),
      ),
    ];
    expect(refreshed).toHaveLength(4);
    const replicatedOrRefreshed = statements
      .filter((s) => /ENGINE = \w*MergeTree/.test(s))
      .every(
        (s) =>
          /ENGINE = Replicated/.test(s) || refreshed.some((t) => s.includes(`\`oversight\`.${t} ON CLUSTER`)),
      );
    expect(replicatedOrRefreshed).toBe(true);
    expect(engines.some((e) => e.includes('Replicated'))).toBe(true);
    expect(statements.join('\n')).toMatch(/ENGINE = Distributed\(`prod`, `oversight`, `llm_spans_local`/);
  });
});
