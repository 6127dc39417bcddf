import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { headOf } from '@oversight/scorers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '../../src/normalize/attributes.ts';
import { normalizeSpan } from '../../src/normalize/index.ts';
import { truncateText } from '../../src/normalize/truncate.ts';
import { toLlmSpanRow, toRetrievalDocumentRows } from '../../src/pipeline/transform/llm-rows.ts';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/store/chdb-store.ts';
import { sampleLlmSpan } from '../store/fixtures.ts';
import { spanWith } from './span-fixture.ts';

describe('cutting text', () => {
  it('never splits a surrogate pair', () => {
    const text = `ab${'😀'.repeat(3)}`; // each emoji is two UTF-16 units
    expect(headOf(text, 3)).toBe('ab');
    expect(headOf(text, 4)).toBe('ab😀');
    expect(headOf(text, 100)).toBe(text);
    expect(truncateText(text, 3)).toBe('ab…[truncated 6 chars]');
    for (let n = 1; n <= text.length; n++) expect(headOf(text, n).isWellFormed(), String(n)).toBe(true);
  });
});

describe('parsing JSON text with half a surrogate pair', () => {
  it('keeps every key, one named __proto__ included', () => {
    const parsed = parseJson('{"__proto__":{"admin":true},"text":"cut \\ud83d"}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto__', 'text']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(parsed.text).toBe('cut \ufffd');
  });
});

describe('an emoji cut at the text cap', () => {
  let dir: string;
  let store: EmbeddedStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oversight-cut-'));
    store = await openEmbeddedStore({ dataDir: path.join(dir, 'data') });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is stored: ClickHouse refuses half a surrogate pair, so the cap must not make one', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const prompt = `${'x'.repeat(32_767)}😀 and more`; // the pair straddles the 32,768-unit column cap
    const span = sampleLlmSpan({
      startTimeUnixNano: now,
      endTimeUnixNano: now + 1_000n,
      inputMessages: [{ role: 'user', content: prompt }],
    });
    await store.insert('llm_spans', [toLlmSpanRow(span, 'p')]);
    const [row] = await store.query<{ n: number }>(
      'SELECT length(prompt_text) AS n FROM llm_spans WHERE span_id = {id:String}',
      { params: { id: span.spanId } },
    );
    expect(row?.n).toBe(32_767);
  });

  it('is stored when an emitter escaped half a pair inside JSON text', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    // What a client that cut "hi 😀" to four UTF-16 units and then serialised it sends.
    const cut = JSON.stringify('hi 😀'.slice(0, 4));
    const times = { startTimeUnixNano: now, endTimeUnixNano: now + 1_000n };
    const chat = normalizeSpan(
      spanWith(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.input.messages': `[{"role":"user","parts":[{"type":"text","content":${cut}}]}]`,
        },
        { ...times, spanId: 'c000000000000001' },
      ),
    );
    const retrieval = normalizeSpan(
      spanWith(
        {
          'gen_ai.operation.name': 'retrieval',
          'gen_ai.provider.name': 'openai',
          'gen_ai.retrieval.documents': `[{"id":${cut},"score":0.5,"content":${cut},"metadata":{${cut}:${cut}}}]`,
        },
        { ...times, spanId: 'c000000000000002' },
      ),
    );
    if (!chat || !retrieval) throw new Error('not normalised');
    await store.insert('llm_spans', [toLlmSpanRow(chat, 'p'), toLlmSpanRow(retrieval, 'p')]);
    await store.insert('retrieval_documents', toRetrievalDocumentRows(retrieval, 'p'));
    const [row] = await store.query<{ prompt: string }>(
      'SELECT prompt_text AS prompt FROM llm_spans WHERE span_id = {id:String}',
      { params: { id: chat.spanId } },
    );
    expect(row?.prompt).toBe('hi \uFFFD');
    expect(chat.inputMessages).toEqual([{ role: 'user', content: 'hi \uFFFD' }]);
    const [doc] = await store.query<{ id: string; content: string; meta: Record<string, string> }>(
      'SELECT document_id AS id, content, metadata AS meta FROM retrieval_documents WHERE span_id = {id:String}',
      { params: { id: retrieval.spanId } },
    );
    expect(doc).toEqual({ id: 'hi \uFFFD', content: 'hi \uFFFD', meta: { 'hi \uFFFD': 'hi \uFFFD' } });
  });
});
