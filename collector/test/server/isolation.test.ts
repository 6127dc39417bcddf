/**
 * Tenancy: the project always comes from the API key, whatever a span says
 * about itself; the admin SQL endpoint is token-gated and read-only; values
 * that look like SQL are data, stored verbatim. The collector runs in
 * insecure dev mode here, which must still refuse a wrong key.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.ts';
import { controlFileFor } from '../../src/service.ts';
import type { Store } from '../../src/store/store.ts';
import { OTHER_KEY, startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { str } from '../otlp/requests.ts';
import { body, expectStillServing, type Format, freshSpan, postTraces, waitForTrace } from './http.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let url: string;
let sqlToken: string;

beforeAll(async () => {
  collector = await startTestCollector({ insecureDev: true, evaluators: 'none' });
  url = collector.url;
  // The token `oversight sql` reads: left beside the log by a collector on an embedded store.
  const control = JSON.parse(
    await readFile(controlFileFor(resolveConfig({ dataDir: path.join(collector.dir, 'data') })), 'utf8'),
  ) as { token: string };
  sqlToken = control.token;
});
afterAll(async () => {
  await collector?.dispose();
});

const FORMATS: Format[] = ['protobuf', 'json'];

const CHAT = [
  str('gen_ai.operation.name', 'chat'),
  str('gen_ai.provider.name', 'openai'),
  str('gen_ai.request.model', 'gpt-4o-mini'),
];

function llmRows(store: Store, traceId: string) {
  return waitFor(
    async () => {
      const rows = await store.query<{ project_id: string }>(
        'SELECT project_id FROM llm_spans WHERE trace_id = {id:String}',
        { params: { id: traceId } },
      );
      return rows.length ? rows : null;
    },
    15_000,
    'the llm_spans row',
  );
}

describe('project comes from the key', () => {
  it.each(FORMATS)(
    '%s: span and resource attributes naming another project change nothing',
    async (format) => {
      const claims = [
        str('project_id', 'project-b'),
        str('project.id', 'project-b'),
        str('oversight.project.id', 'project-b'),
        str('oversight.project_id', 'project-b'),
        str('ProjectId', 'project-b'),
      ];
      const target = freshSpan({ name: 'chat gpt-4o-mini', attributes: [...CHAT, ...claims] });
      const answer = await postTraces(url, body(format, [target], claims), format, { key: TEST_KEY });
      expect(answer.status).toBe(200);
      const rows = await waitForTrace<{ ProjectId: string; claimed: string; resourceClaim: string }>(
        collector.store,
        target.traceId,
        1,
        "ProjectId, SpanAttributes['oversight.project.id'] AS claimed, ResourceAttributes['project.id'] AS resourceClaim",
      );
      // The claims are kept as data, never as the tenant.
      expect(rows).toEqual([{ ProjectId: 'project-a', claimed: 'project-b', resourceClaim: 'project-b' }]);
      expect(await llmRows(collector.store, target.traceId)).toEqual([{ project_id: 'project-a' }]);
    },
  );

  it('each key writes its own project; dev mode files keyless requests under "default" and still refuses a wrong key', async () => {
    const [a, b, keyless, wrong] = [freshSpan(), freshSpan(), freshSpan(), freshSpan()];
    expect((await postTraces(url, body('json', [a]), 'json', { key: TEST_KEY })).status).toBe(200);
    expect((await postTraces(url, body('json', [b]), 'json', { key: OTHER_KEY })).status).toBe(200);
    expect((await postTraces(url, body('json', [keyless]), 'json')).status).toBe(200);
    const refused = await postTraces(url, body('json', [wrong]), 'json', { key: 'wrong-key-in-dev-mode' });
    expect(refused.status).toBe(401);

    const projectOf = async (traceId: string) =>
      (await waitForTrace<{ ProjectId: string }>(collector.store, traceId, 1, 'ProjectId'))[0]?.ProjectId;
    expect(await projectOf(a.traceId)).toBe('project-a');
    expect(await projectOf(b.traceId)).toBe('project-b');
    expect(await projectOf(keyless.traceId)).toBe('default');
    const stored = await collector.store.query('SELECT 1 FROM otel_traces WHERE TraceId = {id:String}', {
      params: { id: wrong.traceId },
    });
    expect(stored).toEqual([]);
  });

  it('values that look like SQL are stored verbatim and break nothing', async () => {
    const hostile = [
      "'); DROP TABLE oversight.otel_traces; --",
      "x' OR '1'='1",
      '{id:String}',
      '\\\'"`\\N\t\n\r\0',
      '"}\n{"ProjectId":"project-b"}',
      "project-b' AS ProjectId, '",
    ];
    const target = freshSpan({
      name: hostile[0],
      attributes: [
        ...CHAT,
        ...hostile.map((value, i) => str(`evil.${i}`, value)),
        str(hostile[1] as string, 'key'),
      ],
    });
    const answer = await postTraces(url, body('protobuf', [target]), 'protobuf', {
      key: TEST_KEY,
    });
    expect(answer.status).toBe(200);
    await waitForTrace(collector.store, target.traceId, 1);
    const [row] = await collector.store.query(
      `SELECT SpanName, ProjectId, SpanAttributes[{key:String}] AS evilKey,
              arrayMap(i -> SpanAttributes[concat('evil.', toString(i))], range({n:UInt32})) AS values
         FROM otel_traces WHERE TraceId = {id:String}`,
      { params: { id: target.traceId, key: hostile[1], n: hostile.length } },
    );
    expect(row).toEqual({ SpanName: hostile[0], ProjectId: 'project-a', evilKey: 'key', values: hostile });
    const [llm] = await llmRows(collector.store, target.traceId);
    expect(llm).toEqual({ project_id: 'project-a' });
    await expectStillServing(url, collector.store, TEST_KEY);
  });
});

describe('/internal/sql', () => {
  const sql = (query: unknown, token?: string) =>
    fetch(`${url}/internal/sql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(query),
    });

  it('refuses without its token, and with an API key in its place', async () => {
    for (const token of [undefined, '', 'wrong', TEST_KEY, sqlToken.slice(0, -1)]) {
      const response = await sql({ query: 'SELECT 1' }, token);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'forbidden' });
    }
  });

  it('answers reads with its token', async () => {
    const response = await sql({ query: 'SELECT 40 + 2 AS answer', format: 'JSONEachRow' }, sqlToken);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"answer":42}\n');
  });

  it('refuses writes and DDL even with its token: the engine runs it read-only', async () => {
    const before = await collector.store.query<{ n: number }>('SELECT count() AS n FROM otel_traces');
    for (const query of [
      "INSERT INTO otel_traces (TraceId, ProjectId) VALUES ('x', 'project-b')",
      'DROP TABLE otel_traces',
      'TRUNCATE TABLE llm_spans',
      "ALTER TABLE otel_traces DELETE WHERE ProjectId = 'project-a'",
      'CREATE TABLE oversight.evil (x UInt8) ENGINE = Memory',
      'SET readonly = 0',
    ]) {
      const response = await sql({ query }, sqlToken);
      expect(response.status, query).toBe(400);
      expect(await response.text(), query).toMatch(/readonly|read-only|READONLY/i);
    }
    const after = await collector.store.query<{ n: number }>('SELECT count() AS n FROM otel_traces');
    expect(after).toEqual(before);
    const tables = await collector.store.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = 'oversight' AND name IN ('otel_traces', 'evil')",
    );
    expect(tables).toEqual([{ name: 'otel_traces' }]);
  });

  it('refuses malformed requests with 400 and a reason', async () => {
    const notJson = await fetch(`${url}/internal/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sqlToken}` },
      body: 'SELECT 1',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/^body must be JSON: /);
    const badFormat = await sql({ query: 'SELECT 1', format: 'JSON FORMAT CSV' }, sqlToken);
    expect(badFormat.status).toBe(400);
    expect(await badFormat.json()).toEqual({ error: 'format: an output format name such as PrettyCompact' });
    const noQuery = await sql({ format: 'CSV' }, sqlToken);
    expect(noQuery.status).toBe(400);
  });
});

describe('/v1/feedback', () => {
  const send = (payload: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
    });

  it('is filed under the key project, whatever the body says', async () => {
    const { traceId } = freshSpan();
    const response = await send(
      JSON.stringify({ traceId, value: 'up', comment: 'great', metadata: { project_id: 'project-b' } }),
      { 'x-api-key': TEST_KEY },
    );
    expect(response.status).toBe(202);
    const rows = await waitFor(
      async () => {
        const found = await collector.store.query<{ project_id: string; comment: string }>(
          'SELECT project_id, comment FROM feedback WHERE trace_id = {id:String}',
          { params: { id: traceId } },
        );
        return found.length ? found : null;
      },
      15_000,
      'the feedback row',
    );
    expect(rows).toEqual([{ project_id: 'project-a', comment: 'great' }]);
  });

  it('refuses a wrong key, bad JSON, a bad field and an oversized body with a reason', async () => {
    const { traceId } = freshSpan();
    const wrongKey = await send(JSON.stringify({ traceId, value: 'up' }), {
      authorization: 'Bearer nope-nope-nope',
    });
    expect(wrongKey.status).toBe(401);
    const badJson = await send('{"traceId":', { 'x-api-key': TEST_KEY });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toMatch(/^body must be JSON: /);
    const badField = await send(JSON.stringify({ traceId: 'xyz', value: 'up' }), { 'x-api-key': TEST_KEY });
    expect(badField.status).toBe(400);
    expect(await badField.json()).toEqual({ error: 'traceId: traceId must be 32 hex characters' });
    const huge = await send(
      JSON.stringify({ traceId, value: 'up', metadata: { pad: 'x'.repeat(1024 ** 2) } }),
      {
        'x-api-key': TEST_KEY,
      },
    );
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({ error: 'request body exceeds the limit of 1048576 bytes' });
  });

  it('takes the largest edit the feedback schema allows, corrected answer and comment whole', async () => {
    const { traceId } = freshSpan();
    // 100,000 characters (the schema's most) of a reply in Japanese: 300 KB of UTF-8.
    const correction = '丁寧な回答'.repeat(20_000);
    const comment = 'もっと短く'.repeat(2_000);
    const response = await send(JSON.stringify({ traceId, kind: 'edit', correction, comment }), {
      'x-api-key': TEST_KEY,
    });
    expect(response.status).toBe(202);
    const rows = await waitFor(
      async () => {
        const found = await collector.store.query<{ correction: string; comment: string }>(
          'SELECT correction, comment FROM feedback WHERE trace_id = {id:String}',
          { params: { id: traceId } },
        );
        return found.length ? found : null;
      },
      15_000,
      'the feedback row',
    );
    expect(rows).toEqual([{ correction, comment }]);
  });
});
