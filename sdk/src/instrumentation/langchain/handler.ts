/**
 * A LangChain.js callback handler that turns runs into OTel GenAI spans:
 * chains → `invoke_workflow`, chat models and LLMs → `chat` /
 * `text_completion`, retrievers (vector stores included) → `retrieval`,
 * tools → `execute_tool`. Spans nest by LangChain's runId/parentRunId; a root
 * run nests under whatever span is active when it starts, and inherits the
 * `withContext` tags of that moment.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { type Attributes, type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import * as C from '@oversight/conventions/attributes';
import {
  RAG_ATTRIBUTES as A,
  capturePolicyValue,
  captureText,
  captureValue,
  documentsAttribute,
  normalizeDocuments,
  recordError,
} from '../../rag/index.ts';
import { reportInternal } from '../../safe.ts';
import { getDefaultTelemetry, toJson } from '../llm-span.ts';
import { CLIENT_INSTRUMENTATION, clientPatched } from '../step-context.ts';
import { contentText, type GenAiMessage, generationMessage, toGenAiMessage } from './messages.ts';
import { patchModelContexts, type RunContexts } from './model-context.ts';

const TRACER_NAME = '@oversight/sdk';
/**
 * Runs that never end must not grow the map forever: LangChain calls no end
 * callback at all for a `stream()` the app broke out of, which leaves its
 * chain, model and parser runs open.
 */
export const MAX_OPEN_RUNS = 10_000;

type Loose = Record<string, unknown>;

interface Run {
  /** Undefined for runs LangChain marks hidden: their children hang off the nearest visible ancestor. */
  span: Span | undefined;
  /** Context children start in. */
  ctx: Context;
  startedAt: number;
  /** Epoch ms of the run's last callback: an abandoned run's span ends there. */
  lastSeenAt: number;
  /** The run it runs in, kept active while this one is. */
  parentRunId?: string;
  firstTokenSeen: boolean;
  /** A model run's requested model, priced when the answer names none. */
  model?: string;
}

interface SerializedLike {
  id?: unknown;
  name?: unknown;
  kwargs?: unknown;
}

export interface OversightCallbackHandlerOptions {
  /** Skip LangChain's internal runnables (prompt templates, parsers, lambdas) as spans. Default false. */
  rootChainsOnly?: boolean;
}

