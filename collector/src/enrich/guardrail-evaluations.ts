import { reasonClause } from '../normalize/guardrail.ts';
import type { LlmSpan } from '../normalize/llm-span.ts';
import type { Evaluation } from './evaluation.ts';

/**
 * An SDK guard's decision, as evaluations beside the collector's own scores:
 * one row per risk category the guard acted on, named like the collector's
 * evaluator for that category (`pii`, `prompt_injection`, …) so one query
 * compares what the app decided live with what the collector scored later.
 * The label is the decision (blocked/flagged/redacted), the target the text
 * the guard checked. A guard that allowed everything reports no categories
 * and so adds no rows; the `llm_spans` row still records the decision.
 */
export function guardrailEvaluations(span: LlmSpan): Evaluation[] {
  const guardrail = span.guardrail;
  if (span.operation !== 'apply_guardrail' || !guardrail) return [];
  const target = guardrail.source === 'input' || guardrail.source === 'output' ? guardrail.source : 'span';
  const policy = [guardrail.policyId, guardrail.policyVersion].filter(Boolean).join('@');
  return guardrail.categories.map((risk) => {
    const decision = risk.decision || guardrail.decision;
    const clause = reasonClause(guardrail.reason, risk.category);
    const by = guardrail.component ? `guardrail ${guardrail.component}` : 'guardrail';
    return {
      traceId: span.traceId,
      spanId: span.spanId,
      evaluator: risk.category,
      target,
      score: risk.score,
      label: decision,
      explanation: clause ?? `${decision} by ${by}${policy ? ` (policy ${policy})` : ''}`,
      evaluatorVersion: policy,
      source: 'sdk',
      timeUnixNano: span.endTimeUnixNano,
    };
  });
}
