/**
 * Which convention a span speaks, from the markers only that convention
 * sets. Order matters: the Vercel AI SDK also writes `gen_ai.system`, and
 * OpenLLMetry also writes `gen_ai.*`, so the specific markers are tested first.
 */

import * as C from '@oversight/conventions';
import type { SpanRecord } from '../otlp/span-record.ts';
import type { ConventionMapping } from './mapping.ts';
import { openInference } from './openinference.ts';
import { isVectorStoreSpan, openLlmetry } from './openllmetry.ts';
import { otelGenAi, otelGenAiLegacy } from './otel-genai.ts';
import { vercelAi } from './vercel-ai.ts';

const legacyEvents = new Set([
  C.EVENT_GEN_AI_SYSTEM_MESSAGE,
  C.EVENT_GEN_AI_USER_MESSAGE,
  C.EVENT_GEN_AI_ASSISTANT_MESSAGE,
  C.EVENT_GEN_AI_TOOL_MESSAGE,
  C.EVENT_GEN_AI_CHOICE,
  C.EVENT_GEN_AI_CONTENT_PROMPT,
  C.EVENT_GEN_AI_CONTENT_COMPLETION,
]);

export function detectConvention(span: SpanRecord): ConventionMapping | null {
  const a = span.attributes;
  const has = (key: string) => a[key] !== undefined;
  if (has('openinference.span.kind')) return openInference;
  if (has('ai.operationId') || (span.name.startsWith('ai.') && has('ai.model.id'))) return vercelAi;
  const keys = Object.keys(a);
  if (
    has('llm.request.type') ||
    has('traceloop.span.kind') ||
    isVectorStoreSpan(span) ||
    keys.some((k) => k.startsWith(`${C.ATTR_GEN_AI_PROMPT}.`) || k.startsWith(`${C.ATTR_GEN_AI_COMPLETION}.`))
  ) {
    return openLlmetry;
  }
  if (
    has(C.ATTR_GEN_AI_PROVIDER_NAME) ||
    has(C.ATTR_GEN_AI_INPUT_MESSAGES) ||
    has(C.ATTR_GEN_AI_OUTPUT_MESSAGES) ||
    has(C.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS) ||
    has(C.ATTR_OVERSIGHT_OPERATION_NAME)
  ) {
    return otelGenAi;
  }
  if (has(C.ATTR_GEN_AI_SYSTEM) || span.events.some((e) => legacyEvents.has(e.name))) return otelGenAiLegacy;
  if (has(C.ATTR_GEN_AI_OPERATION_NAME)) return otelGenAi;
  return null;
}
