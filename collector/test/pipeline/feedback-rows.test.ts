import { afterAll, describe, expect, it } from 'vitest';
import type { FeedbackEntry, PositionedBatch } from '../../src/pipeline/index.ts';
import {
  createBatchTransform,
  createYieldingBatchTransform,
} from '../../src/pipeline/transform/batch-transform.ts';
import { startTransformWorkers, type TransformWorkers } from '../../src/pipeline/transform/worker-pool.ts';
import { FEEDBACK, OTEL_TRACES } from '../../src/store/tables.ts';
import { spanWith } from '../normalize/span-fixture.ts';

/** The drain's transform turns a feedback log entry into `feedback` rows, the same way on every path. */
const edit: FeedbackEntry = {
  id: 'fb-edit',
  timestamp: 1_760_000_000_123,
  traceId: 'ab'.repeat(16),
  spanId: 'cd'.repeat(8),
  userId: 'u-7',
  kind: 'edit',
  value: 0,
  comment: 'too vague',
  correction: 'Refunds within 30 days of delivery.',
  metadata: { screen: 'chat' },
};
const thumbs: FeedbackEntry = {
  id: 'fb-up',
  timestamp: 1_760_000_001_000,
  traceId: 'ef'.repeat(16),
  kind: 'thumbs',
  value: 1,
};

const batches: PositionedBatch[] = [
  {
    projectId: 'proj-a',
    receivedAt: 1,
    position: 0,
    spans: [spanWith({ 'gen_ai.operation.name': 'chat' }, { spanId: '1'.padStart(16, '0') })],
  },
  { projectId: 'proj-a', receivedAt: 2, position: 100, spans: [], feedback: [edit] },
  { projectId: 'proj-b', receivedAt: 3, position: 200, spans: [], feedback: [thumbs] },
];

const expectedRows = [
  {
    id: 'fb-edit',
    project_id: 'proj-a',
    timestamp: '1760000000.123000000',
    trace_id: 'ab'.repeat(16),
    span_id: 'cd'.repeat(8),
    user_id: 'u-7',
    kind: 'edit',
    value: 0,
    comment: 'too vague',
    correction: 'Refunds within 30 days of delivery.',
    metadata: { screen: 'chat' },
  },
  {
    id: 'fb-up',
    project_id: 'proj-b',
    timestamp: '1760000001.000000000',
    trace_id: 'ef'.repeat(16),
    span_id: '',
    user_id: '',
    kind: 'thumbs',
    value: 1,
    comment: '',
    correction: '',
    metadata: {},
  },
];

let workers: TransformWorkers | undefined;
afterAll(async () => {
  await workers?.close();
});

describe('feedback entries in the drain transform', () => {
  it('become feedback rows under the entry’s project, beside the spans of other entries', () => {
    const tables = createBatchTransform({ maxTextChars: 1000, scorers: [] })(batches);
    expect(tables.get(FEEDBACK)).toEqual(expectedRows);
    expect(tables.get(OTEL_TRACES)).toHaveLength(1);
  });

  it('yield the same rows in slices and on worker threads', async () => {
    const sliced = await createYieldingBatchTransform({ maxTextChars: 1000, scorers: [] }, 0)(batches);
    expect(sliced.get(FEEDBACK)).toEqual(expectedRows);
    workers = await startTransformWorkers({ maxTextChars: 1000, evaluators: [] }, { chunkSpans: 1 });
    const threaded = await workers.toRows(batches);
    expect(threaded.get(FEEDBACK)).toEqual(expectedRows);
  });

  it('leave the feedback table out of a round without feedback', () => {
    const tables = createBatchTransform({ maxTextChars: 1000, scorers: [] })(batches.slice(0, 1));
    expect(tables.has(FEEDBACK)).toBe(false);
  });
});
