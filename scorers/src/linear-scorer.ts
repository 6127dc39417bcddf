/**
 * A TextScorer from a task's rules and a trained linear model. The probability
 * comes from the model (whose inputs include the rule hits); the evidence lists
 * each rule hit with its position, quoted mentions, decoded payloads, and, for a
 * flagged text, the words the model weighs most. A long text is also read in
 * windows (linear/windows.ts) and scores what its most suspicious window scores,
 * when that is more; the evidence then starts with that window, its hits and words.
 */
import type { ModelBank } from './linear/bank.ts';
import { topWords } from './linear/features.ts';
import {
  featureScale,
  featureWeight,
  handMargin,
  type LinearModel,
  linearMargin,
  logit,
  sigmoid,
} from './linear/model.ts';
import { blockPrefixSums, textBlocks, windowsOf } from './linear/windows.ts';
import type { RuleHit } from './rules/rule-set.ts';
import { hasHitIn, inputOffset, type TaskInputs, type TaskSpec, taskInputs, windowHand } from './tasks.ts';
import { toSourceRange } from './text/canonicalize.ts';
import { decodePayloads } from './text/decode-payloads.ts';
import { headOf } from './text/head.ts';
import type { Evidence, ScoreResult, TextScorer } from './types.ts';

/** Bumped when rules or scorer logic change; the model version covers the weights. */
export const RULES_VERSION = '7';

export interface LinearScorerOptions {
  /** Overrides the model's shipped threshold. */
  threshold?: number;
  /** Decode base64/hex/rot13 fragments and rescore them (default true). */
  decodePayloads?: boolean;
  /** Scores the model together with the bank's other models when it is one of them. */
  bank?: ModelBank;
  /**
   * Also score windows of a long text and keep the highest score (default true), so
   * harmless text around an attack cannot dilute it; false reads the text as one average.
   */
  windows?: boolean;
  /**
   * Let a window without a rule hit count too, when its n-grams alone score at least the
   * task's `ngramWindowBar` (default true; see tasks.ts).
   */
  ngramWindows?: boolean;
}

const TOP_TERMS = 3;
/**
 * Decoded payloads scored one by one, each its own evidence; any after them are scored
 * together as one text, so decoys in front cannot hide a payload and a text of thousands
 * costs one more reading, not thousands.
 */
const PAYLOADS_ALONE = 4;

