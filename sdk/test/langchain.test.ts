import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { tool as lcTool } from '@langchain/core/tools';
import { VectorStore } from '@langchain/core/vectorstores';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { ContentPolicy } from '../src/content.ts';
import { OversightContextSpanProcessor, withContext } from '../src/context.ts';
import { MAX_OPEN_RUNS } from '../src/instrumentation/langchain/handler.ts';
import { instrumentLangChain, OversightCallbackHandler } from '../src/instrumentation/langchain/index.ts';
import { getDefaultTelemetry, setDefaultTelemetry } from '../src/instrumentation/llm-span.ts';
import { OpenAIInstrumentation } from '../src/instrumentation/openai/instrumentation.ts';
import { workflow } from '../src/rag/index.ts';

/** A real LangChain vector store (cosine over real embeddings), standing in for Pinecone & co. */
class TinyVectorStore extends VectorStore {
  readonly #rows: { vector: number[]; doc: DocumentInterface }[] = [];

  constructor(embeddings: EmbeddingsInterface) {
    super(embeddings, {});
  }

  _vectorstoreType(): string {
    return 'tiny';
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[]): Promise<void> {
    vectors.forEach((vector, i) => {
      const doc = documents[i];
      if (doc) this.#rows.push({ vector, doc });
    });
  }

  async addDocuments(documents: DocumentInterface[]): Promise<void> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    await this.addVectors(vectors, documents);
  }

  async similaritySearchVectorWithScore(query: number[], k: number): Promise<[DocumentInterface, number][]> {
    const dot = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);
    return this.#rows
      .map((row): [DocumentInterface, number] => [row.doc, dot(query, row.vector)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, k);
  }
}

const exporter = new InMemorySpanExporter();
let provider: TracerProvider;
let mock: MockLlm;
let llm: ChatOpenAI;
let store: TinyVectorStore;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    spanProcessors: [new OversightContextSpanProcessor(), new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  mock = await startMockLlm();
  const configuration = { baseURL: `${mock.url}/v1` };
  llm = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'x', configuration, maxRetries: 0, temperature: 0.2 });
  store = new TinyVectorStore(
    new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'x', configuration }),
  );
  await store.addDocuments([
    new Document({
      id: 'kb-reset',
      pageContent: 'Reset your password from the account settings page. It takes a minute.',
    }),
    new Document({ id: 'kb-billing', pageContent: 'Invoices are emailed on the first day of each month.' }),
    new Document({ id: 'kb-export', pageContent: 'Export your data as CSV from the reports tab.' }),
  ]);
});

afterAll(async () => {
  await mock.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

beforeEach(() => exporter.reset());

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans() as ReadableSpan[];
}

function named(name: string): ReadableSpan {
  const span = spans().find((s) => s.name === name);
  if (!span) throw new Error(`no span "${name}" in ${spans().map((s) => s.name)}`);
  return span;
}

function ancestors(span: ReadableSpan): ReadableSpan[] {
  const byId = new Map(spans().map((s) => [s.spanContext().spanId, s]));
  const out: ReadableSpan[] = [];
  let parent = span.parentSpanContext?.spanId;
  while (parent && byId.has(parent)) {
    const p = byId.get(parent) as ReadableSpan;
    out.push(p);
    parent = p.parentSpanContext?.spanId;
  }
  return out;
}

function ragChain() {
  const retriever = store.asRetriever({ k: 2, metadata: { data_source_id: 'help-center' } });
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Answer from the context only.\nContext: {context}'],
    ['human', '{question}'],
  ]);
  return RunnableSequence.from([
    {
      context: retriever.pipe((docs: DocumentInterface[]) => docs.map((d) => d.pageContent).join('\n')),
      question: new RunnablePassthrough(),
    },
    prompt,
    llm,
    new StringOutputParser(),
  ]);
}

