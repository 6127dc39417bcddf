import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../../../collector/test/helpers/collector.ts';
import { type MockLlm, startMockLlm } from '../../../examples/mock-llm/src/index.ts';
import {
  currentTraceId,
  embed,
  feedback,
  init,
  instrument,
  type OversightHandle,
  PriceTable,
  rerank,
  retrieve,
  tool,
  withContext,
  workflow,
} from '../../src/index.ts';

/**
 * The whole path a user's app takes: the SDK instruments the real `openai`
 * and `@anthropic-ai/sdk` clients talking to the local mock LLM, exports over
 * OTLP/HTTP to a running collector, and the collector writes to embedded
 * ClickHouse (chdb). Every assertion reads ClickHouse.
 *
 * The clients are instrumented with `instrument(client)`: vitest loads modules
 * through its own loader, which the SDK's module hooks never see, exactly as
 * in a bundled app.
 */
type Collector = Awaited<ReturnType<typeof startTestCollector>>;
type Row = Record<string, unknown>;

let collector: Collector;
let mock: MockLlm;

beforeAll(async () => {
  [collector, mock] = await Promise.all([startTestCollector(), startMockLlm()]);
});
afterAll(async () => {
  await mock?.close();
  await collector?.dispose();
});

const prices = new PriceTable();

function clients() {
  return {
    openai: instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 })),
    anthropic: instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 })),
  };
}

function startSdk(options: { serviceName: string; captureContent?: boolean }): OversightHandle {
  return init({
    endpoint: collector.url,
    apiKey: TEST_KEY,
    serviceName: options.serviceName,
    flushOnExit: false,
    ...(options.captureContent === undefined ? {} : { captureContent: options.captureContent }),
  });
}

/** Rows reach ClickHouse after the 200, one insert per table: poll until `count` are there. */
async function rowsWhen(sql: string, params: Record<string, string>, count: number, what: string) {
  let rows: Row[] = [];
  await waitFor(
    async () => {
      rows = await collector.store.query<Row>(sql, { params });
      return rows.length >= count;
    },
    20_000,
    what,
  );
  return rows;
}

/** The trace's `llm_spans` rows, once all `count` have arrived. */
function llmRows(traceId: string, count: number): Promise<Row[]> {
  return rowsWhen(
    'SELECT * FROM llm_spans WHERE trace_id = {id:String} ORDER BY timestamp, name',
    { id: traceId },
    count,
    `${count} llm_spans rows`,
  );
}

function documentRows(sql: string, traceId: string, count: number): Promise<Row[]> {
  return rowsWhen(sql, { id: traceId }, count, `${count} retrieval_documents rows`);
}

const KB = [
  {
    id: 'kb-refunds',
    content: 'Acme Cloud refunds are available within 30 days of purchase. Contact billing to start one.',
    score: 0.82,
  },
  { id: 'kb-plans', content: 'Acme Cloud has three plans: Free, Team and Enterprise.', score: 0.41 },
  { id: 'kb-sso', content: 'Single sign-on is included in the Enterprise plan.', score: 0.17 },
];
const QUESTION = 'How many days do I have to ask for a refund on Acme Cloud?';
const SESSION = 'session-e2e-1';
const USER = 'user-e2e-42';

interface FlowResult {
  traceId: string;
  streamedText: string;
  streamChunks: number;
  claudeText: string;
  claudeUsage: { input_tokens: number; output_tokens: number };
  embeddingTokens: number;
  queryVector: number[];
}

/** One RAG request as an app would write it. */
async function ragFlow(): Promise<FlowResult> {
  const { openai, anthropic } = clients();
  return withContext({ sessionId: SESSION, userId: USER }, () =>
    workflow('answer-question', async () => {
      const traceId = currentTraceId() ?? '';
      const embedding = await embed(
        { model: 'text-embedding-3-small', provider: 'openai', input: QUESTION },
        () =>
          openai.embeddings.create({
            model: 'text-embedding-3-small',
            input: QUESTION,
            encoding_format: 'float',
          }),
      );
      const vector = embedding.data[0]?.embedding ?? [];
      const found = await retrieve(
        { query: QUESTION, dataSourceId: 'acme-kb', topK: 3, embedding: vector },
        async () => KB.map((d) => ({ ...d })),
      );
      // The reranker reverses the runner-up pair, so rerank order differs from retrieval order.
      const reranked = await rerank(
        { query: QUESTION, documents: found, model: 'mock-rerank', provider: 'local', topK: 2 },
        async () => [
          { index: 0, relevance_score: 0.97 },
          { index: 2, relevance_score: 0.35 },
        ],
      );
      const context = reranked.map((r) => found[r.index]?.content).join('\n');
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [
          { role: 'system', content: 'Answer from the context only.' },
          { role: 'user', content: `Context: ${context}\n\nQuestion: ${QUESTION}` },
        ],
      });
      let streamedText = '';
      let streamChunks = 0;
      for await (const chunk of stream) {
        streamChunks += 1;
        streamedText += chunk.choices[0]?.delta.content ?? '';
      }
      const message = await anthropic.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Summarise our refund policy in one line' }],
      });
      const claudeText = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      await tool(
        { name: 'create_ticket', callId: 'call-7', arguments: { topic: 'refund', priority: 2 } },
        async () => ({ ticket: 'T-1001' }),
      );
      return {
        traceId,
        streamedText,
        streamChunks,
        claudeText,
        claudeUsage: message.usage,
        embeddingTokens: embedding.usage.prompt_tokens,
        queryVector: vector,
      };
    }),
  );
}

