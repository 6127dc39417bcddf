import * as C from '@oversight/conventions';
import type { SpanRecord } from '../otlp/span-record.ts';
import type { Evaluation } from './evaluation.ts';

/**
 * Scores an app or another tool already computed travel as
 * `gen_ai.evaluation.result` events on the evaluated span (the GenAI
 * conventions' shape of a score). They land in `evaluations` beside the
 * collector's own, so one query sees both.
 */
const EVENT = C.EVENT_GEN_AI_EVALUATION_RESULT;

const text = (value: unknown) => (typeof value === 'string' ? value : value == null ? '' : String(value));

export function reportedEvaluations(span: SpanRecord): Evaluation[] {
  const found: Evaluation[] = [];
  for (const event of span.events) {
    if (event.name !== EVENT) continue;
    const a = event.attributes;
    const evaluator = text(a[C.ATTR_GEN_AI_EVALUATION_NAME]);
    if (!evaluator) continue;
    const raw = a[C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE];
    const score =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : null;
    found.push({
      traceId: span.traceId,
      spanId: span.spanId,
      evaluator,
      target: 'span',
      score: score !== null && Number.isFinite(score) ? score : null,
      label: text(a[C.ATTR_GEN_AI_EVALUATION_SCORE_LABEL]),
      explanation: text(a[C.ATTR_GEN_AI_EVALUATION_EXPLANATION]),
      evaluatorVersion: text(a[C.ATTR_OVERSIGHT_EVALUATION_VERSION]),
      source: 'app',
      timeUnixNano: event.timeUnixNano,
    });
  }
  return found;
}
