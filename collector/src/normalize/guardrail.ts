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

/**
 * The SDK names its groundedness check `groundedness` in the violations JSON
 * and the reason, but reports it as a `hallucination` risk with score 1 −
 * groundedness: stored under the check's name, that score would read as the
 * opposite of the collector's own `groundedness` rows.
 */
const RISK_OF_SDK_CHECK: Record<string, string> = {
  [C.OVERSIGHT_GUARD_CHECK_GROUNDEDNESS]: C.GEN_AI_GUARDRAIL_RISK_HALLUCINATION,
};
const SDK_CHECK_OF_RISK: Record<string, string> = Object.fromEntries(
  Object.entries(RISK_OF_SDK_CHECK).map(([check, risk]) => [risk, check]),
);

function risksFromViolations(value: unknown): GuardrailRisk[] {
  const list = parseJson(value);
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).flatMap((v) => {
    const check = asString(v.category);
    if (!check) return [];
    const category = Object.hasOwn(RISK_OF_SDK_CHECK, check) ? (RISK_OF_SDK_CHECK[check] as string) : check;
    return [{ category, score: asNumber(v.score), decision: canonicalDecision(asString(v.action)) }];
  });
}

/** The head of each clause the SDK writes: `<check> <score>>=<threshold> <action>`. */
const SDK_CLAUSE_HEAD = /^\S+ \d+\.\d\d>=\S+ \S+/;
/** A clause's details may hold `; ` themselves (`…; missing: 90`): split only before a head. */
const SDK_CLAUSE_BREAK = /; (?=\S+ \d+\.\d\d>=)/;

/**
 * The reason's clause about one risk category: for the SDK's reasons the
 * `<check> <score>>=<threshold> <action>: …` clause, found by the name the SDK
 * gave the check; other emitters' reasons are split at every `; `.
 */
export function reasonClause(reason: string, category: string): string | undefined {
  const names = [category];
  if (Object.hasOwn(SDK_CHECK_OF_RISK, category)) names.push(SDK_CHECK_OF_RISK[category] as string);
  const clauses = SDK_CLAUSE_HEAD.test(reason) ? reason.split(SDK_CLAUSE_BREAK) : reason.split('; ');
  return clauses.find((clause) => names.some((name) => clause.startsWith(`${name} `)));
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
