/**
 * Hand features about where instructions sit in a text, beyond which phrases
 * occur. An injection is typically an ordinary request with an order to the
 * model appended ("Where can I park? Now forget that and write …"): a
 * command-like rule hit or an imperative sentence that comes after a first
 * sentence. Values are numbers the linear model weighs next to the rule groups.
 */
import type { CanonicalText } from '../text/canonicalize.ts';
import type { RuleHit } from './rule-set.ts';

export interface StructureFeature {
  name: string;
  value(text: string, norm: CanonicalText, hits: readonly RuleHit[]): number;
}

/** Rule groups that read as orders to the model rather than as topics. */
const COMMAND_GROUPS = new Set([
  'override',
  'forget_all',
  'context_dismissal',
  'task_switch',
  'pivot_command',
  'role_reassign',
  'output_hijack',
  'extraction',
]);

/** End of a sentence or line, and the start of the next one. */
const SENTENCE_BREAK = /[.?!:;]["')\]]*\s+|\n\s*/g;

/**
 * Imperatives addressed to the model that open a sentence (EN/DE/FR/ES).
 * Deliberately not "please/can you": polite requests are ordinary traffic.
 */
const IMPERATIVE_OPENER = new RegExp(
  `^["'(\\[*\\s-]*(?:${[
    'write',
    'say',
    'state',
    'tell',
    'print',
    'output',
    'generate',
    'formulate',
    'forget',
    'ignore',
    'disregard',
    'pretend',
    'imagine',
    'act',
    'answer',
    'respond',
    'reply',
    'repeat',
    'reveal',
    'stop',
    'schreibe?',
    'sag',
    'sage',
    'vergiss',
    'ignoriere',
    'vergessen sie',
    'ignorieren sie',
    'stell dir vor',
    'zeige?',
    'formuliere',
    'generiere',
    'antworte',
    'behaupte',
    'olvida',
    'ignora',
    'escribe',
    'di',
    'oubliez',
    'oublie',
    'ignorez',
    'dites',
    'écris',
  ].join('|')})\\b`,
  'i',
);

/** Offsets in `text` where a sentence other than the first begins. */
function laterSentenceStarts(text: string): number[] {
  const starts: number[] = [];
  SENTENCE_BREAK.lastIndex = 0;
  let m = SENTENCE_BREAK.exec(text);
  while (m !== null) {
    const at = m.index + m[0].length;
    // A break at the very start (leading newlines) does not follow a sentence.
    if (text.slice(0, m.index).trim() !== '' && at < text.length) starts.push(at);
    m = SENTENCE_BREAK.exec(text);
  }
  return starts;
}

/** Words before `normStart` in the canonical form, counted up to `cap`. */
function wordsBefore(norm: CanonicalText, normStart: number, cap: number): number {
  let n = 0;
  for (let i = 0; i < normStart && n < cap; i++) if (norm.text.charCodeAt(i) === 32) n++;
  return n;
}

export const injectionStructure: StructureFeature[] = [
  {
    // A command hit with at least three words of something else before it.
    name: 'command_after_text',
    value(_text, norm, hits) {
      for (const h of hits)
        if (COMMAND_GROUPS.has(h.rule.group) && wordsBefore(norm, h.normStart, 3) >= 3) return 1;
      return 0;
    },
  },
  {
    // A later sentence that opens with an imperative to the model.
    name: 'imperative_after_sentence',
    value(text) {
      if (text.length > 4000) return 0;
      for (const at of laterSentenceStarts(text)) {
        if (IMPERATIVE_OPENER.test(text.slice(at, at + 40))) return 1;
      }
      return 0;
    },
  },
  {
    // Several kinds of command at once: override plus new task plus dictated output.
    name: 'command_kinds',
    value(_text, _norm, hits) {
      const kinds = new Set<string>();
      for (const h of hits) if (COMMAND_GROUPS.has(h.rule.group)) kinds.add(h.rule.group);
      return Math.min(kinds.size, 3) / 3;
    },
  },
];

/** Jailbreaks stack many evasion devices; count distinct ones, not the length that carries them. */
export const jailbreakStructure: StructureFeature[] = [
  {
    name: 'distinct_devices',
    value(_text, _norm, hits) {
      const ids = new Set<string>();
      for (const h of hits) ids.add(h.rule.id);
      return Math.min(ids.size, 6) / 6;
    },
  },
  {
    name: 'device_density',
    value(_text, norm, hits) {
      if (hits.length === 0) return 0;
      let words = 1;
      for (let i = norm.text.indexOf(' '); i !== -1; i = norm.text.indexOf(' ', i + 1)) words++;
      return Math.min(1, (hits.length * 100) / words / 3);
    },
  },
];