function rec(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null ? (value as Loose) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function className(serialized: unknown): string | undefined {
  const s = rec(serialized) as SerializedLike | undefined;
  if (Array.isArray(s?.id)) {
    const last = s.id.at(-1);
    if (typeof last === 'string') return last;
  }
  return str(s?.name);
}

/**
 * LangChain's model classes that call a client Oversight instruments, by the
 * class name LangChain serializes: their calls get the client's span.
 */
const CLIENT_OF_MODEL: readonly [RegExp, string][] = [
  [/^(Azure)?(Chat)?OpenAI$/, CLIENT_INSTRUMENTATION.openai],
  [/^ChatAnthropic(Messages)?$/, CLIENT_INSTRUMENTATION.anthropic],
];

/** Messages as `gen_ai.*.messages` JSON, each text through the content policy on its own. */
function capturedMessages(
  messages: readonly GenAiMessage[],
): { json: string; truncated: boolean } | undefined {
  const captured = capturePolicyValue(messages);
  const json = captured === undefined ? undefined : toJson(captured.value);
  return json === undefined ? undefined : { json, truncated: captured?.truncated ?? false };
}

/** Whether the model's own client call is already recorded by an enabled Oversight instrumentation. */
function clientRecords(serialized: unknown): boolean {
  const name = className(serialized) ?? '';
  return CLIENT_OF_MODEL.some(([pattern, client]) => pattern.test(name) && clientPatched(client));
}

function providerOf(serialized: unknown, metadata: Loose | undefined): string {
  const ls = str(metadata?.ls_provider);
  if (ls) return C.canonicalProvider(ls);
  return C.providerFromClassName(className(serialized) ?? '') ?? 'langchain';
}

export class OversightCallbackHandler extends BaseCallbackHandler implements RunContexts {
  name = 'oversight';
  readonly #runs = new Map<string, Run>();
  readonly #rootChainsOnly: boolean;

  constructor(options: OversightCallbackHandlerOptions = {}) {
    super();
    // Our handlers are synchronous and cheap; awaiting them keeps span order and
    // start times true even when LangChain would otherwise queue callbacks.
    this.awaitHandlers = true;
    this.#rootChainsOnly = options.rootChainsOnly ?? false;
    // Models then run in their caller's context, so a client span nests under the chain.
    patchModelContexts((handler) => (handler instanceof OversightCallbackHandler ? handler : undefined));
  }

  /** Runs currently open; a test hook and a leak check. */
  get openRuns(): number {
    return this.#runs.size;
  }

  /** The context an open run's children start in (its span's, or its parent's when it has none). */
  contextOf(runId: string): Context | undefined {
    return this.#runs.get(runId)?.ctx;
  }

  #parentContext(parentRunId: string | undefined): Context {
    const parent = parentRunId === undefined ? undefined : this.#runs.get(parentRunId);
    if (parent) this.#touch(parentRunId);
    return parent?.ctx ?? context.active();
  }

  /**
   * A run whose child starts or ends is alive, and so are the runs it runs in:
   * each moves to the young end of the map, so that at the cap the runs that
   * give way are those nothing happened in for longest (abandoned ones), not
   * a long agent run that merely started first.
   */
  #touch(runId: string | undefined): void {
    const now = Date.now();
    // Bounded: a cycle of run ids from a misbehaving caller cannot hold the callback.
    for (let depth = 0; runId !== undefined && depth < 64; depth++) {
      const run = this.#runs.get(runId);
      if (!run) return;
      this.#runs.delete(runId);
      this.#runs.set(runId, run);
      run.lastSeenAt = now;
      runId = run.parentRunId;
    }
  }

  #start(
    runId: string,
    parentRunId: string | undefined,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    model?: string,
  ): void {
    this.#open(
      runId,
      parentRunId,
      (parentCtx) => trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, parentCtx),
      model,
    );
  }

  #passThrough(runId: string, parentRunId: string | undefined): void {
    this.#open(runId, parentRunId);
  }

  /** A run with its own span (`startSpan`), or one its children see through to the parent's. */
  #open(
    runId: string,
    parentRunId: string | undefined,
    startSpan?: (parentCtx: Context) => Span,
    model?: string,
  ): void {
    // The parent first: looking it up marks it alive, so making room does not end it.
    const parentCtx = this.#parentContext(parentRunId);
    this.#makeRoom();
    const span = startSpan?.(parentCtx);
    this.#runs.set(runId, {
      span,
      ctx: span ? trace.setSpan(parentCtx, span) : parentCtx,
      startedAt: performance.now(),
      lastSeenAt: Date.now(),
      firstTokenSeen: false,
      ...(parentRunId !== undefined ? { parentRunId } : {}),
      ...(model ? { model } : {}),
    });
  }

  /**
   * At the cap, the least recently active open runs (the map's order, see
   * `#touch`) give way to the new one: those are the abandoned ones, and
   * refusing new runs instead would stop tracing for good once enough streams
   * were broken off.
   */
  #makeRoom(): void {
    while (this.#runs.size >= MAX_OPEN_RUNS) {
      const oldest = this.#runs.entries().next();
      if (oldest.done) return;
      const [runId, run] = oldest.value;
      this.#runs.delete(runId);
      run.span?.end(run.lastSeenAt);
    }
  }

  /** Closes the run's entry; what it ran in saw activity. */
  #take(runId: string): Run | undefined {
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    this.#runs.delete(runId);
    this.#touch(run.parentRunId);
    return run;
  }

  #end(runId: string, describe?: (span: Span, run: Run) => void): void {
    const run = this.#take(runId);
    if (!run?.span) return;
    try {
      describe?.(run.span, run);
    } catch (error) {
      // The run's span still ends, without what could not be read.
      reportInternal('describing a LangChain run', error);
    }
    run.span.end();
  }

  #fail(runId: string, err: unknown): void {
    const run = this.#take(runId);
    if (!run?.span) return;
    recordError(run.span, err);
    run.span.end();
  }

  /** Every callback funnels through here: a telemetry bug must never reach the chain. */
  #safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      reportInternal('a LangChain callback', error);
    }
  }

  // -- chains ---------------------------------------------------------------

  /**
   * @langchain/core declares (…, runId, runType, tags, metadata, runName,
   * parentRunId) but its CallbackManager calls (…, runId, parentRunId, tags,
   * metadata, runType, runName); a known run id tells which order arrived.
   */
  override handleChainStart(
    chain: unknown,
    _inputs: unknown,
    runId: string,
    fourth?: string,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    seventh?: string,
    eighth?: string,
  ): void {
    this.#safely(() => {
      const declaredOrder = eighth !== undefined && this.#runs.has(eighth);
      const parentRunId = declaredOrder ? eighth : fourth;
      const runName = declaredOrder ? seventh : (eighth ?? seventh);
      const hidden = tags?.includes('langsmith:hidden') ?? false;
      const nested = parentRunId !== undefined && this.#runs.has(parentRunId);
      if (hidden || (this.#rootChainsOnly && nested)) {
        this.#passThrough(runId, parentRunId);
        return;
      }
      const name = runName ?? className(chain) ?? 'chain';
      this.#start(runId, parentRunId, `invoke_workflow ${name}`, SpanKind.INTERNAL, {
        [A.operationName]: C.GEN_AI_OPERATION.invokeWorkflow,
        [A.workflowName]: name,
      });
    });
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.#safely(() => this.#end(runId));
  }

  override handleChainError(err: unknown, runId: string): void {
    this.#safely(() => this.#fail(runId, err));
  }

  // -- models ---------------------------------------------------------------

  #startModel(
    operation: 'chat' | 'text_completion',
    llm: unknown,
    inputMessages: readonly GenAiMessage[],
    runId: string,
    parentRunId: string | undefined,
    extraParams: Record<string, unknown> | undefined,
    metadata: Record<string, unknown> | undefined,
  ): void {
    if (clientRecords(llm)) {
      this.#passThrough(runId, parentRunId);
      return;
    }
    const params = rec(extraParams?.invocation_params) ?? {};
    const model =
      str(params.model) ?? str(params.model_name) ?? str(params.modelName) ?? str(metadata?.ls_model_name);
    const attrs: Attributes = {
      [A.operationName]: operation,
      [A.providerName]: providerOf(llm, metadata),
    };
    if (model) attrs[A.requestModel] = model;
    const temperature = num(params.temperature) ?? num(metadata?.ls_temperature);
    if (temperature !== undefined) attrs[C.ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
    const maxTokens =
      num(params.max_tokens) ?? num(params.max_completion_tokens) ?? num(metadata?.ls_max_tokens);
    if (maxTokens !== undefined) attrs[C.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
    const topP = num(params.top_p);
    if (topP !== undefined) attrs[C.ATTR_GEN_AI_REQUEST_TOP_P] = topP;
    const seed = num(params.seed);
    if (seed !== undefined) attrs[C.ATTR_GEN_AI_REQUEST_SEED] = seed;
    const stop = params.stop ?? metadata?.ls_stop;
    if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) {
      attrs[C.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop as string[];
    }
    const captured = capturedMessages(inputMessages);
    if (captured) {
      attrs[C.ATTR_GEN_AI_INPUT_MESSAGES] = captured.json;
      if (captured.truncated) attrs[C.ATTR_OVERSIGHT_CONTENT_TRUNCATED] = true;
    }
    this.#start(
      runId,
      parentRunId,
      model ? `${operation} ${model}` : operation,
      SpanKind.CLIENT,
      attrs,
      model,
    );
  }

  override handleChatModelStart(
    llm: unknown,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    this.#safely(() => {
      const first = Array.isArray(messages) ? (messages[0] ?? []) : [];
      this.#startModel('chat', llm, first.map(toGenAiMessage), runId, parentRunId, extraParams, metadata);
    });
  }

  override handleLLMStart(
    llm: unknown,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    this.#safely(() => {
      const input = (prompts ?? []).map(
        (p): GenAiMessage => ({ role: 'user', parts: [{ type: 'text', content: String(p) }] }),
      );
      this.#startModel('text_completion', llm, input, runId, parentRunId, extraParams, metadata);
    });
  }

  override handleLLMNewToken(_token: string, _idx: unknown, runId: string): void {
    this.#safely(() => {
      const run = this.#runs.get(runId);
      if (!run?.span) return;
      // A long stream is alive, and so is what it runs in.
      this.#touch(runId);
      if (run.firstTokenSeen) return;
      run.firstTokenSeen = true;
      run.span.setAttribute(
        C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
        (performance.now() - run.startedAt) / 1000,
      );
    });
  }

  override handleLLMEnd(output: unknown, runId: string): void {
    this.#safely(() => this.#end(runId, (span, run) => describeLlmResult(span, output, run.model)));
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.#safely(() => this.#fail(runId, err));
  }

  // -- retrievers -----------------------------------------------------------

  override handleRetrieverStart(
    retriever: unknown,
    query: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    this.#safely(() => {
      const source =
        str(metadata?.[C.ATTR_GEN_AI_DATA_SOURCE_ID]) ??
        str(metadata?.data_source_id) ??
        str(metadata?.ls_vector_store_provider) ??
        name ??
        className(retriever) ??
        'retriever';
      const attrs: Attributes = {
        [A.operationName]: C.GEN_AI_OPERATION.retrieval,
        [A.dataSourceId]: source,
      };
      const k = num(metadata?.ls_retriever_k) ?? num(metadata?.k);
      if (k !== undefined) attrs[A.topK] = k;
      const q = captureText(String(query));
      if (q !== undefined) attrs[A.queryText] = q;
      this.#start(runId, parentRunId, `retrieval ${source}`, SpanKind.CLIENT, attrs);
    });
  }

  override handleRetrieverEnd(documents: unknown[], runId: string): void {
    this.#safely(() =>
      this.#end(runId, (span) =>
        span.setAttribute(A.documents, documentsAttribute(normalizeDocuments(documents))),
      ),
    );
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.#safely(() => this.#fail(runId, err));
  }

  // -- tools ----------------------------------------------------------------

  override handleToolStart(
    tool: unknown,
    input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    this.#safely(() => {
      const t = rec(tool);
      const name = runName ?? str(t?.name) ?? className(tool) ?? 'tool';
      const attrs: Attributes = {
        [A.operationName]: C.GEN_AI_OPERATION.executeTool,
        [A.toolName]: name,
        [A.toolType]: 'function',
      };
      if (toolCallId) attrs[A.toolCallId] = toolCallId;
      const description = str(rec(t?.kwargs)?.description) ?? str(t?.description);
      if (description) attrs[A.toolDescription] = description;
      const args = captureValue(input);
      if (args !== undefined) attrs[A.toolArguments] = args;
      this.#start(runId, parentRunId, `execute_tool ${name}`, SpanKind.INTERNAL, attrs);
    });
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.#safely(() =>
      this.#end(runId, (span) => {
        const message = rec(output);
        const value =
          message && 'content' in message && 'tool_call_id' in message
            ? contentText(message.content)
            : output;
        const result = captureValue(value);
        if (result !== undefined) span.setAttribute(A.toolResult, result);
      }),
    );
  }

  override handleToolError(err: unknown, runId: string): void {
    this.#safely(() => this.#fail(runId, err));
  }
}

