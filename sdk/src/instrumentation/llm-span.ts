import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import * as A from '@oversight/conventions/attributes';
import { ContentPolicy } from '../content.ts';
import { defaultPriceTable, type PriceTable, type TokenUsage } from '../pricing.ts';
import { errorName, reportInternal, safeJson } from '../safe.ts';
import type { Aborted } from './stream-tap.ts';

/** What every LLM span needs besides the tracer: the content policy and the prices. */
export interface Telemetry {
  content: ContentPolicy;
  prices: PriceTable;
}

let defaults: Telemetry | undefined;
export function setDefaultTelemetry(t: Telemetry): void {
  defaults = t;
}
export function getDefaultTelemetry(): Telemetry {
  defaults ??= { content: new ContentPolicy(), prices: defaultPriceTable() };
  return defaults;
}

const perConfig = new WeakMap<object, { from: Telemetry; t: Telemetry }>();

/**
 * An instrumentation's content policy and prices: its configured ones, else
 * init()'s. Built once per config object (setConfig() replaces it) and per
 * change of init()'s defaults, not once per call.
 */
export function telemetryFor(config: { content?: ContentPolicy; prices?: PriceTable }): Telemetry {
  const d = getDefaultTelemetry();
  const hit = perConfig.get(config);
  if (hit && hit.from === d) return hit.t;
  const t = { content: config.content ?? d.content, prices: config.prices ?? d.prices };
  perConfig.set(config, { from: d, t });
  return t;
}

/** One part of a message in the GenAI conventions' JSON format. */
export type Part =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown }
  | { type: 'uri'; modality: string; uri: string }
  | { type: 'blob'; modality: string; mime_type?: string };

export interface Message {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

const endpointCache = new Map<string, { address: string; port: number } | null>();

/** `server.address` / `server.port` from a client's base URL, parsed once per URL. */
export function serverOf(baseURL: unknown): { address: string; port: number } | undefined {
  if (typeof baseURL !== 'string') return undefined;
  let hit = endpointCache.get(baseURL);
  if (hit === undefined) {
    try {
      const u = new URL(baseURL);
      hit = { address: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443 };
    } catch {
      // Not a URL (a custom fetch, a relative path): the span goes without server.*.
      hit = null;
    }
    if (endpointCache.size < 100) endpointCache.set(baseURL, hit);
  }
  return hit ?? undefined;
}

export interface StartOptions {
  operation: string;
  provider: string;
  model: string | undefined;
  server?: { address: string; port: number } | undefined;
  /** Request attributes; the call takes ownership and adds the common ones to this object. */
  attributes: Attributes;
  /**
   * Adds the request's content attributes (see `contentInto`) before the span
   * starts, so they ride in with the start attributes; not called when
   * capture is off.
   */
  content?: (call: LlmCall, into: Attributes) => void;
}

/**
 * JSON for a content attribute. Plain `JSON.stringify` first: a replacer
 * function costs a call per key and value, and only BigInts need one.
 */
export function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    // BigInt or a cycle: the slower replacer path handles BigInt and gives up on cycles.
    return safeJson(value);
  }
}

/**
 * One LLM call's span and what is learnt while it runs. Every method is
 * idempotent after `end`, so a response seen twice (a re-parsed APIPromise)
 * cannot double-count or reopen anything.
 */
export class LlmCall {
  readonly span: Span;
  readonly t: Telemetry;
  readonly #startedAt: number;
  #firstChunkAt = 0;
  #ended = false;
  #truncated = false;
  #model: string | undefined;

  constructor(tracer: Tracer, t: Telemetry, o: StartOptions) {
    this.t = t;
    this.#model = o.model;
    const attributes = o.attributes;
    attributes[A.ATTR_GEN_AI_OPERATION_NAME] = o.operation;
    attributes[A.ATTR_GEN_AI_PROVIDER_NAME] = o.provider;
    if (o.model) attributes[A.ATTR_GEN_AI_REQUEST_MODEL] = o.model;
    if (o.server) {
      attributes[A.ATTR_SERVER_ADDRESS] = o.server.address;
      attributes[A.ATTR_SERVER_PORT] = o.server.port;
    }
    if (o.content && t.content.capture) o.content(this, attributes);
    this.span = tracer.startSpan(o.model ? `${o.operation} ${o.model}` : o.operation, {
      kind: SpanKind.CLIENT,
      attributes,
    });
    this.#startedAt = performance.now();
  }

  get capture(): boolean {
    return this.t.content.capture;
  }

