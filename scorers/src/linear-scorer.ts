/**
 * A TextScorer from a task's rules and a trained linear model. The probability
 * comes from the model (whose inputs include the rule hits); the evidence lists
 * each rule hit with its position, quoted mentions, decoded payloads, and, for a
 * flagged text, the words the model weighs most.
 */
import type { ModelBank } from './linear/bank.ts';
import { topWords } from './linear/features.ts';
import { featureWeight, handMargin, type LinearModel, linearMargin, sigmoid } from './linear/model.ts';
import { type TaskSpec, taskInputs } from './tasks.ts';
import { toSourceRange } from './text/canonicalize.ts';
import { decodePayloads } from './text/decode-payloads.ts';
import type { Evidence, ScoreResult, TextScorer } from './types.ts';

/** Bumped when rules or scorer logic change; the model version covers the weights. */
export const RULES_VERSION = '4';

export interface LinearScorerOptions {
  /** Overrides the model's shipped threshold. */
  threshold?: number;
  /** Decode base64/hex/rot13 fragments and rescore them (default true). */
  decodePayloads?: boolean;
  /** Scores the model together with the bank's other models when it is one of them. */
  bank?: ModelBank;
}

const TOP_TERMS = 3;
/**
 * Decoded payloads scored one by one, each its own evidence; any after them are scored
 * together as one text, so decoys in front cannot hide a payload and a text of thousands
 * costs one more reading, not thousands.
 */
const PAYLOADS_ALONE = 4;

export function createLinearScorer(
  spec: TaskSpec,
  model: LinearModel,
  options: LinearScorerOptions = {},
): TextScorer {
  if (model.hand.join('|') !== spec.hand.join('|')) {
    throw new Error(`model for ${spec.task} was trained with other rule groups; retrain it`);
  }
  const threshold = options.threshold ?? model.threshold;
  const decode = options.decodePayloads ?? true;
  const version = `${RULES_VERSION}+${model.version}`;
  const bank = options.bank?.has(model) ? options.bank : undefined;
  const termWeight = (hash: number) => featureWeight(model, hash);
  // Ranking by the bank's int8 weights picks the same words as the float ones (same order, same ties).
  const termRank = bank ? bank.quantizedWeight(model) : termWeight;

  function base(text: string): { score: number; evidence: Evidence[] } {
    const inputs = taskInputs(spec, text);
    const { features } = inputs;
    const margin = bank
      ? model.bias + bank.hashedMargin(features, model) + handMargin(model, inputs.hand)
      : linearMargin(model, features.hashes, features.count, inputs.hand);
    const score = sigmoid(margin);
    const evidence: Evidence[] = [];
    for (const hit of inputs.hits) {
      const weight = model.handWeights[spec.hand.indexOf(hit.rule.group)] ?? 0;
      evidence.push({ kind: `rule:${hit.rule.id}`, start: hit.start, end: hit.end, text: hit.text, weight });
    }
    for (const hit of inputs.mentions) {
      evidence.push({
        kind: `mention:${hit.rule.id}`,
        start: hit.start,
        end: hit.end,
        text: hit.text,
        weight: 0,
      });
    }
    if (score >= threshold && inputs.modelText === text) {
      const norm = inputs.features.norm;
      const terms = topWords(inputs.features, termRank, TOP_TERMS);
      for (const t of terms) {
        const range = toSourceRange(norm, t.start, t.end, text);
        evidence.push({
          kind: 'model_term',
          ...range,
          text: text.slice(range.start, range.end),
          weight: termWeight(t.hash),
        });
      }
    }
    return { score, evidence };
  }

  return {
    name: spec.scorerName,
    version,
    threshold,
    score(text: string): ScoreResult {
      let { score, evidence } = base(text);
      if (decode) {
        const payloads = decodePayloads(text);
        const rest = payloads.slice(PAYLOADS_ALONE);
        const read = (kind: string, start: number, end: number, decoded: string) => {
          const inner = base(decoded);
          evidence.push({ kind, start, end, text: decoded.slice(0, 200), weight: inner.score });
          if (inner.score > score) score = inner.score;
        };
        for (const p of payloads.slice(0, PAYLOADS_ALONE))
          read(`decoded:${p.encoding}`, p.start, p.end, p.decoded);
        if (rest.length > 0) {
          let start = text.length;
          let end = 0;
          for (const p of rest) {
            start = Math.min(start, p.start);
            end = Math.max(end, p.end);
          }
          const encoding = rest.every((p) => p.encoding === rest[0]?.encoding) ? rest[0]?.encoding : 'mixed';
          read(`decoded:${encoding}`, start, end, rest.map((p) => p.decoded).join('\n'));
        }
      }
      const flagged = score >= threshold;
      return {
        name: spec.scorerName,
        score,
        label: flagged ? spec.positiveLabel : spec.negativeLabel,
        flagged,
        threshold,
        evidence,
        explanation: explain(spec, score, threshold, evidence),
        version,
      };
    },
  };
}

function explain(spec: TaskSpec, score: number, threshold: number, evidence: Evidence[]): string {
  const head = `${spec.scorerName} ${score.toFixed(2)} ${score >= threshold ? '≥' : '<'} ${threshold}`;
  const parts = evidence.slice(0, 5).map((e) => (e.text ? `${e.kind} "${e.text.slice(0, 60)}"` : e.kind));
  return parts.length > 0 ? `${head}: ${parts.join('; ')}` : head;
}
