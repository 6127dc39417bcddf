/**
 * Spans for the RAG and agent steps no library instruments: retrieval, query
 * embedding, rerank, tool calls, agents and workflows. Each helper runs the
 * app's function inside a span shaped per the OTel GenAI conventions, returns
 * exactly what the function returned (the same promise object for async
 * functions), rethrows the function's own errors unchanged, and never throws
 * one of its own.
 */
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { parseBool } from './content.ts';
import { getDefaultTelemetry } from './instrumentation/llm-span.ts';
import { withEmbeddingsStep } from './instrumentation/step-context.ts';

const TRACER_NAME = '@oversight/sdk';

export const RAG_ATTRIBUTES = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  topK: 'gen_ai.request.top_k',
  dataSourceId: 'gen_ai.data_source.id',
  queryText: 'gen_ai.retrieval.query.text',
  documents: 'gen_ai.retrieval.documents',
  /** base64 of the vector as float32 little-endian; see `encodeEmbedding`. */
  queryEmbedding: 'oversight.retrieval.query.embedding',
  queryEmbeddingDimensions: 'oversight.retrieval.query.embedding.dimensions',
  oversightOperation: 'oversight.operation.name',
  rerankInputDocuments: 'oversight.rerank.input.documents',
  embeddingDimensions: 'gen_ai.embeddings.dimension.count',
  embeddingInputCount: 'oversight.embeddings.input.count',
  inputTokens: 'gen_ai.usage.input_tokens',
  costUsd: 'oversight.usage.cost_usd',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolDescription: 'gen_ai.tool.description',
  toolType: 'gen_ai.tool.type',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  agentName: 'gen_ai.agent.name',
  agentId: 'gen_ai.agent.id',
  agentDescription: 'gen_ai.agent.description',
  workflowName: 'gen_ai.workflow.name',
  workflowId: 'oversight.workflow.id',
  errorType: 'error.type',
} as const;

// ---------------------------------------------------------------------------
// Content capture: the SDK's content policy (capture flag, redact hook, PII
// masking, size cap), the same one the OpenAI/Anthropic instrumentations use.

function contentCaptureEnabled(): boolean {
  // The environment switch is a hard off, even before (or without) init().
  if (parseBool(globalThis.process?.env?.OVERSIGHT_CAPTURE_CONTENT) === false) return false;
  try {
    return getDefaultTelemetry().content.capture;
  } catch {
    return false;
  }
}

/** The text as it may be recorded, or undefined when content capture is off. */
export function captureText(text: string): string | undefined {
  if (!contentCaptureEnabled()) return undefined;
  try {
    return getDefaultTelemetry().content.text(text).text;
  } catch {
    return undefined;
  }
}

/** Serializes a value (tool arguments, results) for capture; strings pass as they are. */
export function captureValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : safeJson(value);
  return text === undefined ? undefined : captureText(text);
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Running a function inside a span.

