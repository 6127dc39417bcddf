/**
 * The groundedness and relevance enricher of the trace stage: for each
 * generation of an assembled trace, whether its answer is supported by the
 * context paired with it (groundedness), whether it addresses the question
 * (answer relevance), and whether the context matches the question (context
 * relevance). One evaluations row per (span, evaluator); the findings fill the
 * llm_spans quality columns.
 */
import {
  answerRelevance,
  contextRelevance,
  GROUNDEDNESS_THRESHOLD,
  GROUNDEDNESS_VERSION,
  groundedness,
  indexContext,
  RELEVANCE_THRESHOLD,
  readRefusal,
  type UnsupportedClaim,
} from '@oversight/scorers';
import { LoopSlices } from '../loop-slices.ts';
import { toEvaluationRow } from '../pipeline/transform/record-rows.ts';
import type { Row } from '../store/store.ts';
import type { TraceEnricher, TraceEnrichment, TraceGeneration } from './trace-enricher.ts';

export const GROUNDEDNESS_EVALUATORS = ['groundedness', 'answer_relevance', 'context_relevance'] as const;
/** Relevance is lexical coverage of the question's key terms; its version moves with the groundedness tokenizer. */
export const RELEVANCE_VERSION = `coverage-${GROUNDEDNESS_VERSION}`;

/** Explanations stay short enough to read in a table cell. */
const MAX_EXPLANATION_CHARS = 2_000;

export interface GroundednessEnricherOptions {
  /** Groundedness below this is `hallucinated` (default: the scorer's shipped threshold). */
  groundednessThreshold?: number;
  relevanceThreshold?: number;
  /**
   * Where the scoring runs (default: this thread, yielding every 10 ms). The
   * collector passes its transform workers' `score`, so the main event loop
   * keeps only the rows and column values.
   */
  scorer?: GenerationScorer;
}

