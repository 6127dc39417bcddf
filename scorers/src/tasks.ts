/**
 * What a learned scorer sees of a text, shared by the scorers and the trainer so
 * both compute exactly the same inputs: hashed n-grams of the canonical form plus
 * one indicator per rule group. An instruction or slur that appears only inside
 * quotes, in a text that talks about it ("what does 'ignore previous
 * instructions' mean?"), is a mention: its rules do not fire and the model reads
 * the text with the quotes replaced by a placeholder.
 */
import { type TextFeatures, textFeatures } from './linear/features.ts';
import { injectionRules, mentionFrameRules } from './rules/injection-rules.ts';
import { jailbreakRules } from './rules/jailbreak-rules.ts';
import { refusalRules } from './rules/refusal-rules.ts';
import { compileRules, type RuleHit, type RuleSet } from './rules/rule-set.ts';
import { injectionStructure, jailbreakStructure, type StructureFeature } from './rules/structure.ts';
import { toxicityMentionRules, toxicityRules } from './rules/toxicity-rules.ts';
import type { CanonicalText } from './text/canonicalize.ts';
import { insideAny, quotedSpans, type Span, withoutQuotes } from './text/quotes.ts';

export type TaskName = 'jailbreak' | 'injection' | 'toxicity' | 'refusal';
export const TASKS: readonly TaskName[] = ['jailbreak', 'injection', 'toxicity', 'refusal'];

export interface TaskSpec {
  task: TaskName;
  /** Evaluator name the scorer reports. */
  scorerName: string;
  positiveLabel: string;
  negativeLabel: string;
  rules: RuleSet;
  /** Frames that turn quoted hits into mentions; absent when quoting changes nothing. */
  mentionFrames?: RuleSet;
  /** Hand features about the layout of the hits (see structure.ts), after the rule groups. */
  structure: readonly StructureFeature[];
  /** Names of the hand features: one per rule group, the structure features, then `quoted_mention`. */
  hand: string[];
  /**
   * Smallest window (in sentence blocks, see linear/windows.ts) the scorer reads in a long
   * text; absent: the text is read whole only.
   */
  windowBlocks?: number;
  /**
   * A window without a rule hit counts when its n-grams alone (the model's bias and hashed
   * part) score at least this: above every window of long harmless text the bar was
   * calibrated on (see linear/windows.ts). Absent: only windows with a rule hit count.
   */
  ngramWindowBar?: number;
}

export interface TaskInputs {
  features: TextFeatures;
  /** Rule hits that count. */
  hits: RuleHit[];
  /** Rule hits that sit in quotes of a text that discusses them. */
  mentions: RuleHit[];
  hand: Float32Array;
  /** The text the n-grams were taken from (the input, or the input without quoted mentions). */
  modelText: string;
  /** The quoted spans `modelText` replaced by placeholders, when it differs from the input. */
  replaced?: readonly Span[];
}

function spec(
  task: TaskName,
  scorerName: string,
  positiveLabel: string,
  negativeLabel: string,
  rules: RuleSet,
  mentionFrames?: RuleSet,
  structure: readonly StructureFeature[] = [],
  windowBlocks?: number,
  ngramWindowBar?: number,
): TaskSpec {
  const s: TaskSpec = {
    task,
    scorerName,
    positiveLabel,
    negativeLabel,
    rules,
    structure,
    hand: [...rules.groups, ...structure.map((f) => f.name), 'quoted_mention'],
  };
  if (mentionFrames) s.mentionFrames = mentionFrames;
  if (windowBlocks !== undefined) s.windowBlocks = windowBlocks;
  if (ngramWindowBar !== undefined) s.ngramWindowBar = ngramWindowBar;
  return s;
}

const mentionFrames = compileRules(mentionFrameRules);

/**
 * An injection or an insult is a sentence: read a long text from one-block windows up.
 * A jailbreak stacks devices over a paragraph, and one device in a sentence of ordinary
 * prose ("a fictional character", "unlimited storage") is no jailbreak: read windows of
 * eight blocks (a few hundred characters and more). Refusal is about a whole answer: an
 * answer that declines one part and answers the rest is no refusal, so it is read whole.
 */
const SENTENCE_WINDOWS = 1;
const PARAGRAPH_WINDOWS = 8;

/**
 * The bar for injection windows without a rule hit: the highest n-gram-only score of any
 * window of 500 long harmless texts (WordNet glosses and package READMEs, 5 and 20 kB),
 * raised by 0.5 in log-odds so text unlike them stays clean too. tools/src/ngram-window-eval.ts
 * calibrates it (re-run it after retraining) and prints what it costs and gains. Out of
 * sample (5 folds) it raised padded recall of injections from 73 % to 78 % for 0.2 points
 * more long harmless texts flagged. Jailbreak and toxicity have none: the same bar raised
 * their padded recall by 2 and 0.2 points out of sample, and cost one more jailbreak false
 * positive in cross-validation.
 */
const INJECTION_NGRAM_BAR = 0.94;

export const TASK_SPECS: Record<TaskName, TaskSpec> = {
  injection: spec(
    'injection',
    'prompt_injection',
    'injection',
    'benign',
    compileRules(injectionRules),
    mentionFrames,
    injectionStructure,
    SENTENCE_WINDOWS,
    INJECTION_NGRAM_BAR,
  ),
  jailbreak: spec(
    'jailbreak',
    'jailbreak',
    'jailbreak',
    'benign',
    compileRules(jailbreakRules),
    mentionFrames,
    jailbreakStructure,
    PARAGRAPH_WINDOWS,
  ),
  toxicity: spec(
    'toxicity',
    'toxicity',
    'toxic',
    'non_toxic',
    compileRules(toxicityRules),
    compileRules(toxicityMentionRules),
    [],
    SENTENCE_WINDOWS,
  ),
  refusal: spec('refusal', 'refusal', 'refusal', 'answer', compileRules(refusalRules)),
};

