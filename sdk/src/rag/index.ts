/**
 * Spans for the RAG and agent steps no library instruments: retrieval, query
 * embedding, rerank, tool calls, agents and workflows. Each helper runs the
 * app's function inside a span shaped per the OTel GenAI conventions (see
 * span-runner.ts for the guarantees to the app).
 */
import { context, SpanKind } from '@opentelemetry/api';
import { GEN_AI_OPERATION, OVERSIGHT_OPERATION } from '@oversight/conventions/attributes';
import { getDefaultTelemetry } from '../instrumentation/llm-span.ts';
import { withEmbeddingsStep } from '../instrumentation/step-context.ts';
import { RAG_ATTRIBUTES } from './attributes.ts';
import { captureText, captureValue, contentCaptureEnabled } from './capture.ts';
import {
  asRecord,
  documentsAttribute,
  encodeEmbedding,
  firstNumber,
  normalizeDocuments,
  type RetrievedDoc,
} from './documents.ts';
import { dropUndefined, runStep, setAttr } from './span-runner.ts';

export { RAG_ATTRIBUTES } from './attributes.ts';
export { capturePolicyValue, captureText, captureValue } from './capture.ts';
export {
  contentId,
  decodeEmbedding,
  documentsAttribute,
  encodeEmbedding,
  normalizeDocument,
  normalizeDocuments,
  type RecordedDocument,
  type RetrievedDoc,
} from './documents.ts';
export { errorTypeOf, recordError, runStep } from './span-runner.ts';

// ---------------------------------------------------------------------------
// retrieve

export interface RetrieveOptions<T = unknown> {
  query: string;
  /** The store, index or collection searched (`gen_ai.data_source.id`). */
  dataSourceId?: string | undefined;
  topK?: number | undefined;
  /** The query vector the app already computed; recorded so topic clustering needs no model. */
  embedding?: ArrayLike<number> | undefined;
  /** Reads documents out of an unusual result shape. */
  documents?: ((result: Awaited<T>) => RetrievedDoc[]) | undefined;
}

/**
 * Records a retrieval step: `retrieve('how do I reset my password', (q) => store.search(q))`.
 * `fn` receives the query; its result is returned untouched.
 */
export function retrieve<T>(query: string | RetrieveOptions<T>, fn: (query: string) => T): T {
  // Anything but an options object is the query itself (a null from untyped code included):
  // fn gets it as it came, and the span cannot throw reading it.
  const options: RetrieveOptions<T> =
    typeof query === 'object' && query !== null ? query : { query: query as string };
  return runStep(
    () => {
      const embedding = options.embedding;
      const captureEmbedding = embedding !== undefined && embedding.length > 0 && contentCaptureEnabled();
      return {
        name: options.dataSourceId ? `retrieval ${options.dataSourceId}` : 'retrieval',
        kind: SpanKind.CLIENT,
        attributes: dropUndefined({
          [RAG_ATTRIBUTES.operationName]: GEN_AI_OPERATION.retrieval,
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
  provider?: string | undefined;
  /** The text(s) embedded; only their count is recorded. */
  input?: string | readonly string[] | undefined;
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
        [RAG_ATTRIBUTES.operationName]: GEN_AI_OPERATION.embeddings,
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
  model?: string | undefined;
  provider?: string | undefined;
  topK?: number | undefined;
  dataSourceId?: string | undefined;
  /** Reads the reranked documents out of an unusual result shape. */
  results?: ((result: Awaited<T>) => RetrievedDoc[]) | undefined;
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
          [RAG_ATTRIBUTES.operationName]: GEN_AI_OPERATION.retrieval,
          [RAG_ATTRIBUTES.oversightOperation]: OVERSIGHT_OPERATION.rerank,
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
  callId?: string | undefined;
  description?: string | undefined;
  /** `function`, `extension` or `datastore` per the conventions. */
  type?: string | undefined;
  /** The call's arguments; recorded as JSON when content capture is on. */
  arguments?: unknown | undefined;
}

/** Records a tool execution: `tool({ name: 'weather', arguments: { city } }, () => getWeather(city))`. */
export function tool<T>(options: ToolOptions | string, fn: () => T): T {
  const opts: ToolOptions = typeof options === 'string' ? { name: options } : options;
  return runStep(
    () => ({
      name: `execute_tool ${opts.name}`,
      kind: SpanKind.INTERNAL,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: GEN_AI_OPERATION.executeTool,
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
  id?: string | undefined;
  description?: string | undefined;
}

/** Records an agent invocation (`invoke_agent {name}`); steps inside become its children. */
export function agent<T>(options: AgentOptions | string, fn: () => T): T {
  const opts: AgentOptions = typeof options === 'string' ? { name: options } : options;
  return runStep(
    () => ({
      name: `invoke_agent ${opts.name}`,
      kind: SpanKind.INTERNAL,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: GEN_AI_OPERATION.invokeAgent,
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
  id?: string | undefined;
}

/** Records a workflow run (`invoke_workflow {name}`), e.g. one RAG request end to end. */
export function workflow<T>(options: WorkflowOptions | string, fn: () => T): T {
  const opts: WorkflowOptions = typeof options === 'string' ? { name: options } : options;
  return runStep(
    () => ({
      name: `invoke_workflow ${opts.name}`,
      kind: SpanKind.INTERNAL,
      attributes: dropUndefined({
        [RAG_ATTRIBUTES.operationName]: GEN_AI_OPERATION.invokeWorkflow,
        [RAG_ATTRIBUTES.workflowName]: opts.name,
        [RAG_ATTRIBUTES.workflowId]: opts.id,
      }),
    }),
    fn,
  );
}
