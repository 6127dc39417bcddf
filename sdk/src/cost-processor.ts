/**
 * Cost for model calls the SDK's own code did not record: the Vercel AI SDK's
 * `chat` and `embeddings` spans (written by `@ai-sdk/otel`) and any other
 * library's spans in the GenAI conventions carry token counts but no price,
 * and the collector prices nothing. Runs as the span ends, before the batch
 * processor hands it to the exporter.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import * as C from '@oversight/conventions/attributes';
import { getDefaultTelemetry, num } from './instrumentation/llm-span.ts';
import { CLIENT_INSTRUMENTATION } from './instrumentation/step-context.ts';
import { reportInternal } from './safe.ts';

/** Our own spans are priced as they are written. */
const OWN_SCOPE = '@oversight/';

/**
 * One model call each. Agent and workflow spans repeat their calls' totals,
 * so pricing them would count the cost twice.
 */
const MODEL_CALLS: ReadonlySet<unknown> = new Set([
  C.GEN_AI_OPERATION.chat,
  C.GEN_AI_OPERATION.textCompletion,
  C.GEN_AI_OPERATION.generateContent,
  C.GEN_AI_OPERATION.embeddings,
  // @ai-sdk/otel's one model request behind `decide()`; no convention name.
  'decide',
]);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Our client instrumentations' scopes: their spans are the calls themselves. */
const CLIENT_SCOPES: ReadonlySet<string> = new Set(Object.values(CLIENT_INSTRUMENTATION));

export class CostSpanProcessor implements SpanProcessor {
  /** Our client-call spans still open, by span id. */
  readonly #openCalls = new Set<string>();
  /**
   * Other libraries' spans begun inside one of our client-call spans, by span id. Told
   * at their start: the Anthropic SDK ends its own span after ours (it ends it once the
   * body is parsed, which is when ours ends too, and after a stream's last chunk).
   */
  readonly #underCalls = new Set<string>();

  onStart(span: Span, _parentContext: Context): void {
    const scope = span.instrumentationScope.name;
    if (CLIENT_SCOPES.has(scope)) this.#openCalls.add(span.spanContext().spanId);
    else if (!scope.startsWith(OWN_SCOPE)) {
      const parent = span.parentSpanContext?.spanId;
      if (parent !== undefined && this.#openCalls.has(parent))
        this.#underCalls.add(span.spanContext().spanId);
    }
  }

  onEnd(span: ReadableSpan): void {
    if (span.instrumentationScope.name.startsWith(OWN_SCOPE)) {
      this.#openCalls.delete(span.spanContext().spanId);
      return;
    }
    // A client library's own span of a call we already priced (the Anthropic SDK's, kept with
    // `nativeSpans`): the same call, so its cost is counted once.
    if (this.#underCalls.delete(span.spanContext().spanId)) return;
    // An ended span's attributes are still its own object: the exporter reads what is added here.
    const a = span.attributes as Record<string, unknown>;
    if (!MODEL_CALLS.has(a[C.ATTR_GEN_AI_OPERATION_NAME]) || a[C.ATTR_OVERSIGHT_USAGE_COST_USD] !== undefined)
      return;
    try {
      const inputTokens = num(a[C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]);
      const outputTokens = num(a[C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]);
      if (inputTokens === undefined && outputTokens === undefined) return;
      const model = text(a[C.ATTR_GEN_AI_RESPONSE_MODEL]) ?? text(a[C.ATTR_GEN_AI_REQUEST_MODEL]);
      const cost = getDefaultTelemetry().prices.cost(model, {
        inputTokens,
        outputTokens,
        cacheReadTokens: num(a[C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]),
        cacheCreationTokens: num(a[C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]),
        reasoningTokens: num(a[C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]),
      });
      if (cost !== undefined) a[C.ATTR_OVERSIGHT_USAGE_COST_USD] = cost;
    } catch (error) {
      // The span goes out without its cost.
      reportInternal('pricing a span', error);
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
