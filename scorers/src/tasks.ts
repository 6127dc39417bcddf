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
import { insideAny, quotedSpans, withoutQuotes } from './text/quotes.ts';

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
}

function spec(
  task: TaskName,
  scorerName: string,
  positiveLabel: string,
  negativeLabel: string,
  rules: RuleSet,
  mentionFrames?: RuleSet,
  structure: readonly StructureFeature[] = [],
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
  return s;
}

const mentionFrames = compileRules(mentionFrameRules);

export const TASK_SPECS: Record<TaskName, TaskSpec> = {
  injection: spec(
    'injection',
    'prompt_injection',
    'injection',
    'benign',
    compileRules(injectionRules),
    mentionFrames,
    injectionStructure,
  ),
  jailbreak: spec(
    'jailbreak',
    'jailbreak',
    'jailbreak',
    'benign',
    compileRules(jailbreakRules),
    mentionFrames,
    jailbreakStructure,
  ),
  toxicity: spec(
    'toxicity',
    'toxicity',
    'toxic',
    'non_toxic',
    compileRules(toxicityRules),
    compileRules(toxicityMentionRules),
  ),
  refusal: spec('refusal', 'refusal', 'refusal', 'answer', compileRules(refusalRules)),
};

export function taskInputs(spec: TaskSpec, text: string): TaskInputs {
  const features = textFeatures(text);
  const found = spec.rules.find(features.norm, text);
  const hand = new Float32Array(spec.hand.length);
  let hits = found;
  let mentions: RuleHit[] = [];
  let modelText = text;
  let inputs = features;
  if (found.length > 0 && spec.mentionFrames !== undefined) {
    const spans = quotedSpans(text);
    if (spans.length > 0) {
      const quoted = found.filter((h) => insideAny(spans, h.start, h.end));
      if (quoted.length > 0) {
        const frames = spec.mentionFrames
          .find(features.norm, text)
          .filter((f) => !insideAny(spans, f.start, f.end));
        if (frames.length > 0) {
          mentions = quoted;
          hits = found.filter((h) => !insideAny(spans, h.start, h.end));
          if (hits.length === 0) {
            modelText = withoutQuotes(text, spans);
            inputs = textFeatures(modelText);
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
  return { features: inputs, hits, mentions, hand, modelText };
}