/** `"claim" [reasons; missing: a, b]`, one per line, worst first. */
export function explainUnsupported(unsupported: readonly UnsupportedClaim[]): string {
  const lines: string[] = [];
  let length = 0;
  for (const u of unsupported) {
    const missing = u.missing.length > 0 ? `; missing: ${u.missing.slice(0, 8).join(', ')}` : '';
    const line = `"${u.claim}" [${u.reasons.join(', ') || 'unsupported'}${missing}]`;
    if (length + line.length > MAX_EXPLANATION_CHARS) {
      lines.push(`… ${unsupported.length - lines.length} more`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

/** The question's key terms the relevance scorers found no trace of. */
function explainMissing(missing: readonly string[]): string {
  return missing.length > 0 ? `missing: ${missing.join(', ')}` : '';
}

/** What scoring one generation reads: plain data, so it can be scored on a worker thread. */
export interface GenerationText {
  answer: string;
  question: string;
  context: string[];
}

export interface Verdict {
  score: number;
  label: string;
  explanation: string;
}

/** One generation's verdicts; none at all for an empty answer. */
export interface GenerationScores {
  refusal?: boolean;
  /** The answer declines part of the question and answers the rest (`readRefusal`). */
  hedged?: boolean;
  groundedness?: Verdict;
  contextRelevance?: Verdict;
  answerRelevance?: Verdict;
}

export interface GroundednessThresholds {
  groundedness: number;
  relevance: number;
}

/**
 * Runs the scoring of a batch somewhere: on the transform workers
 * (`TransformWorkers.score`), or on this thread (`scoreYielding`). Same
 * verdicts either way, in input order.
 */
export type GenerationScorer = (
  generations: readonly GenerationText[],
  thresholds: GroundednessThresholds,
) => Promise<GenerationScores[]>;

/** The pure scoring of one generation: what the enricher turns into rows and column values. */
export function scoreGenerationText(g: GenerationText, thresholds: GroundednessThresholds): GenerationScores {
  const { answer, question, context } = g;
  if (answer.trim() === '') return {};
  const index = context.length > 0 ? indexContext(context) : undefined;
  const verdict = index && groundedness(answer, index, { question, threshold: thresholds.groundedness });
  // The groundedness verdict has read the answer for refusals already.
  const reading = verdict ?? readRefusal(answer);
  const out: GenerationScores = { refusal: reading.refusal, hedged: reading.hedged && !reading.refusal };
  if (index && verdict) {
    out.groundedness = {
      score: verdict.score,
      label: verdict.label,
      explanation: verdict.refusal ? 'refusal' : explainUnsupported(verdict.unsupported),
    };
    if (question !== '') {
      const relevance = contextRelevance(question, index, thresholds.relevance);
      out.contextRelevance = {
        score: relevance.score,
        label: relevance.label,
        explanation: explainMissing(relevance.missing),
      };
    }
  }
  if (question !== '') {
    const relevance = answerRelevance(question, answer, thresholds.relevance);
    out.answerRelevance = {
      score: relevance.score,
      label: relevance.label,
      explanation: out.refusal ? 'refusal' : explainMissing(relevance.missing),
    };
  }
  return out;
}

/**
 * Scores on the calling thread, handing the event loop back every slice: about
 * a millisecond per generation, so exporters, probes and scrapes are still
 * answered while a large batch is scored. The collector's fallback where no
 * transform worker runs.
 */
export const scoreYielding: GenerationScorer = async (generations, thresholds) => {
  const out: GenerationScores[] = [];
  const slices = new LoopSlices();
  for (const g of generations) {
    out.push(scoreGenerationText(g, thresholds));
    if (slices.due) await slices.next();
  }
  return out;
};

export function createGroundednessEnricher(options: GroundednessEnricherOptions = {}): TraceEnricher {
  const thresholds: GroundednessThresholds = {
    groundedness: options.groundednessThreshold ?? GROUNDEDNESS_THRESHOLD,
    relevance: options.relevanceThreshold ?? RELEVANCE_THRESHOLD,
  };
  const score = options.scorer ?? scoreYielding;

  function apply(g: TraceGeneration, scores: GenerationScores, rows: Row[]): void {
    const push = (
      evaluator: (typeof GROUNDEDNESS_EVALUATORS)[number],
      target: 'output' | 'span',
      verdict: Verdict,
      evaluatorVersion: string,
    ) =>
      rows.push(
        toEvaluationRow({
          projectId: g.projectId,
          timestamp: g.span.endTimeUnixNano,
          traceId: g.traceId,
          spanId: g.span.spanId,
          source: 'collector',
          evaluator,
          target,
          score: verdict.score,
          label: verdict.label,
          explanation: verdict.explanation,
          evaluatorVersion,
        }),
      );
    if (scores.refusal === undefined) return;
    g.found.refusal = scores.refusal;
    if (scores.hedged) g.found.hedged = true;
    if (scores.groundedness) {
      g.found.groundedness = scores.groundedness.score;
      g.found.hallucinated = scores.groundedness.label === 'hallucinated';
      push('groundedness', 'output', scores.groundedness, GROUNDEDNESS_VERSION);
    }
    if (scores.contextRelevance) {
      g.found.contextRelevance = scores.contextRelevance.score;
      push('context_relevance', 'span', scores.contextRelevance, RELEVANCE_VERSION);
    }
    if (scores.answerRelevance) {
      g.found.answerRelevance = scores.answerRelevance.score;
      push('answer_relevance', 'output', scores.answerRelevance, RELEVANCE_VERSION);
    }
  }

  return {
    name: 'groundedness',
    // Scores are a function of each generation's texts alone.
    stateless: true,
    async enrich(delivered): Promise<TraceEnrichment> {
      // A step of the app's own (a title, a guard's verdict, a question rewritten for
      // retrieval) answers no user: nothing of it is grounded or judged relevant.
      const generations = delivered.filter((g) => g.pair.appStep === undefined);
      if (generations.length === 0) return { rows: { evaluations: [] } };
      const scores = await score(
        generations.map((g) => ({
          answer: g.pair.answer,
          question: g.pair.question,
          context: g.pair.context,
        })),
        thresholds,
      );
      if (scores.length !== generations.length)
        throw new Error(`groundedness: ${scores.length} verdicts for ${generations.length} generations`);
      const rows: Row[] = [];
      generations.forEach((g, i) => {
        apply(g, scores[i] as GenerationScores, rows);
      });
      return { rows: { evaluations: rows } };
    },
  };
}
