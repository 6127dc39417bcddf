/**
 * Which convention a span speaks, from the markers only that convention
 * sets. Order matters: the Vercel AI SDK also writes `gen_ai.system`, and
 * OpenLLMetry also writes `gen_ai.*`, so the specific markers are tested first.
 */
import type { SpanRecord } from '../otlp/span-record.ts';
import type { ConventionMapping } from './mapping.ts';
import { openInference } from './openinference.ts';
import { isVectorStoreSpan, openLlmetry } from './openllmetry.ts';
import { otelGenAi, otelGenAiLegacy } from './otel-genai.ts';
import { vercelAi } from './vercel-ai.ts';

const legacyEvents = new Set([
  'gen_ai.system.message',
  'gen_ai.user.message',
  'gen_ai.assistant.message',
  'gen_ai.tool.message',
  'gen_ai.choice',
  'gen_ai.content.prompt',
  'gen_ai.content.completion',
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
    keys.some((k) => k.startsWith('gen_ai.prompt.') || k.startsWith('gen_ai.completion.'))
  ) {
    return openLlmetry;
  }
  if (
    has('gen_ai.provider.name') ||
    has('gen_ai.input.messages') ||
    has('gen_ai.output.messages') ||
    has('gen_ai.system_instructions') ||
    has('oversight.operation.name')
  ) {
    return otelGenAi;
  }
  if (has('gen_ai.system') || span.events.some((e) => legacyEvents.has(e.name))) return otelGenAiLegacy;
  if (has('gen_ai.operation.name')) return otelGenAi;
  return null;
}