/** The window that scored highest: canonical range, blocks' words, score, and its hits. */
interface BestWindow {
  start: number;
  end: number;
  fromWord: number;
  toWord: number;
  score: number;
  hits: RuleHit[];
}

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

  const useWindows = options.windows ?? true;
  const ngramBar = (options.ngramWindows ?? true) ? spec.ngramWindowBar : undefined;
  // The hashed part a window's n-grams need to clear the bar (never below the threshold).
  const ngramMargin =
    ngramBar === undefined ? Number.POSITIVE_INFINITY : logit(Math.max(ngramBar, threshold)) - model.bias;
  const windowHandScratch = new Float32Array(spec.hand.length);
  // Hand features are in [0, 1]: together they add at most their positive weights.
  let layoutCeiling = 0;
  for (let k = spec.rules.groups.length; k < spec.hand.length - 1; k++)
    layoutCeiling += Math.max(0, model.handWeights[k] as number);
  let handCeiling = 0;
  for (const w of model.handWeights) handCeiling += Math.max(0, w);
  // The window in hand's hashed part and the score to beat, which `layoutWorth` reads: kept
  // here rather than captured from `bestWindow`, whose every write would box a number.
  const running = new Float64Array(2);
  // Skips reading a window's layout when even its highest value could not beat the best so far.
  const layoutWorth = (hand: Float32Array) =>
    sigmoid(model.bias + Math.min(running[0] as number, 0) + handMargin(model, hand) + layoutCeiling) >
    (running[1] as number);

  function bestWindow(inputs: TaskInputs, whole: number): BestWindow | undefined {
    if (spec.windowBlocks === undefined) return undefined;
    // A window scores above the whole text through a rule hit (its n-grams only lower it,
    // and none can beat a whole text already above every window's ceiling), or through
    // n-grams that clear the task's bar on their own (see windows.ts).
    const byHits = inputs.hits.length > 0 && sigmoid(model.bias + handCeiling) > whole;
    if (!byHits && ngramBar === undefined) return undefined;
    const { features } = inputs;
    const blocks = textBlocks(features, inputs.modelText);
    if (blocks === undefined) return undefined;
    let prefix: { sums: Float64Array; counts: Int32Array } | undefined;
    let best: BestWindow | undefined;
    let hashed = 0;
    let bar = whole;
    for (const w of windowsOf(blocks, spec.windowBlocks)) {
      const start = blocks.starts[w.from] as number;
      const end = blocks.starts[w.to] as number;
      const hit = byHits && hasHitIn(inputs, start, end);
      if (!hit && ngramBar === undefined) continue;
      prefix ??= bank
        ? bank.blockSums(features, blocks, model)
        : blockPrefixSums(features, blocks, termWeight);
      const { sums, counts } = prefix;
      hashed =
        ((sums[w.to] as number) - (sums[w.from] as number)) *
        featureScale((counts[w.to] as number) - (counts[w.from] as number));
      const byNgrams = hashed >= ngramMargin ? sigmoid(model.bias + hashed) : 0;
      if (byNgrams > bar) {
        bar = byNgrams;
        const fromWord = blocks.words[w.from] as number;
        const toWord = blocks.words[w.to] as number;
        best = { start, end, fromWord, toWord, score: bar, hits: [] };
      }
      if (!hit || sigmoid(model.bias + Math.min(hashed, 0) + handCeiling) <= bar) continue;
      running[0] = hashed;
      running[1] = bar;
      const hits = windowHand(spec, inputs, start, end, windowHandScratch, layoutWorth);
      const score = sigmoid(model.bias + Math.min(hashed, 0) + handMargin(model, windowHandScratch));
      if (score > bar) {
        const fromWord = blocks.words[w.from] as number;
        const toWord = blocks.words[w.to] as number;
        best = { start, end, fromWord, toWord, score, hits };
        bar = score;
      }
    }
    return best;
  }

  function ruleEvidence(hit: RuleHit): Evidence {
    const weight = model.handWeights[spec.hand.indexOf(hit.rule.group)] ?? 0;
    return { kind: `rule:${hit.rule.id}`, start: hit.start, end: hit.end, text: hit.text, weight };
  }

  function termEvidence(inputs: TaskInputs, text: string, from?: number, to?: number): Evidence[] {
    const norm = inputs.features.norm;
    return topWords(inputs.features, termRank, TOP_TERMS, from, to).map((t) => {
      const range = toSourceRange(norm, t.start, t.end, text);
      return {
        kind: 'model_term',
        ...range,
        text: text.slice(range.start, range.end),
        weight: termWeight(t.hash),
      };
    });
  }

  function base(text: string): { score: number; evidence: Evidence[] } {
    const inputs = taskInputs(spec, text);
    const { features } = inputs;
    // A text that will be read in windows walks the bank's weights once, block by block,
    // and the whole text's sums come from there.
    if (
      bank &&
      useWindows &&
      spec.windowBlocks !== undefined &&
      (inputs.hits.length > 0 || ngramBar !== undefined)
    ) {
      const blocks = textBlocks(features, inputs.modelText);
      if (blocks) bank.blockSums(features, blocks, model);
    }
    const margin = bank
      ? model.bias + bank.hashedMargin(features, model) + handMargin(model, inputs.hand)
      : linearMargin(model, features.hashes, features.count, inputs.hand);
    const whole = sigmoid(margin);
    const best = useWindows ? bestWindow(inputs, whole) : undefined;
    const score = best ? best.score : whole;
    const evidence: Evidence[] = [];
    let shown: ReadonlySet<RuleHit> = new Set();
    if (best) {
      // The window that decided the score comes first, in the input's offsets.
      const norm = features.norm;
      const from = inputOffset(inputs, norm.origin[best.start] ?? norm.sourceLength);
      let to = inputOffset(
        inputs,
        best.end < norm.text.length ? (norm.origin[best.end] as number) : norm.sourceLength,
      );
      while (to > from && /\s/.test(text[to - 1] as string)) to--;
      evidence.push({
        kind: 'window',
        start: from,
        end: to,
        text: headOf(text.slice(from, to), 200),
        weight: score,
      });
      for (const hit of best.hits) evidence.push(ruleEvidence(hit));
      if (score >= threshold && inputs.modelText === text)
        evidence.push(...termEvidence(inputs, text, best.fromWord, best.toWord));
      shown = new Set(best.hits);
    }
    for (const hit of inputs.hits) if (!shown.has(hit)) evidence.push(ruleEvidence(hit));
    for (const hit of inputs.mentions) {
      evidence.push({
        kind: `mention:${hit.rule.id}`,
        start: hit.start,
        end: hit.end,
        text: hit.text,
        weight: 0,
      });
    }
    if (!best && score >= threshold && inputs.modelText === text)
      evidence.push(...termEvidence(inputs, text));
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
          evidence.push({ kind, start, end, text: headOf(decoded, 200), weight: inner.score });
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
  const parts = evidence.slice(0, 5).map((e) => (e.text ? `${e.kind} "${headOf(e.text, 60)}"` : e.kind));
  return parts.length > 0 ? `${head}: ${parts.join('; ')}` : head;
}