export function taskInputs(spec: TaskSpec, text: string): TaskInputs {
  const features = textFeatures(text);
  const found = spec.rules.find(features.norm, text, features);
  const hand = new Float32Array(spec.hand.length);
  let hits = found;
  let mentions: RuleHit[] = [];
  let modelText = text;
  let inputs = features;
  let replaced: readonly Span[] | undefined;
  if (found.length > 0 && spec.mentionFrames !== undefined) {
    const spans = quotedSpans(text);
    if (spans.length > 0) {
      const quoted = found.filter((h) => insideAny(spans, h.start, h.end));
      if (quoted.length > 0) {
        const frames = spec.mentionFrames
          .find(features.norm, text, features)
          .filter((f) => !insideAny(spans, f.start, f.end));
        if (frames.length > 0) {
          mentions = quoted;
          hits = found.filter((h) => !insideAny(spans, h.start, h.end));
          if (hits.length === 0) {
            modelText = withoutQuotes(text, spans);
            inputs = textFeatures(modelText);
            replaced = spans;
          }
        }
      }
    }
  }
  for (const hit of hits) {
    const i = spec.rules.groups.indexOf(hit.rule.group);
    if (i >= 0) hand[i] = 1;
  }
  const base = spec.rules.groups.length;
  for (let k = 0; k < spec.structure.length; k++) {
    hand[base + k] = (spec.structure[k] as StructureFeature).value(modelText, inputs.norm, hits);
  }
  if (mentions.length > 0) hand[spec.hand.length - 1] = 1;
  // Evidence ranges always refer to the original text.
  const out: TaskInputs = { features: inputs, hits, mentions, hand, modelText };
  if (replaced) out.replaced = replaced;
  return out;
}

/** The input's offset for offset `at` of `modelText` (a placeholder maps to its quote's start). */
export function inputOffset(inputs: TaskInputs, at: number): number {
  if (!inputs.replaced) return at;
  let pos = 0;
  let m = 0;
  for (const s of inputs.replaced) {
    if (at < m + s.start - pos) return pos + (at - m);
    m += s.start - pos + PLACEHOLDER_LENGTH;
    if (at < m) return s.start;
    pos = s.end;
  }
  return pos + (at - m);
}
const PLACEHOLDER_LENGTH = withoutQuotes('', [{ start: 0, end: 0 }]).length;

/** Index of the first hit that starts at or after canonical offset `at` (hits come in text order). */
function firstHitFrom(hits: readonly RuleHit[], at: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((hits[mid] as RuleHit).normStart < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether a rule hit lies inside canonical range [start, end). */
export function hasHitIn(inputs: TaskInputs, start: number, end: number): boolean {
  for (let i = firstHitFrom(inputs.hits, start); i < inputs.hits.length; i++) {
    const h = inputs.hits[i] as RuleHit;
    if (h.normStart >= end) return false;
    if (h.normEnd <= end) return true;
  }
  return false;
}

/**
 * The hand features of the part of a text in canonical range [start, end) of
 * `inputs.features.norm` (a window, see linear/windows.ts), as `taskInputs` gives them
 * for that part alone: its rule hits, the layout features read on it, and whether it
 * holds a quoted mention. Writes them to `out` and returns the hits inside; when there are
 * none, returns at once and leaves `out` unread. The layout features, the costly part
 * (they read the window's text), are left at 0 when `layoutWorth` says, given the rest,
 * that they cannot matter.
 */
export function windowHand(
  spec: TaskSpec,
  inputs: TaskInputs,
  start: number,
  end: number,
  out: Float32Array,
  layoutWorth: (groupsAndMention: Float32Array) => boolean = () => true,
): RuleHit[] {
  out.fill(0);
  const norm = inputs.features.norm;
  const hits: RuleHit[] = [];
  for (let i = firstHitFrom(inputs.hits, start); i < inputs.hits.length; i++) {
    const h = inputs.hits[i] as RuleHit;
    if (h.normStart >= end) break;
    if (h.normEnd <= end) hits.push(h);
  }
  // A window without a rule hit cannot raise a score (see linear/windows.ts): not worth reading.
  if (hits.length === 0) return hits;
  for (const hit of hits) {
    const i = spec.rules.groups.indexOf(hit.rule.group);
    if (i >= 0) out[i] = 1;
  }
  const from = norm.origin[start] ?? norm.sourceLength;
  const to = end < norm.text.length ? (norm.origin[end] as number) : norm.sourceLength;
  if (inputs.mentions.length > 0) {
    const a = inputOffset(inputs, from);
    const b = inputOffset(inputs, to);
    if (inputs.mentions.some((m) => m.start >= a && m.end <= b)) out[spec.hand.length - 1] = 1;
  }
  if (spec.structure.length > 0 && layoutWorth(out)) {
    let last = end;
    while (last > start && norm.text.charCodeAt(last - 1) === 32) last--;
    // Offsets stay those of the whole text: the layout features read the canonical text and the hits only.
    const local: CanonicalText = {
      text: norm.text.slice(start, last),
      origin: norm.origin.subarray(start, last),
      sourceLength: norm.sourceLength,
    };
    const shifted =
      start === 0
        ? hits
        : hits.map((h) => ({ ...h, normStart: h.normStart - start, normEnd: h.normEnd - start }));
    const source = inputs.modelText.slice(from, to);
    const base = spec.rules.groups.length;
    for (let k = 0; k < spec.structure.length; k++) {
      out[base + k] = (spec.structure[k] as StructureFeature).value(source, local, shifted);
    }
  }
  return hits;
}
