import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbHttpServer, startChdbHttpServer } from '../helpers/chdb-http-server.ts';
import { acquireChdbDataDir, releaseChdbDataDir } from '../helpers/store-backends.ts';

describe('chdb HTTP server (test helper)', () => {
  let server: ChdbHttpServer;
  beforeAll(async () => {
    server = await startChdbHttpServer({ dataDir: await acquireChdbDataDir() });
  });
  afterAll(async () => {
    await server.close();
    await releaseChdbDataDir();
  });

  it('serves @clickhouse/client with gzip both ways and multipart parameters', async () => {
    const client = createClient({
      url: server.url,
      compression: { request: true, response: true },
      use_multipart_params: true,
    });
    try {
      expect((await client.ping()).success).toBe(true);
      await client.command({
        query: 'CREATE TABLE IF NOT EXISTS helper_t (s String, n UInt32) ENGINE = MergeTree ORDER BY n',
      });
      await client.insert({
        table: 'helper_t',
        values: [
          { s: "tab\there 'q'", n: 1 },
          { s: 'back\\slash', n: 2 },
        ],
        format: 'JSONEachRow',
      });
      const result = await client.query({
        query: 'SELECT s, n FROM helper_t WHERE n IN {ns:Array(UInt32)} AND s != {not:String} ORDER BY n',
        query_params: { ns: [1, 2], not: "it's" },
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([
        { s: "tab\there 'q'", n: 1 },
        { s: 'back\\slash', n: 2 },
      ]);
    } finally {
      await client.close();
    }
  });

  it('answers errors the way ClickHouse does', async () => {
    const response = await fetch(`${server.url}/?default_format=JSONEachRow`, {
      method: 'POST',
      body: 'SELECT * FROM nope',
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await response.text()).toMatch(/^Code: 60\. DB::Exception: .*nope/);
  });

  it('refuses requests with wrong credentials when a user is configured', async () => {
    const guarded = await startChdbHttpServer({
      dataDir: await acquireChdbDataDir(),
      username: 'u',
      password: 'p',
    });
    try {
      const client = createClient({
        url: guarded.url,
        username: 'u',
        password: 'wrong',
        log: { level: ClickHouseLogLevel.OFF },
      });
      await expect(client.query({ query: 'SELECT 1' })).rejects.toThrow(/Authentication failed/);
      await client.close();
    } finally {
      await guarded.close();
      await releaseChdbDataDir();
    }
  });
});