interface StepSpec {
  name: string;
  kind: SpanKind;
  attributes: Attributes;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The `error.type` for a thrown value: its class name, as the conventions ask. */
export function errorTypeOf(err: unknown): string {
  if (err instanceof Error) {
    const ctorName = err.constructor?.name;
    if (ctorName && ctorName !== 'Object') return ctorName;
    return err.name || 'Error';
  }
  return '_OTHER';
}

/** Marks the span failed with the app's error; never throws. */
export function recordError(span: Span, err: unknown): void {
  try {
    span.setAttribute(RAG_ATTRIBUTES.errorType, errorTypeOf(err));
    if (err instanceof Error) span.recordException(err);
    const message = err instanceof Error ? err.message : String(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  } catch {
    // Recording is best effort; the app's error is what matters.
  }
}

function endOk<T>(span: Span, value: T, onResult: ((span: Span, value: T) => void) | undefined): void {
  try {
    onResult?.(span, value);
  } catch {
    // A result we cannot describe still ends the span.
  }
  try {
    span.end();
  } catch {}
}

function endFailed(span: Span, err: unknown): void {
  recordError(span, err);
  try {
    span.end();
  } catch {}
}

/**
 * Runs `fn` in a new active span. Sync results end the span at once; a
 * returned promise ends it when it settles, and is handed back as is.
 */
export function runStep<T>(
  spec: StepSpec | (() => StepSpec),
  fn: () => T,
  onResult?: (span: Span, value: Awaited<T>) => void,
): T {
  let span: Span;
  let ctx: ReturnType<typeof context.active>;
  try {
    const resolved = typeof spec === 'function' ? spec() : spec;
    span = trace
      .getTracer(TRACER_NAME)
      .startSpan(resolved.name, { kind: resolved.kind, attributes: resolved.attributes });
    ctx = trace.setSpan(context.active(), span);
  } catch {
    return fn();
  }
  let result: T;
  try {
    result = context.with(ctx, fn);
  } catch (err) {
    endFailed(span, err);
    throw err;
  }
  if (isThenable(result)) {
    try {
      result.then(
        (value) => endOk(span, value as Awaited<T>, onResult),
        (err: unknown) => endFailed(span, err),
      );
    } catch {
      try {
        span.end();
      } catch {}
    }
    return result;
  }
  endOk(span, result as Awaited<T>, onResult);
  return result;
}

function setAttr(span: Span, key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) span.setAttribute(key, value);
}

function dropUndefined(attrs: Record<string, string | number | boolean | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) out[key] = value;
  return out;
}

// ---------------------------------------------------------------------------
// Documents.

/** One retrieved document as recorded on the span. */
export interface RetrievedDoc {
  id?: string | number;
  score?: number | null;
  content?: string;
}

/** What goes into `gen_ai.retrieval.documents`. */
export interface RecordedDocument {
  id: string;
  score: number | null;
  content?: string;
}

const MAX_DOCUMENTS = 100;

type Loose = Record<string, unknown>;

function asRecord(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null ? (value as Loose) : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string') return v;
  return undefined;
}

