import type { TextScorer } from '@oversight/sdk/scorers';
import type { Evaluation } from './enrich/evaluation.ts';
import { guardrailEvaluations } from './enrich/guardrail-evaluations.ts';
import { reportedEvaluations } from './enrich/reported-evaluations.ts';
import { createSafetyEnricher } from './enrich/safety.ts';
import { normalizeSpan } from './normalize/index.ts';
import type { PositionedBatch } from './pipeline/index.ts';
import { toLlmSpanRow, toRetrievalDocumentRows } from './store/llm-rows.ts';
import { toEvaluationRow } from './store/record-rows.ts';
import type { Row } from './store/store.ts';
import { EVALUATIONS, LLM_SPANS, OTEL_TRACES, RETRIEVAL_DOCUMENTS } from './store/tables.ts';
import { toTraceRow } from './store/trace-row.ts';

/**
 * normalize → enrich → rows: what the drain does with each batch it reads
 * from the write-ahead log. Pure and synchronous, so a replay of the same log
 * entries yields the same rows (and the same deduplication tokens apply).
 */
export interface TransformOptions {
  maxTextChars: number;
  scorers: readonly TextScorer[];
  /** Per-evaluator threshold overrides; labels follow `score >= threshold`. */
  thresholds?: Record<string, number>;
}

export function createBatchTransform(options: TransformOptions) {
  const scoreSpan = createSafetyEnricher(options.scorers, { thresholds: options.thresholds ?? {} });

  return function toRows(batches: readonly PositionedBatch[]): Map<string, Row[]> {
    const traces: Row[] = [];
    const llmSpans: Row[] = [];
    const documents: Row[] = [];
    const evaluations: Row[] = [];
    const addEvaluations = (projectId: string, found: Evaluation[]) => {
      for (const e of found) {
        if (e.score === null) continue;
        evaluations.push(
          toEvaluationRow({
            projectId,
            timestamp: e.timeUnixNano,
            traceId: e.traceId,
            spanId: e.spanId,
            evaluator: e.evaluator,
            target: e.target,
            score: e.score,
            label: e.label,
            explanation: e.explanation,
            evaluatorVersion: e.evaluatorVersion,
            source: e.source,
          }),
        );
      }
    };

    for (const { projectId, spans } of batches) {
      for (const span of spans) {
        traces.push(toTraceRow(span, projectId));
        addEvaluations(projectId, reportedEvaluations(span));
        const llm = normalizeSpan(span, { maxTextChars: options.maxTextChars });
        if (!llm) continue;
        llmSpans.push(toLlmSpanRow(llm, projectId));
        documents.push(...toRetrievalDocumentRows(llm, projectId));
        addEvaluations(projectId, guardrailEvaluations(llm));
        addEvaluations(projectId, scoreSpan(llm));
      }
    }
    const tables = new Map<string, Row[]>([
      [OTEL_TRACES, traces],
      [LLM_SPANS, llmSpans],
      [RETRIEVAL_DOCUMENTS, documents],
      [EVALUATIONS, evaluations],
    ]);
    for (const [table, rows] of tables) if (rows.length === 0) tables.delete(table);
    return tables;
  };
}
