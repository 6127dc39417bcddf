/**
 * Request-scoped tags (session, user, free-form metadata) that every span
 * started inside `withContext` carries, whoever starts it: our helpers, the
 * OpenAI/Anthropic instrumentations, LangChain, the Vercel AI SDK, or an HTTP
 * instrumentation. The tags live in the OTel context (so nesting and async
 * hops work) and in W3C baggage (so a propagator can carry them to another
 * service, whose `OversightContextSpanProcessor` reads them back).
 */
import {
  type Context,
  context,
  createContextKey,
  propagation,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import * as C from '@oversight/conventions/attributes';
import { reportInternal } from './safe.ts';

export type MetadataValue = string | number | boolean;

export interface OversightContext {
  sessionId?: string | undefined;
  userId?: string | undefined;
  metadata?: Record<string, MetadataValue> | undefined;
}

export const CONTEXT_ATTRIBUTES = {
  conversationId: C.ATTR_GEN_AI_CONVERSATION_ID,
  sessionId: C.ATTR_OVERSIGHT_SESSION_ID,
  userId: C.ATTR_OVERSIGHT_USER_ID,
  metadataPrefix: `${C.OVERSIGHT_METADATA_PREFIX}.`,
} as const;

// Baggage keys are the attribute names, so a propagated tag reads the same on either side.
const BAGGAGE_SESSION = C.ATTR_OVERSIGHT_SESSION_ID;
const BAGGAGE_USER = C.ATTR_OVERSIGHT_USER_ID;
const BAGGAGE_METADATA_PREFIX = `${C.OVERSIGHT_METADATA_PREFIX}.`;

const OVERSIGHT_CONTEXT_KEY = createContextKey('oversight.context');

/** The tags in force in `ctx` (the active context by default); inner `withContext` calls win over outer ones. */
export function getOversightContext(ctx: Context = context.active()): OversightContext {
  const own = ctx.getValue(OVERSIGHT_CONTEXT_KEY) as OversightContext | undefined;
  if (own) return own;
  return fromBaggage(ctx);
}

/**
 * Runs `fn` with the given tags in force and returns what it returns (a
 * promise stays the same promise). Metadata merges with any outer context.
 */
export function withContext<T>(tags: OversightContext, fn: () => T): T {
  let ctx: Context;
  try {
    ctx = contextWithTags(context.active(), tags);
  } catch (error) {
    reportInternal('withContext', error);
    return fn();
  }
  return context.with(ctx, fn);
}

function contextWithTags(parent: Context, tags: OversightContext): Context {
  const outer = getOversightContext(parent);
  const merged: OversightContext = {
    sessionId: tags.sessionId ?? outer.sessionId,
    userId: tags.userId ?? outer.userId,
    metadata: { ...outer.metadata, ...sanitizeMetadata(tags.metadata) },
  };
  let ctx = parent.setValue(OVERSIGHT_CONTEXT_KEY, merged);
  let bag = propagation.getBaggage(parent) ?? propagation.createBaggage();
  if (merged.sessionId !== undefined) bag = bag.setEntry(BAGGAGE_SESSION, { value: merged.sessionId });
  if (merged.userId !== undefined) bag = bag.setEntry(BAGGAGE_USER, { value: merged.userId });
  for (const [key, value] of Object.entries(merged.metadata ?? {})) {
    bag = bag.setEntry(BAGGAGE_METADATA_PREFIX + key, { value: String(value) });
  }
  ctx = propagation.setBaggage(ctx, bag);
  return ctx;
}

function sanitizeMetadata(metadata: OversightContext['metadata']): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  if (!metadata || typeof metadata !== 'object') return out;
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

function fromBaggage(ctx: Context): OversightContext {
  const bag = propagation.getBaggage(ctx);
  if (!bag) return {};
  const out: OversightContext = {};
  const session = bag.getEntry(BAGGAGE_SESSION)?.value;
  const user = bag.getEntry(BAGGAGE_USER)?.value;
  if (session !== undefined) out.sessionId = session;
  if (user !== undefined) out.userId = user;
  for (const [key, entry] of bag.getAllEntries()) {
    if (!key.startsWith(BAGGAGE_METADATA_PREFIX)) continue;
    out.metadata ??= {};
    out.metadata[key.slice(BAGGAGE_METADATA_PREFIX.length)] = entry.value;
  }
  return out;
}

/** Span attributes for the given tags, in the names the collector reads. */
export function contextAttributes(tags: OversightContext): Record<string, MetadataValue> {
  const attrs: Record<string, MetadataValue> = {};
  if (tags.sessionId !== undefined) {
    attrs[CONTEXT_ATTRIBUTES.conversationId] = tags.sessionId;
    attrs[CONTEXT_ATTRIBUTES.sessionId] = tags.sessionId;
  }
  if (tags.userId !== undefined) attrs[CONTEXT_ATTRIBUTES.userId] = tags.userId;
  for (const [key, value] of Object.entries(tags.metadata ?? {})) {
    attrs[CONTEXT_ATTRIBUTES.metadataPrefix + key] = value;
  }
  return attrs;
}

/**
 * Tags each span as it starts with the session, user and metadata of the
 * context it starts in. Attributes the emitter already set (an explicit
 * `gen_ai.conversation.id`, say) are left alone.
 */
export class OversightContextSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    try {
      const tags = getOversightContext(parentContext);
      const attrs = contextAttributes(tags);
      const existing = span.attributes ?? {};
      for (const [key, value] of Object.entries(attrs)) {
        if (existing[key] === undefined) span.setAttribute(key, value);
      }
    } catch (error) {
      // A tagging failure must never break span creation in the app.
      reportInternal('tagging a span with the context', error);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The active span's context when it belongs to a recorded trace. */
function activeSpanContext(what: string): SpanContext | undefined {
  try {
    const sc = trace.getSpanContext(context.active());
    return sc && trace.isSpanContextValid(sc) ? sc : undefined;
  } catch (error) {
    reportInternal(what, error);
    return undefined;
  }
}

/** Trace id of the active span (32 hex chars), or undefined outside a recorded trace. */
export function currentTraceId(): string | undefined {
  return activeSpanContext('currentTraceId')?.traceId;
}

/** Span id of the active span (16 hex chars), or undefined outside a recorded trace. */
export function currentSpanId(): string | undefined {
  return activeSpanContext('currentSpanId')?.spanId;
}
