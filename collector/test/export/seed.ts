/** Generations and feedback for the export and agreement tests, written through the real row builders. */

import { afterAll, beforeAll } from 'vitest';
import { toLlmSpanRow } from '../../src/pipeline/transform/llm-rows.ts';
import { type FeedbackRecord, toFeedbackRow } from '../../src/pipeline/transform/record-rows.ts';
import type { Store } from '../../src/store/store.ts';
import { FEEDBACK, LLM_SPANS } from '../../src/store/tables.ts';
import type { StoreBackend } from '../helpers/store-backends.ts';
import { sampleLlmSpan } from '../store/fixtures.ts';

export interface Generation {
  project: string;
  trace: string;
  span: string;
  question: string;
  answer: string;
  /** ns offset from a fixed start, so "the last generation of a trace" is well defined. */
  at?: bigint;
  model?: string;
  topic?: number;
  groundedness?: number | null;
  hallucinated?: number | null;
  /** The trace stage's reading of a generation that is the app's own step ('quotes': a title, a guard). */
  appStep?: 'feeds' | 'quotes';
}

const START = 1_800_000_000_000_000_000n;
export const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
export const traceId = (n: number) => hex(n, 32);
export const spanId = (n: number) => hex(n, 16);

export function generationRow(g: Generation) {
  const span = sampleLlmSpan({
    traceId: g.trace,
    spanId: g.span,
    startTimeUnixNano: START + (g.at ?? 0n),
    endTimeUnixNano: START + (g.at ?? 0n) + 1_000n,
    requestModel: g.model ?? 'gpt-4o',
    responseModel: g.model ?? 'gpt-4o',
    inputMessages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: g.question },
    ],
    outputMessages: [{ role: 'assistant', content: g.answer }],
  });
  return {
    ...toLlmSpanRow(span, g.project),
    topic_id: String(g.topic ?? 0),
    groundedness: g.groundedness ?? null,
    hallucinated: g.hallucinated ?? null,
    app_step: g.appStep ?? '',
  };
}

export type Vote = Omit<FeedbackRecord, 'timestamp' | 'projectId'> & { project: string; at?: number };

export function voteRow(v: Vote) {
  const { project, at, ...record } = v;
  return toFeedbackRow({ ...record, projectId: project, timestamp: Date.UTC(2027, 0, 1) + (at ?? 0) });
}

export async function seed(store: Store, generations: Generation[], votes: Vote[]) {
  if (generations.length > 0) await store.insert(LLM_SPANS, generations.map(generationRow));
  if (votes.length > 0) await store.insert(FEEDBACK, votes.map(voteRow));
}

/**
 * A store of `backend`, migrated and seeded once for the enclosing `describe`
 * and cleaned up after it: tests read `.store`.
 */
export function seededStore(
  backend: StoreBackend,
  generations: Generation[],
  votes: Vote[],
): { store: Store } {
  const seeded = {} as { store: Store };
  beforeAll(async () => {
    seeded.store = await backend.open();
    await seeded.store.migrate();
    await seed(seeded.store, generations, votes);
  }, 60_000);
  afterAll(() => backend.cleanup());
  return seeded;
}
