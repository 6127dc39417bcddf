/**
 * Generations and feedback for the export and agreement tests, written through
 * the real normalizer and row builders, so rows are shaped as the collector
 * stores them (the system prompt in system_instructions, not in input_messages).
 */

import { afterAll, beforeAll } from 'vitest';
import { normalizeSpan } from '../../src/normalize/index.ts';
import { toLlmSpanRow } from '../../src/pipeline/transform/llm-rows.ts';
import { type FeedbackRecord, toFeedbackRow } from '../../src/pipeline/transform/record-rows.ts';
import type { Store } from '../../src/store/store.ts';
import { FEEDBACK, LLM_SPANS } from '../../src/store/tables.ts';
import type { StoreBackend } from '../helpers/store-backends.ts';
import { spanWith } from '../normalize/span-fixture.ts';

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
  /** Sent as a leading system message; '' for none. Default `Be brief.` */
  system?: string;
  /** OTel GenAI input messages after the question (an agent's tool calls and their results). */
  turns?: unknown[];
  /** Further span attributes, e.g. the SDK's `oversight.content.truncated`. */
  attributes?: Record<string, unknown>;
}

const START = 1_800_000_000_000_000_000n;
export const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
export const traceId = (n: number) => hex(n, 32);
export const spanId = (n: number) => hex(n, 16);

const text = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] });

export function generationRow(g: Generation) {
  const model = g.model ?? 'gpt-4o';
  const system = g.system ?? 'Be brief.';
  const span = normalizeSpan(
    spanWith(
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.response.model': model,
        'gen_ai.input.messages': JSON.stringify([
          ...(system !== '' ? [text('system', system)] : []),
          text('user', g.question),
          ...(g.turns ?? []),
        ]),
        'gen_ai.output.messages': JSON.stringify([{ ...text('assistant', g.answer), finish_reason: 'stop' }]),
        ...g.attributes,
      },
      {
        traceId: g.trace,
        spanId: g.span,
        name: `chat ${model}`,
        serviceName: 'support-bot',
        startTimeUnixNano: START + (g.at ?? 0n),
        endTimeUnixNano: START + (g.at ?? 0n) + 1_000n,
      },
    ),
  );
  if (!span) throw new Error(`generation ${g.span} did not normalize to an LLM span`);
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
