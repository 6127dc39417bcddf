import type { ScoreResult, TextScorer } from '@oversight/scorers';
import type { LlmSpan } from '../normalize/llm-span.ts';
import { answerText, latestUserText } from '../normalize/text-views.ts';
import type { Evaluation } from './evaluation.ts';
import { createLabelBook } from './scorer-labels.ts';

/**
 * Scores each generation step's input and output with the shared safety
 * scorers. Only the newest user turn counts as input: earlier turns were
 * scored when they were new, and rescoring the whole history every turn would
 * make the cost quadratic in conversation length.
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

export function createSafetyEnricher(scorers: readonly TextScorer[], options: SafetyEnricherOptions = {}) {
  const inputScorers = scorers.filter((s) => INPUT_SCORERS.has(s.name));
  const outputScorers = scorers.filter((s) => OUTPUT_SCORERS.has(s.name));
  const labelBook = createLabelBook(scorers);
  const thresholds = options.thresholds ?? {};

  /** The scorer's own verdict, or the verdict at the configured threshold. */
  const labelFor = (scorer: TextScorer, result: ScoreResult): string => {
    labelBook.observe(scorer.name, result.label, result.flagged);
    const threshold = thresholds[scorer.name];
    if (threshold === undefined) return result.label;
    const labels = labelBook.labels(scorer.name);
    if (!labels) return result.label;
    return result.score >= threshold ? labels.positive : labels.negative;
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
          explanation: result.explanation,
          evaluatorVersion: result.version,
          source: 'collector',
          timeUnixNano: span.endTimeUnixNano,
        },
      ];
    });

  return function scoreSpan(span: LlmSpan): Evaluation[] {
    if (!SCORED_OPERATIONS.has(span.operation)) return [];
    const input = latestUserText(span);
    const output = answerText(span);
    return [
      ...(input ? run(span, 'input', input, inputScorers) : []),
      ...(output ? run(span, 'output', output, outputScorers) : []),
    ];
  };
}