describe('SDK → collector → ClickHouse', () => {
  let handle: OversightHandle;
  let flow: FlowResult;

  beforeAll(async () => {
    handle = startSdk({ serviceName: 'rag-e2e' });
    flow = await ragFlow();
    await handle.flush();
  });
  afterAll(async () => {
    await handle?.shutdown();
  });

  it('captures the trace id inside the flow', () => {
    expect(flow.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(flow.streamedText).toBe('Acme Cloud refunds are available within 30 days of purchase.');
    expect(flow.streamChunks).toBeGreaterThan(1);
  });

  it('writes one llm_spans row per step, tagged with the session and user', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const summary = rows
      .map((r) => [r.operation, r.name, r.project_id, r.service_name, r.session_id, r.user_id])
      .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(summary).toEqual([
      ['chat', 'chat claude-haiku-4-5', 'project-a', 'rag-e2e', SESSION, USER],
      ['chat', 'chat gpt-4o-mini', 'project-a', 'rag-e2e', SESSION, USER],
      // One row for the embedding step: the instrumented client call inside embed() adds no second one.
      ['embeddings', 'embeddings text-embedding-3-small', 'project-a', 'rag-e2e', SESSION, USER],
      ['execute_tool', 'execute_tool create_ticket', 'project-a', 'rag-e2e', SESSION, USER],
      ['invoke_workflow', 'invoke_workflow answer-question', 'project-a', 'rag-e2e', SESSION, USER],
      ['rerank', 'rerank mock-rerank', 'project-a', 'rag-e2e', SESSION, USER],
      ['retrieval', 'retrieval acme-kb', 'project-a', 'rag-e2e', SESSION, USER],
    ]);
    // One trace, one tree: every step hangs off the workflow.
    const root = rows.find((r) => r.operation === 'invoke_workflow') as Row;
    expect(root.parent_span_id).toBe('');
    const children = rows.filter((r) => r.parent_span_id === root.span_id).map((r) => r.name);
    expect(children.sort()).toEqual([
      'chat claude-haiku-4-5',
      'chat gpt-4o-mini',
      'embeddings text-embedding-3-small',
      'execute_tool create_ticket',
      'rerank mock-rerank',
      'retrieval acme-kb',
    ]);
  });

  it('records the streamed OpenAI chat: models, stream usage, cost, ttft, messages', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const chat = rows.find((r) => r.name === 'chat gpt-4o-mini') as Row;
    const context = `${KB[0]?.content}\n${KB[2]?.content}`;
    const userText = `Context: ${context}\n\nQuestion: ${QUESTION}`;
    // The mock counts one token per whitespace-separated word of every message.
    const inputTokens = `Answer from the context only. ${userText}`.split(/\s+/).length;
    const outputTokens = flow.streamedText.split(/\s+/).length;
    expect(chat).toMatchObject({
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2025-06-01',
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      finish_reasons: ['stop'],
      // Success leaves the OTel status unset, as the conventions ask.
      status: 'unset',
      prompt_text: userText,
      completion_text: flow.streamedText,
      system_instructions: 'Answer from the context only.',
    });
    expect(chat.request_params).toMatchObject({ stream: 'true' });
    const expectedCost = prices.cost('gpt-4o-mini-2025-06-01', { inputTokens, outputTokens }) as number;
    expect(expectedCost).toBeGreaterThan(0);
    expect(chat.cost_usd).toBeCloseTo(expectedCost, 12);
    expect(chat.ttft_ms).toBeGreaterThan(0);
    expect(chat.ttft_ms).toBeLessThanOrEqual(Number(chat.duration_ns) / 1e6);
    // The system message is kept apart, as gen_ai.system_instructions.
    expect(JSON.parse(chat.input_messages as string)).toEqual([
      expect.objectContaining({ role: 'user', content: userText }),
    ]);
    expect(JSON.parse(chat.output_messages as string)).toEqual([
      expect.objectContaining({ role: 'assistant', content: flow.streamedText }),
    ]);
  });

  it('records the Anthropic message with its own usage and price', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const claude = rows.find((r) => r.name === 'chat claude-haiku-4-5') as Row;
    const { input_tokens, output_tokens } = flow.claudeUsage;
    expect(input_tokens).toBe(7);
    expect(claude).toMatchObject({
      provider: 'anthropic',
      request_model: 'claude-haiku-4-5',
      response_model: 'claude-haiku-4-5',
      input_tokens,
      output_tokens,
      finish_reasons: ['end_turn'],
      prompt_text: 'Summarise our refund policy in one line',
      completion_text: flow.claudeText,
      ttft_ms: null,
    });
    const expectedCost = prices.cost('claude-haiku-4-5', {
      inputTokens: input_tokens,
      outputTokens: output_tokens,
    }) as number;
    expect(expectedCost).toBeGreaterThan(0);
    expect(claude.cost_usd).toBeCloseTo(expectedCost, 12);
  });

  it('records the embeddings call with tokens and price', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const embeddings = rows.filter((r) => r.operation === 'embeddings');
    const root = rows.find((r) => r.operation === 'invoke_workflow') as Row;
    expect(embeddings).toHaveLength(1);
    const [step] = embeddings;
    expect(step?.parent_span_id).toBe(root.span_id);
    const tokens = QUESTION.split(/\s+/).length;
    expect(flow.embeddingTokens).toBe(tokens);
    expect(step).toMatchObject({
      provider: 'openai',
      request_model: 'text-embedding-3-small',
      response_model: 'text-embedding-3-small',
      input_tokens: tokens,
    });
    const expectedCost = prices.cost('text-embedding-3-small', {
      inputTokens: tokens,
      outputTokens: 0,
    }) as number;
    expect(expectedCost).toBeGreaterThan(0);
    expect(step?.cost_usd).toBeCloseTo(expectedCost, 12);
  });

  it('records retrieval and rerank with the query, its embedding and the documents in order', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const retrieval = rows.find((r) => r.operation === 'retrieval') as Row;
    expect(retrieval).toMatchObject({
      retrieval_query: QUESTION,
      data_source_id: 'acme-kb',
      document_count: 3,
      prompt_text: QUESTION,
    });
    expect(retrieval.request_params).toMatchObject({ top_k: '3' });
    // The app's own query vector, as float32: the topic clusterer reuses it instead of embedding again.
    // ClickHouse prints Float32 in its shortest form: compare as float32.
    const stored = retrieval.query_embedding as number[];
    const diffs = flow.queryVector
      .map((v, i) => [i, Math.fround(v), Math.fround(stored[i] ?? Number.NaN)])
      .filter(([, a, b]) => a !== b);
    expect(diffs.slice(0, 5)).toEqual([]);
    expect(stored).toHaveLength(flow.queryVector.length);
    expect(flow.queryVector).toHaveLength(1536);

    const rerankRow = rows.find((r) => r.operation === 'rerank') as Row;
    expect(rerankRow).toMatchObject({
      retrieval_query: QUESTION,
      document_count: 2,
      request_model: 'mock-rerank',
    });

    const documents = await documentRows(
      `SELECT span_id, data_source_id, query, document_id, rank, score, content
         FROM retrieval_documents WHERE trace_id = {id:String} ORDER BY span_id, rank`,
      flow.traceId,
      5,
    );
    const bySpan = (spanId: unknown) =>
      documents.filter((d) => d.span_id === spanId).map((d) => [d.document_id, d.rank, d.score]);
    const firstRank = Number(documents.map((d) => d.rank).sort()[0]);
    expect(bySpan(retrieval.span_id)).toEqual(KB.map((d, i) => [d.id, firstRank + i, d.score]));
    expect(bySpan(rerankRow.span_id)).toEqual([
      ['kb-refunds', firstRank, 0.97],
      ['kb-sso', firstRank + 1, 0.35],
    ]);
    const first = documents.find((d) => d.span_id === retrieval.span_id && d.document_id === 'kb-refunds');
    expect(first).toMatchObject({ data_source_id: 'acme-kb', query: QUESTION, content: KB[0]?.content });
  });

  it('records the tool call with arguments and result', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const call = rows.find((r) => r.operation === 'execute_tool') as Row;
    expect(call).toMatchObject({ tool_name: 'create_ticket', status: 'unset', error_type: '' });
    expect(JSON.parse(call.tool_arguments as string)).toEqual({ topic: 'refund', priority: 2 });
    expect(JSON.parse(call.tool_result as string)).toEqual({ ticket: 'T-1001' });
  });

  it('scores the chat spans: safety evaluations on input and output', async () => {
    const rows = await llmRows(flow.traceId, 7);
    const chat = rows.find((r) => r.name === 'chat gpt-4o-mini') as Row;
    const evaluations = await rowsWhen(
      `SELECT evaluator, target, score, label, source FROM evaluations
        WHERE trace_id = {id:String} AND span_id = {span:String}
          -- The trace stage's scores of this answer come seconds later, and are tested on their own.
          AND evaluator NOT IN ('groundedness', 'answer_relevance', 'context_relevance')
        ORDER BY target, evaluator`,
      { id: flow.traceId, span: chat.span_id as string },
      7,
      'evaluations of the chat span',
    );
    expect(evaluations.map((e) => [e.target, e.evaluator])).toEqual([
      ['input', 'jailbreak'],
      ['input', 'pii'],
      ['input', 'prompt_injection'],
      ['input', 'toxicity'],
      ['output', 'pii'],
      ['output', 'refusal'],
      ['output', 'toxicity'],
    ]);
    for (const e of evaluations) {
      expect(e.source).toBe('collector');
      expect(e.score).toBeGreaterThanOrEqual(0);
      expect(e.score).toBeLessThanOrEqual(1);
    }
    // A grounded answer about refunds is neither an injection nor a refusal.
    const label = (target: string, evaluator: string) =>
      evaluations.find((e) => e.target === target && e.evaluator === evaluator)?.label;
    expect(label('input', 'prompt_injection')).not.toBe('prompt_injection');
    expect(label('output', 'refusal')).not.toBe('refusal');
  });

  function feedbackRows(traceId: string): Promise<Row[]> {
    return rowsWhen(
      `SELECT project_id, trace_id, user_id, kind, value, comment FROM feedback
        WHERE trace_id = {id:String} ORDER BY comment`,
      { id: traceId },
      1,
      'the feedback row',
    );
  }

  it('stores thumbs-up feedback for the trace', async () => {
    const comment = 'exactly what I needed';
    const result = await feedback(
      { traceId: flow.traceId, value: 'up', comment, userId: USER },
      { endpoint: collector.url, apiKey: TEST_KEY },
    );
    expect(result).toEqual({ ok: true, status: 202, attempts: 1 });
    expect(await feedbackRows(flow.traceId)).toEqual([
      { project_id: 'project-a', trace_id: flow.traceId, user_id: USER, kind: 'thumbs', value: 1, comment },
    ]);
  });

  it('feedback() after init() needs no endpoint or key', async () => {
    const traceId = 'a'.repeat(32);
    const result = await feedback({ traceId, value: 'down', comment: 'configured by init' });
    expect(result).toEqual({ ok: true, status: 202, attempts: 1 });
    expect(await feedbackRows(traceId)).toEqual([
      {
        project_id: 'project-a',
        trace_id: traceId,
        user_id: '',
        kind: 'thumbs',
        value: 0,
        comment: 'configured by init',
      },
    ]);
  });
});

