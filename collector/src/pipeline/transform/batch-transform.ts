import type { TextScorer } from '@oversight/scorers';
import type { Evaluation } from '../../enrich/evaluation.ts';
import { guardrailEvaluations } from '../../enrich/guardrail-evaluations.ts';
import { reportedEvaluations } from '../../enrich/reported-evaluations.ts';
import { createSafetyEnricher } from '../../enrich/safety.ts';
import { LoopSlices } from '../../loop-slices.ts';
import { normalizeSpan } from '../../normalize/index.ts';
import type { SpanRecord } from '../../otlp/span-record.ts';
import type { Row } from '../../store/store.ts';
import { EVALUATIONS, FEEDBACK, LLM_SPANS, OTEL_TRACES, RETRIEVAL_DOCUMENTS } from '../../store/tables.ts';
import type { FeedbackEntry, PositionedBatch } from '../index.ts';
import { toLlmSpanRow, toRetrievalDocumentRows } from './llm-rows.ts';
import { toEvaluationRow, toFeedbackRow } from './record-rows.ts';
import { toTraceRow } from './trace-row.ts';

/**
 * normalize → enrich → rows: what the drain does with each batch it reads
 * from the write-ahead log. Deterministic, so a replay of the same log entries
 * yields the same rows (and the same deduplication tokens apply).
 */
export interface TransformOptions {
  maxTextChars: number;
  scorers: readonly TextScorer[];
  /** Per-evaluator threshold overrides; labels follow `score >= threshold`. */
  thresholds?: Record<string, number>;
}

/** Rows of one batch being built, span by span. */
function createRowSink(options: TransformOptions) {
  const scoreSpan = createSafetyEnricher(options.scorers, { thresholds: options.thresholds ?? {} });
  return () => {
    const traces: Row[] = [];
    const llmSpans: Row[] = [];
    const documents: Row[] = [];
    const evaluations: Row[] = [];
    const feedback: Row[] = [];
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
    return {
      add(projectId: string, span: SpanRecord) {
        traces.push(toTraceRow(span, projectId));
        addEvaluations(projectId, reportedEvaluations(span));
        const llm = normalizeSpan(span, { maxTextChars: options.maxTextChars });
        if (!llm) return;
        llmSpans.push(toLlmSpanRow(llm, projectId));
        // A loop, not push(...): a spread of some 120 000 documents overflows the stack.
        for (const row of toRetrievalDocumentRows(llm, projectId)) documents.push(row);
        addEvaluations(projectId, guardrailEvaluations(llm));
        addEvaluations(projectId, scoreSpan(llm));
      },
      addFeedback(projectId: string, entries: readonly FeedbackEntry[]) {
        for (const entry of entries) feedback.push(toFeedbackRow({ ...entry, projectId }));
      },
      tables(): Map<string, Row[]> {
        const tables = new Map<string, Row[]>([
          [OTEL_TRACES, traces],
          [LLM_SPANS, llmSpans],
          [RETRIEVAL_DOCUMENTS, documents],
          [EVALUATIONS, evaluations],
          [FEEDBACK, feedback],
        ]);
        for (const [table, rows] of tables) if (rows.length === 0) tables.delete(table);
        return tables;
      },
    };
  };
}

export function createBatchTransform(options: TransformOptions) {
  const newSink = createRowSink(options);
  return function toRows(batches: readonly PositionedBatch[]): Map<string, Row[]> {
    const sink = newSink();
    for (const { projectId, spans, feedback } of batches) {
      for (const span of spans) sink.add(projectId, span);
      if (feedback) sink.addFeedback(projectId, feedback);
    }
    return sink.tables();
  };
}

/**
 * The same transform, handing the event loop back every `sliceMs`: scoring a
 * drain round of thousands of spans takes seconds, and the collector must keep
 * answering exporters, probes and scrapes meanwhile.
 */
export function createYieldingBatchTransform(options: TransformOptions, sliceMs = 10) {
  const newSink = createRowSink(options);
  return async function toRows(batches: readonly PositionedBatch[]): Promise<Map<string, Row[]>> {
    const sink = newSink();
    const slices = new LoopSlices(sliceMs);
    for (const { projectId, spans, feedback } of batches) {
      for (const span of spans) {
        sink.add(projectId, span);
        if (slices.due) await slices.next();
      }
      if (feedback) sink.addFeedback(projectId, feedback);
    }
    return sink.tables();
  };
}
