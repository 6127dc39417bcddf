import { context, DiagLogLevel, diag, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContentPolicy, DEFAULT_MAX_CONTENT_LENGTH } from '../src/content.ts';
import { OversightContextSpanProcessor, withContext } from '../src/context.ts';
import { getDefaultTelemetry, setDefaultTelemetry } from '../src/instrumentation/llm-span.ts';
import {
  agent,
  contentId,
  decodeEmbedding,
  embed,
  encodeEmbedding,
  rerank,
  retrieve,
  tool,
  workflow,
} from '../src/rag/index.ts';

const exporter = new InMemorySpanExporter();
let provider: TracerProvider;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    spanProcessors: [new OversightContextSpanProcessor(), new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

beforeEach(() => exporter.reset());
afterEach(() => {
  delete process.env.OVERSIGHT_CAPTURE_CONTENT;
});

function only(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

function docsOf(span: ReadableSpan): unknown {
  return JSON.parse(String(span.attributes['gen_ai.retrieval.documents']));
}

const DOCS = [
  { id: 'kb-1', score: 0.91, content: 'Reset your password from the account page.' },
  { id: 'kb-7', score: 0.42, content: 'Passwords expire every 90 days.' },
];

describe('retrieve', () => {
  it('records query, data source, top_k and documents for a sync retriever', () => {
    const result = retrieve({ query: 'how to reset password', dataSourceId: 'kb', topK: 2 }, (q) => {
      expect(q).toBe('how to reset password');
      return DOCS;
    });
    expect(result).toBe(DOCS);
    const span = only();
    expect(span.name).toBe('retrieval kb');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'retrieval',
      'gen_ai.data_source.id': 'kb',
      'gen_ai.request.top_k': 2,
      'gen_ai.retrieval.query.text': 'how to reset password',
    });
    expect(docsOf(span)).toEqual(DOCS);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('hands back the very same promise and ends the span when it settles', async () => {
    const promise = new Promise<typeof DOCS>((r) => setTimeout(() => r(DOCS), 5));
    const returned = retrieve('q', () => promise);
    expect(returned).toBe(promise);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(await returned).toBe(DOCS);
    await new Promise((r) => setImmediate(r));
    expect(docsOf(only())).toEqual(DOCS);
    expect(only().name).toBe('retrieval');
  });

  it('runs a lazy thenable (a query builder) once, for the app and the span alike', async () => {
    let runs = 0;
    // Like a Mongoose query or a knex builder: each then() runs the query again.
    const query = {
      // biome-ignore lint/suspicious/noThenProperty: the shape under test is a thenable query builder.
      then<R1, R2>(ok?: (v: typeof DOCS) => R1, fail?: (e: unknown) => R2) {
        runs++;
        return Promise.resolve(DOCS).then(ok, fail);
      },
    };
    expect(await retrieve('q', () => query)).toBe(DOCS);
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
    expect(docsOf(only())).toEqual(DOCS);

    // One whose then() throws: the app's await sees the error, and the span records it.
    exporter.reset();
    const broken = {
      // biome-ignore lint/suspicious/noThenProperty: as above.
      then() {
        throw new Error('connection closed');
      },
    };
    await expect(tool('save', () => broken)).rejects.toThrow('connection closed');
    await new Promise((r) => setImmediate(r));
    expect(only().status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection closed' });
  });

  it('reads LangChain documents, [doc, score] pairs, Pinecone matches and bare strings', () => {
    retrieve('a', () => [
      [{ pageContent: 'alpha', metadata: { id: 'lc-1' } }, 0.8],
      { pageContent: 'beta', metadata: { source: 'faq.md' } },
    ]);
    retrieve('b', () => ({ matches: [{ id: 'p-1', score: 0.5, metadata: { text: 'gamma' } }] }));
    retrieve('c', () => ['delta']);
    const [a, b, c] = exporter.getFinishedSpans() as ReadableSpan[];
    expect(docsOf(a as ReadableSpan)).toEqual([
      { id: 'lc-1', score: 0.8, content: 'alpha' },
      { id: 'faq.md', score: null, content: 'beta' },
    ]);
    expect(docsOf(b as ReadableSpan)).toEqual([{ id: 'p-1', score: 0.5, content: 'gamma' }]);
    expect(docsOf(c as ReadableSpan)).toEqual([{ id: contentId('delta'), score: null, content: 'delta' }]);
  });

  it('gives a document without id a stable content-derived id', () => {
    expect(contentId('same text')).toBe(contentId('same text'));
    expect(contentId('same text')).not.toBe(contentId('same text.'));
    expect(contentId('x')).toMatch(/^fnv:[0-9a-f]{14}$/);
  });

  it('uses a custom extractor for unusual result shapes', () => {
    const chroma = { ids: [['c1', 'c2']], documents: [['one', 'two']], distances: [[0.1, 0.3]] };
    retrieve(
      {
        query: 'q',
        documents: (r: typeof chroma) =>
          (r.ids[0] ?? []).map((id, i) => ({
            id,
            content: r.documents[0]?.[i],
            score: 1 - (r.distances[0]?.[i] ?? 1),
          })),
      },
      () => chroma,
    );
    expect(docsOf(only())).toEqual([
      { id: 'c1', score: 0.9, content: 'one' },
      { id: 'c2', score: 0.7, content: 'two' },
    ]);
  });

  it('records the query embedding compactly, as base64 float32 little-endian', () => {
    const vector = [0.25, -1.5, 3.125, 0];
    retrieve({ query: 'q', embedding: new Float32Array(vector) }, () => []);
    const attrs = only().attributes;
    const encoded = String(attrs['oversight.retrieval.query.embedding']);
    expect(encoded).toBe(encodeEmbedding(vector));
    expect(Buffer.from(encoded, 'base64').readFloatLE(4)).toBe(-1.5);
    expect(decodeEmbedding(encoded)).toEqual(vector);
    expect(attrs['oversight.retrieval.query.embedding.dimensions']).toBe(4);
  });

  it('records nothing of the content when content capture is off', () => {
    process.env.OVERSIGHT_CAPTURE_CONTENT = 'false';
    retrieve({ query: 'secret question', embedding: [1, 2] }, () => DOCS);
    const attrs = only().attributes;
    expect(attrs['gen_ai.retrieval.query.text']).toBeUndefined();
    expect(attrs['oversight.retrieval.query.embedding']).toBeUndefined();
    expect(docsOf(only())).toEqual([
      { id: 'kb-1', score: 0.91 },
      { id: 'kb-7', score: 0.42 },
    ]);
  });

  it('caps very long content at the content policy size', () => {
    retrieve('q', () => [{ id: 'big', content: 'x'.repeat(100_000) }]);
    const [doc] = docsOf(only()) as { content: string }[];
    expect(doc?.content).toBe('x'.repeat(DEFAULT_MAX_CONTENT_LENGTH));
  });

  it("runs captured text through the content policy's redact hook", () => {
    const previous = getDefaultTelemetry();
    setDefaultTelemetry({
      ...previous,
      content: new ContentPolicy({ redact: (t) => t.replaceAll(/\d{4}-\d{4}/g, '[ACCOUNT]') }),
    });
    try {
      retrieve('balance of 1234-5678', () => [{ id: 'd', content: 'Account 1234-5678 is overdrawn.' }]);
    } finally {
      setDefaultTelemetry(previous);
    }
    const span = only();
    expect(span.attributes['gen_ai.retrieval.query.text']).toBe('balance of [ACCOUNT]');
    expect(docsOf(span)).toEqual([{ id: 'd', score: null, content: 'Account [ACCOUNT] is overdrawn.' }]);
  });

  it('marks the span failed and rethrows the app error unchanged, sync and async', async () => {
    class StoreDown extends Error {}
    const syncErr = new StoreDown('no store');
    expect(() =>
      retrieve('q', () => {
        throw syncErr;
      }),
    ).toThrow(syncErr);
    const asyncErr = new TypeError('bad query');
    await expect(retrieve('q', async () => Promise.reject(asyncErr))).rejects.toBe(asyncErr);
    const [s1, s2] = exporter.getFinishedSpans() as ReadableSpan[];
    expect(s1?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no store' });
    expect(s1?.attributes['error.type']).toBe('StoreDown');
    expect(s2?.attributes['error.type']).toBe('TypeError');
    expect(s2?.events.map((e) => e.name)).toContain('exception');
  });

  it('hands untyped code its query as it came, a null included, and still records the step', () => {
    const seen: unknown[] = [];
    const docs = retrieve(null as unknown as string, (q) => {
      seen.push(q);
      return ['a document'];
    });
    expect(docs).toEqual(['a document']);
    expect(seen).toEqual([null]);
    expect(only().name).toBe('retrieval');
  });

  it('never throws its own error when the result cannot be described', () => {
    const weird = retrieve(
      {
        query: 'q',
        documents: () => {
          throw new Error('extractor bug');
        },
      },
      () => 7,
    );
    expect(weird).toBe(7);
    expect(only().status.code).toBe(SpanStatusCode.UNSET);
  });

  it('reports a failure it swallowed once through diag, however often it happens', () => {
    const warnings: string[] = [];
    const log = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
    diag.setLogger(
      { error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    try {
      for (let i = 0; i < 3; i++) {
        const value = retrieve(
          {
            query: 'q',
            documents: () => {
              throw new RangeError('extractor bug');
            },
          },
          () => i,
        );
        expect(value).toBe(i);
      }
    } finally {
      diag.disable();
    }
    expect(exporter.getFinishedSpans()).toHaveLength(3);
    const ours = warnings.filter((w) => w.includes('describing a step result'));
    expect(ours).toEqual([expect.stringContaining('RangeError')]);
  });

  it('makes spans started inside fn its children', () => {
    retrieve('q', () => trace.getTracer('db').startSpan('db query').end());
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'retrieval');
    const child = spans.find((s) => s.name === 'db query');
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
  });
});

describe('embed', () => {
  it('records model, provider, dimensions and tokens from an OpenAI-shaped response', async () => {
    const response = {
      model: 'text-embedding-3-small-2024',
      data: [{ embedding: [0.1, 0.2, 0.3] }, { embedding: [0.4, 0.5, 0.6] }],
      usage: { prompt_tokens: 12, total_tokens: 12 },
    };
    const out = await embed(
      { model: 'text-embedding-3-small', provider: 'openai', input: ['a', 'b'] },
      async () => response,
    );
    expect(out).toBe(response);
    await new Promise((r) => setImmediate(r));
    const span = only();
    expect(span.name).toBe('embeddings text-embedding-3-small');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': 'text-embedding-3-small-2024',
      'gen_ai.embeddings.dimension.count': 3,
      'gen_ai.usage.input_tokens': 12,
      'oversight.embeddings.input.count': 2,
    });
  });

  it('reads a bare vector', () => {
    embed('local-model', () => new Float32Array(384));
    expect(only().attributes['gen_ai.embeddings.dimension.count']).toBe(384);
    expect(only().attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });
});

describe('rerank', () => {
  it('records candidates and reranked output, resolving index-only results against the inputs', () => {
    const candidates = [
      { id: 'a', score: 0.3, content: 'first' },
      { id: 'b', score: 0.2, content: 'second' },
      { id: 'c', score: 0.1, content: 'third' },
    ];
    rerank({ query: 'q', documents: candidates, model: 'rerank-v3', provider: 'cohere', topK: 2 }, () => ({
      results: [
        { index: 2, relevance_score: 0.97 },
        { index: 0, relevance_score: 0.55 },
      ],
    }));
    const span = only();
    expect(span.name).toBe('rerank rerank-v3');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'retrieval',
      'oversight.operation.name': 'rerank',
      'gen_ai.request.model': 'rerank-v3',
      'gen_ai.provider.name': 'cohere',
      'gen_ai.request.top_k': 2,
      'gen_ai.retrieval.query.text': 'q',
    });
    expect(JSON.parse(String(span.attributes['oversight.rerank.input.documents']))).toEqual(candidates);
    expect(docsOf(span)).toEqual([
      { id: 'c', score: 0.97, content: 'third' },
      { id: 'a', score: 0.55, content: 'first' },
    ]);
  });
});

describe('tool, agent, workflow', () => {
  it('records a tool call with arguments and result', async () => {
    const result = await tool(
      { name: 'get_weather', callId: 'call_1', description: 'Weather by city', arguments: { city: 'Oslo' } },
      async () => ({ tempC: -3 }),
    );
    expect(result).toEqual({ tempC: -3 });
    await new Promise((r) => setImmediate(r));
    const span = only();
    expect(span.name).toBe('execute_tool get_weather');
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.description': 'Weather by city',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.arguments': '{"city":"Oslo"}',
      'gen_ai.tool.call.result': '{"tempC":-3}',
    });
  });

  it('survives arguments that cannot be serialized', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(tool({ name: 't', arguments: circular }, () => 'ok')).toBe('ok');
    expect(only().attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(only().attributes['gen_ai.tool.call.result']).toBe('ok');
  });

  it('builds a workflow > agent > retrieval/tool tree, all tagged by withContext', async () => {
    await withContext({ sessionId: 'sess-9', userId: 'user-3' }, () =>
      workflow({ name: 'answer-question', id: 'wf-1' }, () =>
        agent({ name: 'support', id: 'agent-1', description: 'answers support questions' }, async () => {
          await retrieve({ query: 'q', dataSourceId: 'kb' }, async () => DOCS);
          return tool('lookup', () => 1);
        }),
      ),
    );
    await new Promise((r) => setImmediate(r));
    const spans = exporter.getFinishedSpans();
    const byName = (n: string) => spans.find((s) => s.name === n) as ReadableSpan;
    const wf = byName('invoke_workflow answer-question');
    const ag = byName('invoke_agent support');
    expect(wf.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': 'answer-question',
      'oversight.workflow.id': 'wf-1',
    });
    expect(ag.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support',
      'gen_ai.agent.id': 'agent-1',
      'gen_ai.agent.description': 'answers support questions',
    });
    expect(ag.parentSpanContext?.spanId).toBe(wf.spanContext().spanId);
    expect(byName('retrieval kb').parentSpanContext?.spanId).toBe(ag.spanContext().spanId);
    expect(byName('execute_tool lookup').parentSpanContext?.spanId).toBe(ag.spanContext().spanId);
    for (const span of spans) {
      expect(span.attributes['gen_ai.conversation.id']).toBe('sess-9');
      expect(span.attributes['oversight.user.id']).toBe('user-3');
    }
    // The agent's promise resolves after its children, so it ends last but one.
    expect(spans.at(-1)).toBe(wf);
  });
});
