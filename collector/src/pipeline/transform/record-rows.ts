/** Typed builders for the rows the collector produces itself: scores, user feedback, topics. */
import type { Row } from '../../store/store.ts';
import type { FeedbackEntry } from '../batch-codec.ts';
import { type Instant, toDateTime64 } from './time.ts';

export type EvaluationSource = 'collector' | 'sdk' | 'app' | 'human';
export type EvaluationTarget = 'input' | 'output' | 'span';

export interface EvaluationRecord {
  projectId: string;
  timestamp: Instant;
  traceId: string;
  spanId: string;
  /** `gen_ai.evaluation.name`: `groundedness`, `pii`, `toxicity`, … */
  evaluator: string;
  /** Which text was scored; `span` when the score is about the step as a whole. */
  target?: EvaluationTarget;
  score: number;
  label?: string;
  explanation?: string;
  evaluatorVersion?: string;
  source: EvaluationSource;
}

export function toEvaluationRow(record: EvaluationRecord): Row {
  if (!Number.isFinite(record.score))
    throw new RangeError(`evaluation score must be finite: ${record.score}`);
  return {
    project_id: record.projectId,
    timestamp: toDateTime64(record.timestamp),
    trace_id: record.traceId,
    span_id: record.spanId,
    evaluator: record.evaluator,
    target: record.target ?? 'span',
    score: record.score,
    label: record.label ?? '',
    explanation: record.explanation ?? '',
    evaluator_version: record.evaluatorVersion ?? '',
    source: record.source,
  };
}

/** A feedback log entry, placed in its project: one row of the feedback table. */
export interface FeedbackRecord extends Omit<FeedbackEntry, 'timestamp'> {
  projectId: string;
  timestamp: Instant;
}

export function toFeedbackRow(record: FeedbackRecord): Row {
  if (!Number.isFinite(record.value)) throw new RangeError(`feedback value must be finite: ${record.value}`);
  return {
    id: record.id,
    project_id: record.projectId,
    timestamp: toDateTime64(record.timestamp),
    trace_id: record.traceId,
    span_id: record.spanId ?? '',
    user_id: record.userId ?? '',
    kind: record.kind,
    value: record.value,
    comment: record.comment ?? '',
    correction: record.correction ?? '',
    metadata: record.metadata ?? {},
  };
}

export interface TopicRecord {
  projectId: string;
  topicId: bigint | number;
  label: string;
  topTerms: string[];
  size: number;
  firstSeen: Instant;
  lastSeen: Instant;
}

export function toTopicRow(record: TopicRecord): Row {
  return {
    project_id: record.projectId,
    topic_id: String(record.topicId),
    label: record.label,
    top_terms: record.topTerms,
    size: record.size,
    first_seen: toDateTime64(record.firstSeen, 3),
    last_seen: toDateTime64(record.lastSeen, 3),
  };
}
