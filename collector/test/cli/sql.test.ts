import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oversight } from '../helpers/cli.ts';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';

/**
 * `oversight sql` is what an analyst tries first, often while the collector
 * holds the embedded data dir (chdb allows one process per directory): it
 * must answer through the running collector, and open the store itself when
 * none runs; read-only either way.
 */

let collector: Awaited<ReturnType<typeof startTestCollector>>;
let dataDir: string;
const traceId = '5e'.repeat(16);

const sql = (query: string, ...args: string[]) =>
  oversight(['sql', query, '--data-dir', dataDir, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });

beforeAll(async () => {
  collector = await startTestCollector({ evaluators: 'none' });
  dataDir = resolve(collector.dir, 'data');
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = (spanId: string, model: string, tokens: number) => ({
    traceId,
    spanId,
    name: `chat ${model}`,
    kind: 3,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
      { key: 'gen_ai.request.model', value: { stringValue: model } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: tokens } },
    ],
  });
  const response = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cli-test' } }] },
          scopeSpans: [
            { spans: [span('00000000000000a1', 'gpt-4o', 10), span('00000000000000a2', 'gpt-4o-mini', 32)] },
          ],
        },
      ],
    }),
  });
  expect(response.status).toBe(200);
  await waitFor(async () => {
    const [row] = await collector.store.query<{ n: number }>('SELECT count() n FROM llm_spans');
    return row?.n === 2;
  });
});
afterAll(async () => {
  await collector?.dispose();
});

const QUERY = `SELECT request_model, input_tokens FROM llm_spans WHERE trace_id = '${traceId}' ORDER BY request_model`;

describe('oversight sql', () => {
  it('answers through the running collector that holds the data dir, in every format', async () => {
    const json = await sql(QUERY, '--format', 'json');
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { request_model: 'gpt-4o', input_tokens: 10 },
      { request_model: 'gpt-4o-mini', input_tokens: 32 },
    ]);
    const csv = await sql(QUERY, '--format', 'csv');
    expect(csv.stdout).toBe('"request_model","input_tokens"\n"gpt-4o",10\n"gpt-4o-mini",32\n');
    const table = await sql(QUERY);
    expect(table.stdout).toMatch(/request_model.*input_tokens/);
    expect(table.stdout).toMatch(/gpt-4o-mini\s*│\s*32/);
  });

  it('refuses writes through the collector with a clear message', async () => {
    const failed = await sql('DROP TABLE llm_spans').catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/read-only|readonly/i);
    const [row] = await collector.store.query<{ n: number }>('SELECT count() n FROM llm_spans');
    expect(row?.n).toBe(2);
  });

  it('opens the store itself once no collector runs, still read-only', async () => {
    await collector.close();
    const json = await sql(QUERY, '--format', 'json');
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { request_model: 'gpt-4o', input_tokens: 10 },
      { request_model: 'gpt-4o-mini', input_tokens: 32 },
    ]);
    const failed = await sql(`INSERT INTO llm_spans (trace_id) VALUES ('x')`).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((failed as { stderr: string }).stderr).toMatch(/read-only|readonly/i);
  });
});

describe('oversight --help', () => {
  it('documents every start setting with its environment variable', async () => {
    const { stdout } = await oversight(['start', '--help']);
    for (const flag of [
      '--port',
      '--host',
      '--data-dir',
      '--clickhouse-url',
      '--api-keys',
      '--insecure-dev',
      '--wal-max-bytes',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toMatch(/env: OVERSIGHT_PORT/);
    expect(stdout).toMatch(/default: "4318"/);
  });
});
