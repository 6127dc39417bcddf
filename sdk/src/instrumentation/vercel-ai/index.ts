/**
 * Vercel AI SDK (`ai` v7) support. The AI SDK traces itself through telemetry
 * integrations; `@ai-sdk/otel`'s `OpenTelemetry` integration emits spans in
 * the OTel GenAI conventions (`invoke_agent`, `chat {model}`, `embeddings
 * {model}`, `execute_tool`, with `gen_ai.*` attributes), `LegacyOpenTelemetry`
 * the older `ai.*` attributes. Both go through the global tracer provider, so
 * once `init()` has run they reach the collector; the context span processor
 * adds `withContext` session/user/metadata tags to them like to any span.
 */
import { type EnrichSpan, LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import type { Attributes } from '@opentelemetry/api';
import * as C from '@oversight/conventions/attributes';
import { registerTelemetry, type Telemetry, type TelemetryOptions } from 'ai';
import { CONTEXT_ATTRIBUTES, type MetadataValue } from '../../context.ts';
import { captureText } from '../../rag/capture.ts';
import { reportInternal } from '../../safe.ts';

export interface AiTelemetryOptions {
  /** Names the call site; becomes `gen_ai.agent.name` (`ai.telemetry.functionId` in legacy mode). */
  functionId?: string;
  /** Recorded on every span of the call as `oversight.metadata.<key>`. */
  metadata?: Record<string, MetadataValue>;
  /** Default: the SDK's content policy. */
  recordInputs?: boolean;
  /** Default: the SDK's content policy. */
  recordOutputs?: boolean;
  /** Emit the AI SDK's `ai.*` attributes instead of the GenAI conventions. */
  legacy?: boolean;
}

let sharedModern: Telemetry | undefined;
let sharedLegacy: Telemetry | undefined;
let registeredGlobally = false;

function contentAllowed(): boolean {
  // The content policy decides by returning nothing for any text when capture is off.
  return captureText('') !== undefined;
}

function metadataAttributes(metadata: Record<string, MetadataValue> | undefined): Attributes | undefined {
  if (!metadata) return undefined;
  const attrs: Attributes = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      attrs[CONTEXT_ATTRIBUTES.metadataPrefix + key] = value;
    }
  }
  return Object.keys(attrs).length > 0 ? attrs : undefined;
}

/**
 * Calls whose span wraps the model call's own span. `@ai-sdk/otel` names and
 * tags both alike (`embeddings {model}`, `rerank {model}`, `decide {model}`,
 * Client spans both), so without a mark the collector counts each such call
 * twice in request counts, latencies and errors.
 */
const WRAPPING_OPERATIONS: ReadonlySet<string> = new Set([
  'ai.embed',
  'ai.embedMany',
  'ai.rerank',
  'ai.decide',
]);
const workflowMark: Attributes = {
  [C.ATTR_OVERSIGHT_OPERATION_NAME]: C.GEN_AI_OPERATION.invokeWorkflow,
};

function enrichSpanWith(extra: Attributes | undefined): EnrichSpan {
  // @ai-sdk/otel pins its own @opentelemetry/api copy; the attribute shapes are the same.
  return ({ spanType, operationId }) => {
    const wraps = spanType === 'operation' && WRAPPING_OPERATIONS.has(operationId);
    if (!wraps) return extra as ReturnType<EnrichSpan>;
    return { ...extra, ...workflowMark } as ReturnType<EnrichSpan>;
  };
}

function integrationFor(options: AiTelemetryOptions): Telemetry {
  const extra = metadataAttributes(options.metadata);
  if (options.legacy) {
    // The legacy integration has no enrich hook; metadata reaches it through withContext instead.
    // Its outer spans need no mark: their `ai.embed` / `ai.rerank` names tell them apart.
    sharedLegacy ??= new LegacyOpenTelemetry();
    return sharedLegacy;
  }
  if (!extra) {
    sharedModern ??= new OpenTelemetry({
      agentSpanName: 'functionId',
      enrichSpan: enrichSpanWith(undefined),
    });
    return sharedModern;
  }
  return new OpenTelemetry({ agentSpanName: 'functionId', enrichSpan: enrichSpanWith(extra) });
}

/**
 * The AI SDK's per-call telemetry settings, for `generateText({ ...,
 * experimental_telemetry: aiTelemetry({ functionId: 'answer' }) })` (or the
 * `telemetry` option). Turns telemetry on with inputs and outputs recorded as
 * the content policy allows, and its own integration, so it works whether or
 * not `instrumentVercelAI()` was called.
 */
export function aiTelemetry(options: AiTelemetryOptions = {}): TelemetryOptions {
  const allowed = contentAllowed();
  const settings: TelemetryOptions = {
    isEnabled: true,
    recordInputs: options.recordInputs ?? allowed,
    recordOutputs: options.recordOutputs ?? allowed,
  };
  try {
    settings.integrations = integrationFor(options);
  } catch (error) {
    // Without an integration the AI SDK falls back to the global ones; never fail the call.
    reportInternal('building the AI SDK integration', error);
  }
  if (options.functionId !== undefined) settings.functionId = options.functionId;
  return settings;
}

/**
 * Registers the GenAI-conventions integration globally, so every AI SDK call
 * is traced without passing `experimental_telemetry`. Safe to call twice.
 * Content is recorded by default; pass `recordInputs: false` per call (or
 * use `aiTelemetry()`) where the content policy says otherwise.
 */
export function instrumentVercelAI(options: Pick<AiTelemetryOptions, 'legacy'> = {}): boolean {
  if (registeredGlobally) return true;
  try {
    registerTelemetry(integrationFor({ legacy: options.legacy ?? false }));
    registeredGlobally = true;
    return true;
  } catch (error) {
    // The boolean tells the caller; the diag line tells why.
    reportInternal('registering the AI SDK integration', error);
    return false;
  }
}
