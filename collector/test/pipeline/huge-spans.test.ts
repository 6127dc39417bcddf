/**
 * A span may carry hundreds of thousands of documents, messages or tool calls
 * (a bulk retrieval, an agent's long history) within the request limits. The
 * transform copied such lists with `push(...list)`, a call with one argument
 * per item, which overflows the stack past about 120 000: the span was then
 * dead-lettered instead of stored.
 */
import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../src/otlp/index.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { event, spanWith } from '../normalize/span-fixture.ts';

const N = 200_000;
const toRows = createBatchTransform({ maxTextChars: 1_000, scorers: [] });
const rowsOf = (span: SpanRecord) =>
  toRows([{ projectId: 'p', spans: [span], position: 0, receivedAt: 0 } as never]);
const many = <T>(make: (i: number) => T) => Array.from({ length: N }, (_, i) => make(i));

describe(`spans with ${N} items in one list`, () => {
  it('a retrieval of that many documents: one row each', () => {
    const documents = many((i) => ({ id: `d${i}`, content: 'x', score: 0.5 }));
    const tables = rowsOf(
      spanWith({
        'gen_ai.operation.name': 'retrieval',
        'gen_ai.retrieval.documents': JSON.stringify(documents),
      }),
    );
    const rows = tables.get('retrieval_documents') ?? [];
    expect(rows).toHaveLength(N);
    expect(rows.at(-1)?.document_id).toBe(`d${N - 1}`);
    expect(tables.get('llm_spans')?.[0]?.document_count).toBe(N);
  });

  it('a prompt of that many messages in a legacy prompt event: the last is the question', () => {
    const messages = many((i) => ({ role: 'user', content: `m${i}` }));
    const span = spanWith(
      { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai' },
      { events: [event('gen_ai.content.prompt', { 'gen_ai.prompt': JSON.stringify(messages) })] },
    );
    expect(rowsOf(span).get('llm_spans')?.[0]?.prompt_text).toBe(`m${N - 1}`);
  });

  it('an answer of that many tool calls in the chat format', () => {
    const calls = many((i) => ({ id: `c${i}`, type: 'function', function: { name: 'f', arguments: '{}' } }));
    const span = spanWith({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content: '', tool_calls: calls }]),
    });
    const row = rowsOf(span).get('llm_spans')?.[0];
    expect(row?.tool_calls).toMatch(/^\[\{"id":"c0","name":"f"/);
  });

  it('a Vercel AI SDK prompt of that many messages', () => {
    const messages = many((i) => ({ role: 'user', content: `m${i}` }));
    const span = spanWith({
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.provider': 'openai.chat',
      'ai.model.id': 'gpt-4o',
      'ai.prompt': JSON.stringify({ prompt: messages }),
    });
    expect(rowsOf(span).get('llm_spans')?.[0]?.prompt_text).toBe(`m${N - 1}`);
  });
});
