/**
 * `apply_guardrail` spans (GenAI conventions, newer than 1.37): the decision
 * on the span, one `gen_ai.guardrail.result` event per risk category.
 */

/** Prefix of every guardrail attribute; the collector keeps them all as metadata. */
export const GEN_AI_GUARDRAIL_PREFIX = 'gen_ai.guardrail';
export const ATTR_GEN_AI_GUARDRAIL_COMPONENT_NAME = 'gen_ai.guardrail.component.name';
export const ATTR_GEN_AI_GUARDRAIL_POLICY_ID = 'gen_ai.guardrail.policy.id';
export const ATTR_GEN_AI_GUARDRAIL_POLICY_VERSION = 'gen_ai.guardrail.policy.version';
export const ATTR_GEN_AI_GUARDRAIL_RESULT_TYPE = 'gen_ai.guardrail.result.type';
export const ATTR_GEN_AI_GUARDRAIL_RESULT_VALUE = 'gen_ai.guardrail.result.value';
export const ATTR_GEN_AI_GUARDRAIL_RESULT_REASON = 'gen_ai.guardrail.result.reason';
/** Which side of the call was checked: `input` or `output`. */
export const ATTR_GEN_AI_GUARDRAIL_SOURCE = 'gen_ai.guardrail.source';
export const ATTR_GEN_AI_GUARDRAIL_RISK_CATEGORY = 'gen_ai.guardrail.risk.category';
export const ATTR_GEN_AI_GUARDRAIL_RISK_SCORE = 'gen_ai.guardrail.risk.score';

/** Event name, one per risk category, carrying `risk.*` and `result.*`. */
export const EVENT_GEN_AI_GUARDRAIL_RESULT = 'gen_ai.guardrail.result';

/**
 * The SDK guard's check of an answer against the context it came from: named
 * `groundedness` in `oversight.guardrail.violations` and in each
 * `result.reason` clause, reported as risk category `hallucination` (score
 * 1 − groundedness) so it reads like the other risks, on the same scale.
 */
export const OVERSIGHT_GUARD_CHECK_GROUNDEDNESS = 'groundedness';
export const GEN_AI_GUARDRAIL_RISK_HALLUCINATION = 'hallucination';