/** Tokens and their cost, response model/id, finish reasons and output messages from an `LLMResult`. */
function describeLlmResult(span: Span, output: unknown, requestModel: string | undefined): void {
  const result = rec(output);
  const generations = Array.isArray(result?.generations) ? (result.generations[0] as unknown[]) : undefined;
  const gens = Array.isArray(generations) ? generations : [];
  const firstMessage = rec(rec(gens[0])?.message);

  const usage = rec(firstMessage?.usage_metadata);
  const tokenUsage = rec(rec(result?.llmOutput)?.tokenUsage);
  const input = num(usage?.input_tokens) ?? num(tokenUsage?.promptTokens);
  const outputTokens = num(usage?.output_tokens) ?? num(tokenUsage?.completionTokens);
  if (input !== undefined) span.setAttribute(A.inputTokens, input);
  if (outputTokens !== undefined) span.setAttribute(C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, outputTokens);
  const cacheRead = num(rec(usage?.input_token_details)?.cache_read);
  if (cacheRead !== undefined) span.setAttribute(C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cacheRead);
  const cacheWrite = num(rec(usage?.input_token_details)?.cache_creation);
  if (cacheWrite !== undefined)
    span.setAttribute(C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, cacheWrite);
  const reasoning = num(rec(usage?.output_token_details)?.reasoning);
  if (reasoning !== undefined) span.setAttribute(C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, reasoning);

  const meta = rec(firstMessage?.response_metadata);
  const responseModel = str(meta?.model_name) ?? str(meta?.model) ?? str(rec(result?.llmOutput)?.model_name);
  if (responseModel) span.setAttribute(A.responseModel, responseModel);
  // Priced as the client instrumentations price their calls (the collector prices nothing):
  // a model LangChain reaches through a client Oversight does not wrap (Gemini, Bedrock) has its cost too.
  const cost = getDefaultTelemetry().prices.cost(responseModel ?? requestModel, {
    inputTokens: input,
    outputTokens,
    cacheReadTokens: cacheRead,
    cacheCreationTokens: cacheWrite,
    reasoningTokens: reasoning,
  });
  if (cost !== undefined) span.setAttribute(C.ATTR_OVERSIGHT_USAGE_COST_USD, cost);
  const responseId = str(firstMessage?.id) ?? str(meta?.id);
  if (responseId) span.setAttribute(C.ATTR_GEN_AI_RESPONSE_ID, responseId);

  const messages = gens.map(generationMessage).filter((m) => m !== undefined);
  // One per generation, in order, as the conventions ask: one without a reason keeps its place, empty.
  const reasons = messages.map((m) => m.finish_reason ?? '');
  if (reasons.some((r) => r !== '')) span.setAttribute(C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, reasons);
  const captured = capturedMessages(messages);
  if (captured) {
    span.setAttribute(C.ATTR_GEN_AI_OUTPUT_MESSAGES, captured.json);
    if (captured.truncated) span.setAttribute(C.ATTR_OVERSIGHT_CONTENT_TRUNCATED, true);
  }
}