  /** Runs `fn` with this span active, so HTTP spans below it nest under the LLM span. */
  run<T>(fn: () => T): T {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  set(key: string, value: string | number | boolean | string[] | undefined | null): void {
    if (value === undefined || value === null || this.#ended) return;
    this.span.setAttribute(key, value);
  }

  /** Text through the content policy (redact, mask, cap). */
  text(raw: string): string {
    const policy = this.t.content;
    // Nothing to redact or mask and under the cap: the common case allocates nothing.
    if (policy.passthrough && raw.length <= policy.maxLength) return raw;
    const { text, truncated } = policy.text(raw);
    if (truncated) this.#truncated = true;
    return text;
  }

  /** Sets a content attribute as JSON; skipped entirely when capture is off. */
  content(key: string, build: () => unknown): void {
    const json = this.#contentJson(build);
    if (json !== undefined) this.span.setAttribute(key, json);
  }

  /** Like `content`, into an attribute object the caller sets in one go. */
  contentInto(a: Attributes, key: string, build: () => unknown): void {
    const json = this.#contentJson(build);
    if (json !== undefined) a[key] = json;
  }

  #contentJson(build: () => unknown): string | undefined {
    if (!this.capture || this.#ended) return undefined;
    try {
      return toJson(build());
    } catch (error) {
      // A telemetry bug on odd input costs this attribute, nothing more.
      reportInternal('building a content attribute', error);
      return undefined;
    }
  }

  firstChunk(): void {
    if (this.#firstChunkAt === 0) this.#firstChunkAt = performance.now();
  }

  /** The model that answered (prices follow it); into `a` when the caller batches its attributes. */
  responseModel(model: unknown, a?: Attributes): void {
    if (typeof model === 'string' && model && !this.#ended) {
      if (a) a[A.ATTR_GEN_AI_RESPONSE_MODEL] = model;
      else this.span.setAttribute(A.ATTR_GEN_AI_RESPONSE_MODEL, model);
      this.#model = model;
    }
  }

  /** Sets every defined value in one go (one pass through the span, no per-key checks here). */
  setAll(a: Attributes): void {
    if (!this.#ended) this.span.setAttributes(a);
  }

  usage(u: TokenUsage): void {
    if (this.#ended) return;
    this.span.setAttributes(this.usageAttributes(u, {}));
  }

  /** Token counts and cost added to `a` (absent counts left out), for a caller batching its attributes. */
  usageAttributes(u: TokenUsage, a: Attributes): Attributes {
    if (u.inputTokens !== undefined) a[A.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = u.inputTokens;
    if (u.outputTokens !== undefined) a[A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = u.outputTokens;
    if (u.cacheReadTokens !== undefined) a[A.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = u.cacheReadTokens;
    if (u.cacheCreationTokens !== undefined)
      a[A.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = u.cacheCreationTokens;
    if (u.reasoningTokens !== undefined) a[A.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = u.reasoningTokens;
    const cost = this.t.prices.cost(this.#model, u);
    if (cost !== undefined) a[A.ATTR_OVERSIGHT_USAGE_COST_USD] = cost;
    return a;
  }

  fail(error: unknown): void {
    if (this.#ended) return;
    this.#markError(error, errorType(error));
    this.end();
  }

  /**
   * The request was aborted under a stream the client then ended quietly: an
   * error named by the abort's reason (`AbortError`, `TimeoutError`, the app's
   * own), with the span left open for what the stream delivered before.
   */
  aborted(reason: unknown): void {
    if (this.#ended) return;
    const name = (reason as { name?: unknown } | null)?.name;
    // A DOMException's class name says nothing; its name is the kind. A bare value the app
    // passed to abort() is no error class: the abort is the kind.
    const type =
      reason instanceof DOMException && name
        ? String(name)
        : typeof reason === 'object' && reason !== null
          ? errorType(reason)
          : 'AbortError';
    this.#markError(reason, type);
  }

  #markError(error: unknown, type: string): void {
    this.span.setAttribute(A.ATTR_ERROR_TYPE, type);
    const message = (error as { message?: unknown } | null)?.message;
    this.span.setStatus({
      code: SpanStatusCode.ERROR,
      message: typeof message === 'string' ? message : typeof error === 'string' ? error : type,
    });
    if (error instanceof Error) this.span.recordException(error);
  }

  /** Ends the span, now or at `at` (when the response arrived, for a body the app never read). */
  end(at?: number): void {
    if (this.#ended) return;
    if (this.#firstChunkAt > 0) {
      this.span.setAttribute(
        A.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
        (this.#firstChunkAt - this.#startedAt) / 1000,
      );
    }
    if (this.#truncated) this.span.setAttribute(A.ATTR_OVERSIGHT_CONTENT_TRUNCATED, true);
    this.#ended = true;
    this.span.end(at);
  }

  get ended(): boolean {
    return this.#ended;
  }
}

/**
 * For a stream's observer: ends the span of a stream the app never read,
 * dated when the stream was handed over.
 */
export function unreadEnd(call: LlmCall): (aborted?: Aborted) => void {
  const handedAt = Date.now();
  return (aborted) => {
    if (aborted) call.aborted(aborted.reason);
    call.end(handedAt);
  };
}

/**
 * `error.type` as the conventions want it: the HTTP status for API errors
 * (low cardinality, comparable across providers), else the error class name.
 */
export function errorType(error: unknown): string {
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status > 0) return String(status);
  return errorName(error);
}

/** Numbers only: providers send nulls for absent counts. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A provider's JSON object, read field by field. */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** Tool-call arguments arrive as JSON text; the conventions want the object when it parses. */
export function parseArguments(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    // Models emit partial or invalid JSON arguments; the text is then the record.
    return raw;
  }
}

/** Applies the content policy to every string inside a JSON-like value (tool arguments, results). */
export function scrub(call: LlmCall, value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return call.text(value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper than this, the rest goes through the policy as one JSON text: never past it unread.
  if (depth > 8) return call.text(safeJson(value) ?? '');
  if (Array.isArray(value)) return value.map((v) => scrub(call, v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(call, v, depth + 1);
  return out;
}
