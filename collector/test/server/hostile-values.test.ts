/**
 * Regression test for a bug the HTTP fuzz test found. A token count that is negative, fractional or big enough for exponent
 * notation goes from the span attribute (normalize/attributes.ts `asNumber`)
 * into a Nullable(UInt64) column of llm_spans. ClickHouse refuses the insert
 * (CANNOT_PARSE_NUMBER / CANNOT_PARSE_INPUT), and the drain took a refused
 * insert for an outage and retried the same batch forever: one such span from
 * any key stopped ingestion for every project. Counts that cannot be counts
 * now normalize to unknown (null).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../src/otlp/index.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { spanWith } from '../normalize/span-fixture.ts';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oversight-hostile-values-'));
  store = await openStore({ dataDir: path.join(dir, 'data') });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const toRows = createBatchTransform({ maxTextChars: 1_000, scorers: [] });

async function insertRowsOf(span: SpanRecord): Promise<void> {
  const batch = { projectId: 'p', receivedAt: 0, spans: [span], position: { segment: 0, offset: 0 } };
  for (const [table, rows] of toRows([batch as never])) await store.insert(table, rows);
}

describe('hostile token counts', () => {
  for (const count of [-1, 1.5, 1e30, '-7']) {
    it(`gen_ai.usage.input_tokens = ${JSON.stringify(count)} yields rows ClickHouse accepts`, async () => {
      const span = spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.usage.input_tokens': count,
      });
      await expect(insertRowsOf(span)).resolves.toBeUndefined();
    });
  }

  it('a sane count is stored (the harness itself works)', async () => {
    const start = BigInt(Date.now()) * 1_000_000n;
    // Within the tables' 30-day TTL, or ClickHouse drops the row (at a merge);
    // a span id of its own, as the hostile rows above keep the fixture's until
    // that merge comes, which may be after this query.
    const span = spanWith(
      { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 12 },
      { spanId: '5a5e5a5e5a5e5a5e', startTimeUnixNano: start, endTimeUnixNano: start + 1_000n },
    );
    await insertRowsOf(span);
    const rows = await store.query<{ input_tokens: number }>(
      'SELECT input_tokens FROM llm_spans WHERE span_id = {id:String}',
      { params: { id: span.spanId } },
    );
    expect(rows).toEqual([{ input_tokens: 12 }]);
  });
});
