import {
  createJailbreakScorer,
  createPromptInjectionScorer,
  createRefusalScorer,
  createToxicityScorer,
  jailbreakModel,
  PII_SCORER_VERSION,
  promptInjectionModel,
  refusalModel,
  type ScoreResult,
  scorePii,
  type TextScorer,
  toxicityModel,
} from '@oversight/scorers';
import type { LlmSpan } from '../normalize/llm-span.ts';
import { answerText } from '../normalize/text-views.ts';
import type { Evaluation } from './evaluation.ts';
import { createLabelBook } from './scorer-labels.ts';

/**
 * Scores each generation step's input and output with the shared safety
 * scorers. Only the newest user turn counts as input, on the call that reads
 * it first: earlier turns were scored when they were new, and rescoring the
 * whole history every turn would make the cost quadratic in conversation
 * length.
 */
const INPUT_SCORERS = new Set(['pii', 'prompt_injection', 'jailbreak', 'toxicity']);
const OUTPUT_SCORERS = new Set(['pii', 'toxicity', 'refusal']);
// Model calls only: an agent span (AI SDK `invoke_agent`) repeats its chat
// children's messages, and scoring both would count every flag twice.
const SCORED_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content']);

export interface SafetyEnricherOptions {
  /** Per-evaluator threshold overrides (label flips at `score >= threshold`). */
  thresholds?: Record<string, number>;
}

/**
 * The shipped scorers, rebuilt at another threshold through their own options,
 * so what depends on the threshold besides the label (the explanation's
 * verdict, PII counting only confident findings) follows the override too.
 */
const AT_THRESHOLD: Record<string, (threshold: number) => TextScorer> = {
  pii: (threshold) => ({
    name: 'pii',
    version: PII_SCORER_VERSION,
    threshold,
    score: (text) => scorePii(text, threshold),
  }),
  toxicity: (threshold) => createToxicityScorer(toxicityModel, { threshold }),
  jailbreak: (threshold) => createJailbreakScorer(jailbreakModel, { threshold }),
  prompt_injection: (threshold) => createPromptInjectionScorer(promptInjectionModel, { threshold }),
  refusal: (threshold) => createRefusalScorer(refusalModel, { threshold }),
};

/** The scorer at `threshold` when it is a shipped one, known by its version (rules and weights). */
function rebuiltAt(scorer: TextScorer, threshold: number): TextScorer | undefined {
  const rebuilt = AT_THRESHOLD[scorer.name]?.(threshold);
  return rebuilt && rebuilt.version === scorer.version ? rebuilt : undefined;
}

/** `toxicity 0.76 < 0.99`: the header the linear scorers open their explanation with. */
function verdictHead(name: string, score: number, threshold: number): string {
  return `${name} ${score.toFixed(2)} ${score >= threshold ? '≥' : '<'} ${threshold}`;
}

/**
 * The explanation under the threshold in force: it opens with that threshold's
 * verdict. A header stating the scorer's own threshold is replaced rather than
 * kept, since it would contradict the stored label.
 */
function explainAt(name: string, result: ScoreResult, threshold: number): string {
  const inForce = verdictHead(name, result.score, threshold);
  const own = verdictHead(name, result.score, result.threshold);
  const text = result.explanation;
  const startsWith = (head: string) => text === head || text.startsWith(`${head}: `);
  if (startsWith(inForce)) return text;
  const body = startsWith(own) ? text.slice(own.length + 2) : text;
  return body === '' ? inForce : `${inForce}: ${body}`;
}

/**
 * The user's newest message, when this call is the first of its turn: an
 * agent's later calls carry the tool results after it, and scoring it on each
 * would count one jailbreak (or one leaked card number) once per step.
 */
function newUserText(span: LlmSpan): string {
  const messages = span.inputMessages;
  const last = messages.findLastIndex((m) => m.role === 'user' && m.content !== '');
  if (last < 0) return '';
  if (messages.slice(last + 1).some((m) => m.role === 'tool')) return '';
  return messages[last]?.content ?? '';
}

export function createSafetyEnricher(scorers: readonly TextScorer[], options: SafetyEnricherOptions = {}) {
  const thresholds = options.thresholds ?? {};
  const atThreshold = (scorer: TextScorer): TextScorer => {
    const threshold = thresholds[scorer.name];
    return threshold === undefined ? scorer : (rebuiltAt(scorer, threshold) ?? scorer);
  };
  const inputScorers = scorers.filter((s) => INPUT_SCORERS.has(s.name)).map(atThreshold);
  const outputScorers = scorers.filter((s) => OUTPUT_SCORERS.has(s.name)).map(atThreshold);
  const labelBook = createLabelBook(scorers);

  /** The scorer's own verdict, or the verdict at the configured threshold. */
  const labelFor = (scorer: TextScorer, result: ScoreResult): string => {
    labelBook.observe(scorer.name, result.label, result.flagged);
    const threshold = thresholds[scorer.name];
    if (threshold === undefined) return result.label;
    const labels = labelBook.labels(scorer.name);
    if (!labels) return result.label;
    return result.score >= threshold ? labels.positive : labels.negative;
  };

  const explanationFor = (scorer: TextScorer, result: ScoreResult): string => {
    const threshold = thresholds[scorer.name];
    return threshold === undefined ? result.explanation : explainAt(scorer.name, result, threshold);
  };

  const run = (span: LlmSpan, target: 'input' | 'output', text: string, list: readonly TextScorer[]) =>
    list.flatMap((scorer): Evaluation[] => {
      let result: ScoreResult;
      try {
        result = scorer.score(text);
      } catch {
        // One faulty scorer costs its own row, never the batch: the drain would retry it forever.
        return [];
      }
      return [
        {
          traceId: span.traceId,
          spanId: span.spanId,
          evaluator: scorer.name,
          target,
          score: result.score,
          label: labelFor(scorer, result),
          explanation: explanationFor(scorer, result),
          evaluatorVersion: result.version,
          source: 'collector',
          timeUnixNano: span.endTimeUnixNano,
        },
      ];
    });

  return function scoreSpan(span: LlmSpan): Evaluation[] {
    if (!SCORED_OPERATIONS.has(span.operation)) return [];
    const input = newUserText(span);
    const output = answerText(span);
    return [
      ...(input ? run(span, 'input', input, inputScorers) : []),
      ...(output ? run(span, 'output', output, outputScorers) : []),
    ];
  };
}
