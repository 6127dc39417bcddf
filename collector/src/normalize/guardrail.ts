/**
 * `apply_guardrail` spans: the decision, the policy, the checked text's side
 * (input or output) and one risk per category. Categories come from the
 * `gen_ai.guardrail.result` events; when an exporter dropped the events
 * (span event limits), from the SDK's `oversight.guardrail.violations` JSON.
 */

import * as C from '@oversight/conventions';
import type { SpanRecord } from '../otlp/span-record.ts';
import { asNumber, asString, firstString, isRecord, parseJson } from './attributes.ts';
import type { Guardrail, GuardrailDecision, GuardrailRisk } from './llm-span.ts';

const RESULT_EVENT = C.EVENT_GEN_AI_GUARDRAIL_RESULT;

/** Emitters name the same outcome as an action (`block`) or a result (`blocked`). */
const decisionWords: Record<string, GuardrailDecision> = {
  allow: 'allowed',
  allowed: 'allowed',
  pass: 'allowed',
  passed: 'allowed',
  none: 'allowed',
  flag: 'flagged',
  flagged: 'flagged',
  warn: 'flagged',
  redact: 'redacted',
  redacted: 'redacted',
  mask: 'redacted',
  masked: 'redacted',
  anonymize: 'redacted',
  anonymized: 'redacted',
  modify: 'redacted',
  modified: 'redacted',
  block: 'blocked',
  blocked: 'blocked',
  deny: 'blocked',
  denied: 'blocked',
  reject: 'blocked',
  rejected: 'blocked',
  intervened: 'blocked',
};

export function canonicalDecision(word: string): GuardrailDecision {
  const lower = word.trim().toLowerCase();
  return decisionWords[lower] ?? lower;
}

/**
 * The decision from `result.value`, or from `result.type` when an emitter put
 * the action there (`result.type=block` with no value).
 */
function decisionOf(attrs: Record<string, unknown>): GuardrailDecision {
  const value = asString(attrs[C.ATTR_GEN_AI_GUARDRAIL_RESULT_VALUE]);
  if (value) return canonicalDecision(value);
  const type = asString(attrs[C.ATTR_GEN_AI_GUARDRAIL_RESULT_TYPE]);
  return type && decisionWords[type.toLowerCase()] ? canonicalDecision(type) : '';
}

function risksFromEvents(span: SpanRecord): GuardrailRisk[] {
  const risks: GuardrailRisk[] = [];
  for (const event of span.events) {
    if (event.name !== RESULT_EVENT) continue;
    const category = asString(event.attributes[C.ATTR_GEN_AI_GUARDRAIL_RISK_CATEGORY]);
    if (!category) continue;
    risks.push({
      category,
      score: asNumber(event.attributes[C.ATTR_GEN_AI_GUARDRAIL_RISK_SCORE]),
      decision: decisionOf(event.attributes),
    });
  }
  return risks;
}

function risksFromViolations(value: unknown): GuardrailRisk[] {
  const list = parseJson(value);
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).flatMap((v) => {
    const category = asString(v.category);
    if (!category) return [];
    return [{ category, score: asNumber(v.score), decision: canonicalDecision(asString(v.action)) }];
  });
}

export function parseGuardrail(span: SpanRecord): Guardrail {
  const a = span.attributes;
  const fromEvents = risksFromEvents(span);
  return {
    decision: decisionOf(a),
    policyId: firstString(a, [C.ATTR_GEN_AI_GUARDRAIL_POLICY_ID]),
    policyVersion: firstString(a, [C.ATTR_GEN_AI_GUARDRAIL_POLICY_VERSION]),
    component: firstString(a, [C.ATTR_GEN_AI_GUARDRAIL_COMPONENT_NAME]),
    source: firstString(a, [C.ATTR_GEN_AI_GUARDRAIL_SOURCE]).toLowerCase(),
    reason: firstString(a, [C.ATTR_GEN_AI_GUARDRAIL_RESULT_REASON]),
    categories:
      fromEvents.length > 0 ? fromEvents : risksFromViolations(a[C.ATTR_OVERSIGHT_GUARDRAIL_VIOLATIONS]),
  };
}
