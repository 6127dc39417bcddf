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
  isRefusal,
  RELEVANCE_THRESHOLD,
  type UnsupportedClaim,
} from '@oversight/scorers';
import { toEvaluationRow } from '../pipeline/transform/record-rows.ts';
import type { Row } from '../store/store.ts';
import type { TraceEnricher, TraceEnrichment, TraceGeneration } from './trace-enricher.ts';

export const GROUNDEDNESS_EVALUATORS = ['groundedness', 'answer_relevance', 'context_relevance'] as const;
/** Relevance is lexical coverage of the question's key terms; its version moves with the groundedness tokenizer. */
export const RELEVANCE_VERSION = `coverage-${GROUNDEDNESS_VERSION}`;

const SLICE_MS = 10;

/** Explanations stay short enough to read in a table cell. */
const MAX_EXPLANATION_CHARS = 2_000;

export interface GroundednessEnricherOptions {
  /** Groundedness below this is `hallucinated` (default: the scorer's shipped threshold). */
  groundednessThreshold?: number;
  relevanceThreshold?: number;
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

export function createGroundednessEnricher(options: GroundednessEnricherOptions = {}): TraceEnricher {
  const threshold = options.groundednessThreshold ?? GROUNDEDNESS_THRESHOLD;
  const relevanceThreshold = options.relevanceThreshold ?? RELEVANCE_THRESHOLD;

  function scoreOne(g: TraceGeneration, rows: Row[]): void {
    const { answer, question, context } = g.pair;
    if (answer.trim() === '') return;
    const push = (
      evaluator: (typeof GROUNDEDNESS_EVALUATORS)[number],
      target: 'output' | 'span',
      verdict: { score: number; label: string },
      explanation: string,
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
          explanation,
          evaluatorVersion,
        }),
      );
    g.found.refusal = isRefusal(answer);
    if (context.length > 0) {
      const index = indexContext(context);
      const verdict = groundedness(answer, index, { question, threshold });
      g.found.groundedness = verdict.score;
      g.found.hallucinated = verdict.label === 'hallucinated';
      push(
        'groundedness',
        'output',
        verdict,
        verdict.refusal ? 'refusal' : explainUnsupported(verdict.unsupported),
        GROUNDEDNESS_VERSION,
      );
      if (question !== '') {
        const relevance = contextRelevance(question, index, relevanceThreshold);
        g.found.contextRelevance = relevance.score;
        push('context_relevance', 'span', relevance, explainMissing(relevance.missing), RELEVANCE_VERSION);
      }
    }
    if (question !== '') {
      const relevance = answerRelevance(question, answer, relevanceThreshold);
      g.found.answerRelevance = relevance.score;
      const explanation = g.found.refusal ? 'refusal' : explainMissing(relevance.missing);
      push('answer_relevance', 'output', relevance, explanation, RELEVANCE_VERSION);
    }
  }

  return {
    name: 'groundedness',
    async enrich(generations): Promise<TraceEnrichment> {
      const rows: Row[] = [];
      // About a millisecond per generation on the collector's event loop: hand it back every
      // slice so exporters, probes and scrapes are answered while a large batch is scored.
      let sliceEnd = performance.now() + SLICE_MS;
      for (const g of generations) {
        scoreOne(g, rows);
        if (performance.now() >= sliceEnd) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceEnd = performance.now() + SLICE_MS;
        }
      }
      return { rows: { evaluations: rows } };
    },
  };
}