function firstId(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

/**
 * Reads the document shapes stores and frameworks return: `{id, score,
 * content}`, LangChain `Document` (`pageContent`, `metadata.id`), LangChain's
 * `[document, score]` pairs, Pinecone/Qdrant matches (`payload`/`metadata`
 * text), Cohere rerank results (`index`, `relevance_score`) and bare strings.
 */
export function normalizeDocument(item: unknown, inputs?: readonly RetrievedDoc[]): RetrievedDoc | undefined {
  if (typeof item === 'string') return { content: item };
  if (Array.isArray(item) && item.length === 2 && typeof item[1] === 'number') {
    const doc = normalizeDocument(item[0]);
    return doc ? { ...doc, score: item[1] } : undefined;
  }
  const rec = asRecord(item);
  if (!rec) return undefined;
  const meta = asRecord(rec.metadata);
  const payload = asRecord(rec.payload);
  const score = firstNumber(
    rec.score,
    rec.relevance_score,
    rec.relevanceScore,
    rec.similarity,
    meta?.score,
    meta?.relevance_score,
    meta?.relevanceScore,
  );
  const content = firstString(
    rec.content,
    rec.pageContent,
    rec.text,
    rec.document,
    asRecord(rec.document)?.text,
    payload?.content,
    payload?.text,
    payload?.page_content,
    meta?.text,
    meta?.content,
  );
  const id = firstId(rec.id, rec._id, meta?.id, meta?._id, meta?.documentId, meta?.source);
  if (content === undefined && id === undefined && typeof rec.index === 'number' && inputs) {
    const original = inputs[rec.index];
    if (original) return { ...original, score: score ?? original.score ?? null };
  }
  const doc: RetrievedDoc = {};
  if (id !== undefined) doc.id = id;
  if (score !== undefined) doc.score = score;
  if (content !== undefined) doc.content = content;
  return doc;
}

/** Finds the list of documents in what a retriever returned. */
function documentList(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  const rec = asRecord(result);
  if (!rec) return [];
  for (const key of ['documents', 'matches', 'results', 'hits', 'points', 'data']) {
    const list = rec[key];
    if (Array.isArray(list)) return list;
  }
  return [];
}

export function normalizeDocuments(result: unknown, inputs?: readonly RetrievedDoc[]): RetrievedDoc[] {
  const out: RetrievedDoc[] = [];
  for (const item of documentList(result)) {
    const doc = normalizeDocument(item, inputs);
    if (doc) out.push(doc);
  }
  return out;
}

/**
 * A stable id for a document that came without one, so the same chunk
 * retrieved by many queries counts as one document. 53-bit two-lane FNV-1a.
 */
export function contentId(content: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ content.length;
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  const hi = (h2 >>> 0) & 0x1fffff;
  return `fnv:${hi.toString(16).padStart(6, '0')}${(h1 >>> 0).toString(16).padStart(8, '0')}`;
}

/** The JSON recorded as `gen_ai.retrieval.documents`; content only when capture allows. */
export function documentsAttribute(docs: readonly RetrievedDoc[]): string {
  const recorded: RecordedDocument[] = [];
  for (const [index, doc] of docs.slice(0, MAX_DOCUMENTS).entries()) {
    const id =
      doc.id !== undefined
        ? String(doc.id)
        : doc.content !== undefined
          ? contentId(doc.content)
          : String(index);
    const entry: RecordedDocument = { id, score: doc.score ?? null };
    const content = doc.content === undefined ? undefined : captureText(doc.content);
    if (content !== undefined) entry.content = content;
    recorded.push(entry);
  }
  return JSON.stringify(recorded);
}

/**
 * `oversight.retrieval.query.embedding` is the base64 of the vector as
 * float32 little-endian: 4 bytes per dimension before base64, a third of a
 * JSON float list, and one string attribute survives every exporter.
 */
export function encodeEmbedding(vector: ArrayLike<number>): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, Number(vector[i]), true);
  return Buffer.from(bytes).toString('base64');
}