describe('captureContent: false', () => {
  it('keeps prompts, completions, queries and documents out of ClickHouse', async () => {
    const handle = startSdk({ serviceName: 'rag-e2e-private', captureContent: false });
    let flow: FlowResult;
    try {
      flow = await ragFlow();
      await handle.flush();
    } finally {
      await handle.shutdown();
    }
    const rows = await llmRows(flow.traceId, 7);
    expect(rows.every((r) => r.service_name === 'rag-e2e-private')).toBe(true);
    // Counts, models and cost still arrive; the words do not.
    const chat = rows.find((r) => r.name === 'chat gpt-4o-mini') as Row;
    expect(chat.input_tokens).toBeGreaterThan(0);
    expect(chat.cost_usd).toBeGreaterThan(0);
    for (const row of rows) {
      expect({
        name: row.name,
        prompt_text: row.prompt_text,
        completion_text: row.completion_text,
        input_messages: row.input_messages,
        output_messages: row.output_messages,
        retrieval_query: row.retrieval_query,
        tool_arguments: row.tool_arguments,
        tool_result: row.tool_result,
        query_embedding: row.query_embedding,
      }).toEqual({
        name: row.name,
        prompt_text: '',
        completion_text: '',
        input_messages: '',
        output_messages: '',
        retrieval_query: '',
        tool_arguments: '',
        tool_result: '',
        query_embedding: [],
      });
    }
    const documents = await documentRows(
      'SELECT document_id, content, query FROM retrieval_documents WHERE trace_id = {id:String}',
      flow.traceId,
      5,
    );
    expect(documents.every((d) => d.content === '' && d.query === '')).toBe(true);
    // Nor is any of the text in the raw spans: question, documents, answers, tool result.
    const leaks = await collector.store.query<Row>(
      `SELECT SpanName, k FROM otel_traces ARRAY JOIN mapKeys(SpanAttributes) AS k
        WHERE TraceId = {id:String}
          AND multiSearchAny(SpanAttributes[k], ['days', 'Summarise', 'mock answer', 'Enterprise', 'T-1001'])`,
      { params: { id: flow.traceId } },
    );
    expect(leaks).toEqual([]);
  });
});