describe('OversightCallbackHandler', () => {
  it('names Gemini Developer API models gcp.gemini, from ls_provider or from the class', () => {
    const handler = new OversightCallbackHandler();
    const gemini = { id: ['langchain', 'chat_models', 'google_genai', 'ChatGoogleGenerativeAI'] };
    const params = { invocation_params: { model: 'gemini-2.0-flash' } };
    handler.handleChatModelStart(gemini, [[]], 'run-ls', undefined, params, [], {
      ls_provider: 'google_genai',
    });
    handler.handleLLMEnd({ generations: [[]] }, 'run-ls');
    handler.handleChatModelStart(gemini, [[]], 'run-class', undefined, params, [], {});
    handler.handleLLMEnd({ generations: [[]] }, 'run-class');
    expect(spans().map((s) => [s.name, s.attributes['gen_ai.provider.name']])).toEqual([
      ['chat gemini-2.0-flash', 'gcp.gemini'],
      ['chat gemini-2.0-flash', 'gcp.gemini'],
    ]);
  });

  it('prices a model call no client instrumentation records, from its usage', () => {
    const handler = new OversightCallbackHandler();
    const gemini = { id: ['langchain', 'chat_models', 'google_genai', 'ChatGoogleGenerativeAI'] };
    handler.handleChatModelStart(
      gemini,
      [[]],
      'run-priced',
      undefined,
      { invocation_params: { model: 'gemini-2.5-flash' } },
      [],
      { ls_provider: 'google_genai' },
    );
    const message = new AIMessage({
      content: 'Paris.',
      usage_metadata: {
        input_tokens: 1_000,
        output_tokens: 200,
        total_tokens: 1_200,
        input_token_details: { cache_read: 400 },
      },
    });
    handler.handleLLMEnd({ generations: [[{ text: 'Paris.', message }]] }, 'run-priced');
    const chat = named('chat gemini-2.5-flash');
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBe(1_000);
    // 600 fresh input at 0.30, 400 cached at 0.03, 200 output at 2.50 (USD per million).
    expect(chat.attributes['oversight.usage.cost_usd']).toBeCloseTo(
      (600 * 0.3 + 400 * 0.03 + 200 * 2.5) / 1e6,
      12,
    );
  });

  it('keeps one finish reason per generation (n > 1), in order, when one has none', () => {
    const handler = new OversightCallbackHandler();
    const openai = { id: ['langchain', 'chat_models', 'openai', 'ChatOpenAI'] };
    handler.handleChatModelStart(openai, [[]], 'run-n', undefined, {
      invocation_params: { model: 'gpt-4o' },
    });
    handler.handleLLMEnd(
      {
        generations: [
          [
            { text: 'A', message: new AIMessage({ content: 'A' }) },
            {
              text: 'B',
              generationInfo: { finish_reason: 'length' },
              message: new AIMessage({ content: 'B' }),
            },
          ],
        ],
      },
      'run-n',
    );
    expect(named('chat gpt-4o').attributes['gen_ai.response.finish_reasons']).toEqual(['', 'length']);
  });

  it('keeps tracing new runs once broken-off streams filled the open runs: the oldest give way', async () => {
    const handler = new OversightCallbackHandler();
    // What stream() calls the app broke out of leave behind: runs LangChain never ends.
    for (let i = 0; i < MAX_OPEN_RUNS; i++) handler.handleChainStart({ id: ['Abandoned'] }, {}, `lost-${i}`);
    expect(spans()).toHaveLength(0);
    const answer = await ragChain().invoke('How do I reset my password?', { callbacks: [handler] });
    expect(answer).toBe('Reset your password from the account settings page.');
    expect(named('chat gpt-4o-mini').attributes['gen_ai.usage.output_tokens']).toBe(8);
    expect(named('retrieval help-center').attributes['gen_ai.data_source.id']).toBe('help-center');
    // As many abandoned runs ended as the chain had open at once; its own all ended.
    const abandoned = spans().filter((s) => s.name === 'invoke_workflow Abandoned');
    expect(abandoned.length).toBeGreaterThan(0);
    expect(handler.openRuns).toBe(MAX_OPEN_RUNS - abandoned.length);
  });

  it('at the cap ends abandoned runs, not a long agent run that started before them', () => {
    const handler = new OversightCallbackHandler();
    handler.handleChainStart({ id: ['Agent'] }, {}, 'agent');
    handler.handleChainStart({ id: ['Step'] }, {}, 'step-1', 'agent');
    for (let i = 0; i < MAX_OPEN_RUNS - 2; i++)
      handler.handleChainStart({ id: ['Abandoned'] }, {}, `lost-${i}`);
    // The agent goes on working: a step ends, the next starts and ends.
    handler.handleChainEnd({}, 'step-1');
    handler.handleChainStart({ id: ['Step'] }, {}, 'step-2', 'agent');
    handler.handleChainEnd({}, 'step-2');
    // More broken-off streams arrive at the cap.
    for (let i = 0; i < 5; i++) handler.handleChainStart({ id: ['Abandoned'] }, {}, `later-${i}`);
    expect(spans().filter((s) => s.name === 'invoke_workflow Agent')).toHaveLength(0);
    handler.handleChainStart({ id: ['Step'] }, {}, 'step-3', 'agent');
    handler.handleChainEnd({}, 'step-3');
    handler.handleChainEnd({}, 'agent');
    const agent = named('invoke_workflow Agent');
    const steps = spans().filter((s) => s.name === 'invoke_workflow Step');
    expect(steps.map((s) => s.parentSpanContext?.spanId)).toEqual(Array(3).fill(agent.spanContext().spanId));
    expect(spans().filter((s) => s.name === 'invoke_workflow Abandoned').length).toBeGreaterThan(0);
  });

  it('at the cap keeps a model run whose tokens still stream', () => {
    const handler = new OversightCallbackHandler();
    const gemini = { id: ['langchain', 'chat_models', 'google_genai', 'ChatGoogleGenerativeAI'] };
    handler.handleChatModelStart(gemini, [[]], 'streaming', undefined, {
      invocation_params: { model: 'gemini-2.5-flash' },
    });
    for (let i = 0; i < MAX_OPEN_RUNS - 1; i++)
      handler.handleChainStart({ id: ['Abandoned'] }, {}, `lost-${i}`);
    handler.handleLLMNewToken('Par', undefined, 'streaming');
    for (let i = 0; i < 5; i++) handler.handleChainStart({ id: ['Abandoned'] }, {}, `later-${i}`);
    expect(spans().filter((s) => s.name === 'chat gemini-2.5-flash')).toHaveLength(0);
    handler.handleLLMEnd({ generations: [[{ text: 'Paris.' }]] }, 'streaming');
    expect(named('chat gemini-2.5-flash').attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf(
      'number',
    );
  });

  it('turns a RAG chain into a workflow with retrieval and chat children', async () => {
    const handler = new OversightCallbackHandler();
    const answer = await ragChain().invoke('How do I reset my password?', { callbacks: [handler] });
    expect(answer).toBe('Reset your password from the account settings page.');
    expect(handler.openRuns).toBe(0);

    const root = spans().find((s) => s.name === 'invoke_workflow RunnableSequence' && !s.parentSpanContext);
    expect(root).toBeDefined();
    expect(root?.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': 'RunnableSequence',
    });

    const retrieval = named('retrieval help-center');
    expect(retrieval.kind).toBe(SpanKind.CLIENT);
    expect(retrieval.attributes).toMatchObject({
      'gen_ai.operation.name': 'retrieval',
      'gen_ai.data_source.id': 'help-center',
      'gen_ai.retrieval.query.text': 'How do I reset my password?',
    });
    const docs = JSON.parse(String(retrieval.attributes['gen_ai.retrieval.documents']));
    expect(docs).toHaveLength(2);
    expect(docs[0]).toEqual({
      id: 'kb-reset',
      score: null,
      content: 'Reset your password from the account settings page. It takes a minute.',
    });
    expect(ancestors(retrieval)).toContain(root);

    const chat = named('chat gpt-4o-mini');
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    const request = mock.requests.findLast((r) => r.path === '/v1/chat/completions');
    const sentMessages = (request?.body as { messages: { content: string }[] } | undefined)?.messages ?? [];
    const promptWords = sentMessages
      .map((m) => m.content)
      .join(' ')
      .split(/\s+/)
      .filter(Boolean).length;
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-mini-2025-06-01',
      'gen_ai.usage.input_tokens': promptWords,
      'gen_ai.usage.output_tokens': 8,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(String(chat.attributes['gen_ai.response.id'])).toMatch(/\S/);
    const input = JSON.parse(String(chat.attributes['gen_ai.input.messages']));
    expect(input[0].role).toBe('system');
    expect(input[0].parts[0].content).toContain('Context: Reset your password');
    expect(input[1]).toEqual({
      role: 'user',
      parts: [{ type: 'text', content: 'How do I reset my password?' }],
    });
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
    ]);
    // The prompt template and parser are chain steps of the root too.
    expect(named('invoke_workflow ChatPromptTemplate').parentSpanContext?.spanId).toBe(
      root?.spanContext().spanId,
    );
  });

  it('records a tool call the model asked for, with call id, arguments and result', async () => {
    const getWeather = lcTool(async ({ city }: { city: string }) => `Sunny in ${city}`, {
      name: 'get_weather',
      description: 'Current weather for a city',
      schema: z.object({ city: z.string() }),
    });
    const handler = new OversightCallbackHandler();
    const ai = await llm
      .bindTools([getWeather])
      .invoke('What is the weather in Oslo?', { callbacks: [handler] });
    const call = ai.tool_calls?.[0];
    expect(call?.name).toBe('get_weather');
    const toolMessage = await getWeather.invoke({ ...call, type: 'tool_call' } as never, {
      callbacks: [handler],
    });
    expect(String((toolMessage as { content: unknown }).content)).toBe('Sunny in Oslo');

    const chat = named('chat gpt-4o-mini');
    const output = JSON.parse(String(chat.attributes['gen_ai.output.messages']));
    expect(output[0].parts).toContainEqual({
      type: 'tool_call',
      id: call?.id,
      name: 'get_weather',
      arguments: { city: 'Oslo' },
    });
    expect(chat.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);

    const toolSpan = named('execute_tool get_weather');
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.call.id': call?.id,
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.result': 'Sunny in Oslo',
    });
    expect(JSON.parse(String(toolSpan.attributes['gen_ai.tool.call.arguments']))).toEqual({ city: 'Oslo' });
  });

  it('marks a failed model call as an error and lets the error reach the app', async () => {
    const failing = new ChatOpenAI({
      model: 'mock-error-500',
      apiKey: 'x',
      maxRetries: 0,
      configuration: { baseURL: `${mock.url}/v1` },
    });
    const handler = new OversightCallbackHandler();
    await expect(failing.invoke('hello', { callbacks: [handler] })).rejects.toThrow();
    const chat = named('chat mock-error-500');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(String(chat.attributes['error.type'])).toMatch(/\w/);
    expect(handler.openRuns).toBe(0);
  });

  it('records time to first chunk and usage of a streamed call', async () => {
    const handler = new OversightCallbackHandler();
    let text = '';
    for await (const chunk of await llm.stream('Stream please', { callbacks: [handler] }))
      text += String(chunk.content);
    expect(text).toBe('This is a mock answer to: Stream please');
    const chat = named('chat gpt-4o-mini');
    const ttft = chat.attributes['gen_ai.response.time_to_first_chunk'];
    expect(typeof ttft).toBe('number');
    expect(ttft as number).toBeGreaterThanOrEqual(0);
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(8);
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBe(2);
  });

  it('nests under the active span and carries withContext tags', async () => {
    const handler = new OversightCallbackHandler({ rootChainsOnly: true });
    await withContext({ sessionId: 'sess-lc', userId: 'user-lc' }, () =>
      workflow('support-bot', () => ragChain().invoke('How do I export data?', { callbacks: [handler] })),
    );
    const outer = named('invoke_workflow support-bot');
    const root = named('invoke_workflow RunnableSequence');
    expect(root.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    // rootChainsOnly: inner runnables add no spans, their children attach to the root chain.
    expect(
      spans()
        .filter((s) => s.name.startsWith('invoke_workflow'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['invoke_workflow RunnableSequence', 'invoke_workflow support-bot']);
    expect(named('retrieval help-center').parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    for (const span of spans()) {
      expect(span.attributes['gen_ai.conversation.id']).toBe('sess-lc');
      expect(span.attributes['oversight.user.id']).toBe('user-lc');
    }
  });

  it('caps and redacts each message text on its own, so the messages stay JSON', async () => {
    const previous = getDefaultTelemetry();
    setDefaultTelemetry({
      ...previous,
      content: new ContentPolicy({ maxContentLength: 200, redact: (t) => t.replaceAll('secret', '[S]') }),
    });
    const long = `secret ${'context '.repeat(5000)}`;
    try {
      await llm.invoke([new SystemMessage(long), new HumanMessage('What is the secret?')], {
        callbacks: [new OversightCallbackHandler()],
      });
    } finally {
      setDefaultTelemetry(previous);
    }
    const chat = named('chat gpt-4o-mini');
    const input = JSON.parse(String(chat.attributes['gen_ai.input.messages']));
    expect(input.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(input[0].parts[0].content).toBe(`[S] ${'context '.repeat(5000)}`.slice(0, 200));
    expect(input[1].parts[0].content).toBe('What is the [S]?');
    expect(chat.attributes['oversight.content.truncated']).toBe(true);
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].parts[0].content).toMatch(
      /^This is a mock answer to: What is the \[S\]\?/,
    );
  });

  it('leaves a model call to the client instrumentation that records it: one chat span, not two', async () => {
    const openai = new OpenAIInstrumentation();
    openai.patchModule(await import('openai'));
    try {
      const handler = new OversightCallbackHandler();
      const answer = await llm.invoke('Count me once', { callbacks: [handler] });
      expect(answer.content).toBe('This is a mock answer to: Count me once');
      const chats = spans().filter((s) => s.name === 'chat gpt-4o-mini');
      expect(chats).toHaveLength(1);
      // The client's span, with the API's usage and the server it called.
      expect(chats[0]?.instrumentationScope.name).toBe('@oversight/instrumentation-openai');
      expect(chats[0]?.attributes['gen_ai.usage.output_tokens']).toBe(9);
      expect(handler.openRuns).toBe(0);
    } finally {
      openai.disable();
    }
    // Disabled, the client records nothing and the handler's span is back.
    exporter.reset();
    await llm.invoke('Count me once', { callbacks: [new OversightCallbackHandler()] });
    expect(spans().map((s) => s.instrumentationScope.name)).toEqual(['@oversight/sdk']);
  });

  it("nests the client's chat span under the chain that called the model, with no span around the chain", async () => {
    const openai = new OpenAIInstrumentation();
    openai.patchModule(await import('openai'));
    try {
      const check = (label: string) => {
        const chain = spans().find(
          (s) => s.name === 'invoke_workflow RunnableSequence' && !s.parentSpanContext,
        );
        const chat = spans().find((s) => s.name === 'chat gpt-4o-mini');
        const retrieval = spans().find((s) => s.attributes['gen_ai.operation.name'] === 'retrieval');
        expect(chat?.instrumentationScope.name, label).toBe('@oversight/instrumentation-openai');
        // One trace: the collector pairs the answer with the retrieval of the same trace.
        expect(chat?.spanContext().traceId, label).toBe(chain?.spanContext().traceId);
        expect(retrieval?.spanContext().traceId, label).toBe(chain?.spanContext().traceId);
        expect(ancestors(chat as ReadableSpan), label).toContain(chain);
      };
      await ragChain().invoke('How do I reset my password?', { callbacks: [new OversightCallbackHandler()] });
      check('invoke');
      exporter.reset();
      const chunks: string[] = [];
      for await (const chunk of await ragChain().stream('How do I reset my password?', {
        callbacks: [new OversightCallbackHandler()],
      }))
        chunks.push(chunk);
      expect(chunks.join('')).toMatch(/Reset your password/);
      check('stream');
    } finally {
      openai.disable();
    }
  });

  it('instruments every run once instrumentLangChain() is called', async () => {
    expect(instrumentLangChain()).toBe(true);
    try {
      await llm.invoke('No callbacks passed');
      // "This is a mock answer to: No callbacks passed"
      expect(named('chat gpt-4o-mini').attributes['gen_ai.usage.output_tokens']).toBe(9);
    } finally {
      process.env.OVERSIGHT_LANGCHAIN_TRACING = 'false';
    }
    exporter.reset();
    await llm.invoke('Switched off');
    expect(spans()).toHaveLength(0);
  });
});