export function decodeEmbedding(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = new Array(Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

// ---------------------------------------------------------------------------
// retrieve

export interface RetrieveOptions<T = unknown> {
  query: string;
  /** The store, index or collection searched (`gen_ai.data_source.id`). */
  dataSourceId?: string;
  topK?: number;
  /** The query vector the app already computed; recorded so topic clustering needs no model. */
  embedding?: ArrayLike<number>;
  /** Reads documents out of an unusual result shape. */
  documents?: (result: Awaited<T>) => RetrievedDoc[];
}

/**
 * Records a retrieval step: `retrieve('how do I reset my password', (q) => store.search(q))`.
 * `fn` receives the query; its result is returned untouched.
 */
export function retrieve<T>(query: string | RetrieveOptions<T>, fn: (query: string) => T): T {
  const options: RetrieveOptions<T> = typeof query === 'string' ? { query } : query;
  return runStep(
    () => {
      const embedding = options.embedding;
      const captureEmbedding = embedding !== undefined && embedding.length > 0 && contentCaptureEnabled();
      return {
        name: options.dataSourceId ? `retrieval ${options.dataSourceId}` : 'retrieval',
        kind: SpanKind.CLIENT,
        attributes: dropUndefined({
          [RAG_ATTRIBUTES.operationName]: 'retrieval',
          [RAG_ATTRIBUTES.dataSourceId]: options.dataSourceId,
          [RAG_ATTRIBUTES.topK]: options.topK,
          [RAG_ATTRIBUTES.queryText]: captureText(String(options.query)),
          [RAG_ATTRIBUTES.queryEmbedding]: captureEmbedding ? encodeEmbedding(embedding) : undefined,
          [RAG_ATTRIBUTES.queryEmbeddingDimensions]: captureEmbedding ? embedding.length : undefined,
        }),
      };
    },
    () => fn(options.query),
    (span, result) => {
      const docs = options.documents ? options.documents(result) : normalizeDocuments(result);
      span.setAttribute(RAG_ATTRIBUTES.documents, documentsAttribute(docs));
    },
  );
}

// ---------------------------------------------------------------------------
// embed

export interface EmbedOptions {
  model: string;
  /** `gen_ai.provider.name`, e.g. `openai`. */
  provider?: string;
  /** The text(s) embedded; only their count is recorded. */
  input?: string | readonly string[];
}

function vectorsOf(result: unknown): ArrayLike<number>[] {
  if (isVector(result)) return [result];
  if (Array.isArray(result)) {
    if (result.every(isVector)) return result;
    const nested = result.map((item) => asRecord(item)?.embedding).filter(isVector);
    return nested;
  }
  const rec = asRecord(result);
  if (!rec) return [];
  if (isVector(rec.embedding)) return [rec.embedding];
  if (Array.isArray(rec.embeddings)) return vectorsOf(rec.embeddings);
  if (Array.isArray(rec.data)) return vectorsOf(rec.data);
  return [];
}

function isVector(value: unknown): value is ArrayLike<number> {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return true;
  return Array.isArray(value) && value.length > 0 && typeof value[0] === 'number';
}

function usageInputTokens(result: unknown): number | undefined {
  const usage = asRecord(asRecord(result)?.usage);
  if (!usage) return undefined;
  return firstNumber(
    usage.prompt_tokens,
    usage.input_tokens,
    usage.inputTokens,
    usage.tokens,
    usage.total_tokens,
  );
}

/** Records an embeddings call: `embed({ model: 'text-embedding-3-small' }, () => client.embeddings.create(...))`. */
export function embed<T>(options: EmbedOptions | string, fn: () => T): T {
  const opts: EmbedOptions = typeof options === 'string' ? { model: options } : options;
  // The helper's span is the step: an instrumented client inside adds no second one.
  const call = () => context.with(withEmbeddingsStep(context.active()), fn);
  return runStep(
    () => ({
      name: `embeddings ${opts.model}`,
      kind: SpanKind.CLIENT,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: 'embeddings',
        [RAG_ATTRIBUTES.requestModel]: opts.model,
        [RAG_ATTRIBUTES.providerName]: opts.provider,
        [RAG_ATTRIBUTES.embeddingInputCount]:
          opts.input === undefined ? undefined : typeof opts.input === 'string' ? 1 : opts.input.length,
      }),
    }),
    call,
    (span, result) => {
      const vectors = vectorsOf(result);
      const first = vectors[0];
      if (first) setAttr(span, RAG_ATTRIBUTES.embeddingDimensions, first.length);
      const inputTokens = usageInputTokens(result);
      setAttr(span, RAG_ATTRIBUTES.inputTokens, inputTokens);
      const model = asRecord(result)?.model;
      if (typeof model === 'string') span.setAttribute(RAG_ATTRIBUTES.responseModel, model);
      if (inputTokens !== undefined) {
        const cost = getDefaultTelemetry().prices.cost(typeof model === 'string' ? model : opts.model, {
          inputTokens,
        });
        setAttr(span, RAG_ATTRIBUTES.costUsd, cost);
      }
    },
  );
}

// ---------------------------------------------------------------------------
// rerank

export interface RerankOptions<T = unknown> {
  query: string;
  /** The candidates handed to the reranker, in any shape `retrieve` reads. */
  documents: readonly unknown[];
  model?: string;
  provider?: string;
  topK?: number;
  dataSourceId?: string;
  /** Reads the reranked documents out of an unusual result shape. */
  results?: (result: Awaited<T>) => RetrievedDoc[];
}

/**
 * Records a rerank step. The conventions have no rerank operation, so the span
 * is a `retrieval` with `oversight.operation.name=rerank`; its
 * `gen_ai.retrieval.documents` are the reranked output (what the model will
 * see) and `oversight.rerank.input.documents` the candidates.
 */
