/**
 * Turns any span into the canonical LlmSpan, or null for spans that are not
 * LLM/RAG steps (HTTP, DB, framework plumbing).
 */
import type { SpanRecord } from '../otlp/span-record.ts';
import { detectConvention } from './detect.ts';
import type { LlmSpan } from './llm-span.ts';
import { buildLlmSpan } from './mapping.ts';
import { DEFAULT_MAX_TEXT_CHARS } from './truncate.ts';

export { canonicalProvider } from '@oversight/conventions';
export { canonicalDecision } from './guardrail.ts';
export type {
  Convention,
  Guardrail,
  GuardrailDecision,
  GuardrailRisk,
  LlmSpan,
  Message,
  Operation,
  RetrievedDocument,
  ToolCall,
} from './llm-span.ts';
export { DEFAULT_MAX_TEXT_CHARS } from './truncate.ts';

export interface NormalizeOptions {
  /** Longer texts are cut with a visible `…[truncated N chars]` marker. Default 100 000. */
  maxTextChars?: number;
}

export function normalizeSpan(span: SpanRecord, options: NormalizeOptions = {}): LlmSpan | null {
  const mapping = detectConvention(span);
  if (!mapping) return null;
  const operation = mapping.operation(span);
  if (!operation) return null;
  return buildLlmSpan(span, mapping, operation, options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS);
}