export function rerank<T>(options: RerankOptions<T>, fn: () => T): T {
  let inputs: RetrievedDoc[] = [];
  return runStep(
    () => {
      inputs = normalizeDocuments(options.documents);
      return {
        name: options.model ? `rerank ${options.model}` : 'rerank',
        kind: SpanKind.CLIENT,
        attributes: dropUndefined({
          [RAG_ATTRIBUTES.operationName]: 'retrieval',
          [RAG_ATTRIBUTES.oversightOperation]: 'rerank',
          [RAG_ATTRIBUTES.requestModel]: options.model,
          [RAG_ATTRIBUTES.providerName]: options.provider,
          [RAG_ATTRIBUTES.dataSourceId]: options.dataSourceId,
          [RAG_ATTRIBUTES.topK]: options.topK,
          [RAG_ATTRIBUTES.queryText]: captureText(String(options.query)),
          [RAG_ATTRIBUTES.rerankInputDocuments]: documentsAttribute(inputs),
        }),
      };
    },
    fn,
    (span, result) => {
      const docs = options.results ? options.results(result) : normalizeDocuments(result, inputs);
      span.setAttribute(RAG_ATTRIBUTES.documents, documentsAttribute(docs));
    },
  );
}

// ---------------------------------------------------------------------------
// tool, agent, workflow

export interface ToolOptions {
  name: string;
  callId?: string;
  description?: string;
  /** `function`, `extension` or `datastore` per the conventions. */
  type?: string;
  /** The call's arguments; recorded as JSON when content capture is on. */
  arguments?: unknown;
}

/** Records a tool execution: `tool({ name: 'weather', arguments: { city } }, () => getWeather(city))`. */
export function tool<T>(options: ToolOptions | string, fn: () => T): T {
  const opts: ToolOptions = typeof options === 'string' ? { name: options } : options;
  return runStep(
    () => ({
      name: `execute_tool ${opts.name}`,
      kind: SpanKind.INTERNAL,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: 'execute_tool',
        [RAG_ATTRIBUTES.toolName]: opts.name,
        [RAG_ATTRIBUTES.toolCallId]: opts.callId,
        [RAG_ATTRIBUTES.toolDescription]: opts.description,
        [RAG_ATTRIBUTES.toolType]: opts.type ?? 'function',
        [RAG_ATTRIBUTES.toolArguments]: captureValue(opts.arguments),
      }),
    }),
    fn,
    (span, result) => setAttr(span, RAG_ATTRIBUTES.toolResult, captureValue(result)),
  );
}

export interface AgentOptions {
  name: string;
  id?: string;
  description?: string;
}

/** Records an agent invocation (`invoke_agent {name}`); steps inside become its children. */
export function agent<T>(options: AgentOptions | string, fn: () => T): T {
  const opts: AgentOptions = typeof options === 'string' ? { name: options } : options;
  return runStep(
    () => ({
      name: `invoke_agent ${opts.name}`,
      kind: SpanKind.INTERNAL,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: 'invoke_agent',
        [RAG_ATTRIBUTES.agentName]: opts.name,
        [RAG_ATTRIBUTES.agentId]: opts.id,
        [RAG_ATTRIBUTES.agentDescription]: opts.description,
      }),
    }),
    fn,
  );
}

export interface WorkflowOptions {
  name: string;
  id?: string;
}

/** Records a workflow run (`invoke_workflow {name}`), e.g. one RAG request end to end. */
export function workflow<T>(options: WorkflowOptions | string, fn: () => T): T {
  const opts: WorkflowOptions = typeof options === 'string' ? { name: options } : options;
  return runStep(
    () => ({
      name: `invoke_workflow ${opts.name}`,
      kind: SpanKind.INTERNAL,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: 'invoke_workflow',
        [RAG_ATTRIBUTES.workflowName]: opts.name,
        [RAG_ATTRIBUTES.workflowId]: opts.id,
      }),
    }),
    fn,
  );
}
