/**
 * The trace stage's test harness, shared by the stage's own tests and the
 * quality roll-up's: RAG traces (a root, a retrieval, a generation) as
 * SpanRecords, their rows as the drain's transform makes them, and stages on
 * a real store (one per backend) with a hand-driven clock, closed after the
 * suite.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createGroundednessEnricher } from '../../src/enrich/groundedness.ts';
import type { TraceEnricher, TraceGeneration } from '../../src/enrich/trace-enricher.ts';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import {
  createTraceStage,
  type TraceStage,
  type TraceStageOptions,
} from '../../src/pipeline/assemble/trace-stage.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import type { Row, Store } from '../../src/store/store.ts';
import { spanWith } from '../normalize/span-fixture.ts';
import type { StoreBackend } from './store-backends.ts';

export const QUESTION = 'When was the bridge opened to traffic?';
export const DOCS = [
  'The Millau bridge was opened to traffic on 16 December 2004.',
  'It is 343 metres tall.',
];
/** Contradicts the documents' date: hallucinated. */
export const WRONG = 'The bridge was opened to traffic in 1998.';
/** Said by the documents: grounded. */
export const RIGHT = 'The Millau bridge was opened to traffic on 16 December 2004.';

const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

export interface RagTrace {
  traceId: string;
  generationId: string;
  spans: SpanRecord[];
}

/** A root, a retrieval of DOCS and a generation answering QUESTION with `answer`, in one new trace. */
export function ragSpans(answer = WRONG): RagTrace {
  const traceId = hexId(16);
  const [root, retrieval, generation] = [hexId(8), hexId(8), hexId(8)];
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const at = (ms: number) => t0 + BigInt(ms) * 1_000_000n;
  const base = { traceId, parentSpanId: root };
  return {
    traceId,
    generationId: generation,
    spans: [
      spanWith({}, { traceId, spanId: root, name: 'ask', startTimeUnixNano: at(0), endTimeUnixNano: at(50) }),
      spanWith(
        {
          'gen_ai.operation.name': 'retrieval',
          'gen_ai.retrieval.query.text': QUESTION,
          'gen_ai.retrieval.documents': JSON.stringify(DOCS.map((content, i) => ({ id: `d${i}`, content }))),
        },
        { ...base, spanId: retrieval, startTimeUnixNano: at(1), endTimeUnixNano: at(5) },
      ),
      spanWith(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }] },
          ]),
        },
        { ...base, spanId: generation, startTimeUnixNano: at(6), endTimeUnixNano: at(40) },
      ),
    ],
  };
}

const transform = createBatchTransform({ maxTextChars: 100_000, scorers: [] });

/** The rows the drain would write for `spans` (and hand to the stage after its round commits). */
export function rowsOf(spans: SpanRecord[], projectId = 'p1'): Map<string, Row[]> {
  return transform([{ projectId, spans, position: 0, receivedAt: Date.now() }]);
}

/** Resolves once `ready()` holds, checking every 5 ms: for a drain that runs on its own, as the stage's timer runs it. */
export async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * An enricher that holds each call until it is let through, for a test to act while a drain
 * is at a known batch: `waiting` counts the calls held so far, `release(k)` lets the k-th go on,
 * `releaseAll()` every held call and every later one. `onCall` sees each call's generations.
 */
export function gatedEnricher(onCall?: (generations: TraceGeneration[]) => void) {
  const gates: (() => void)[] = [];
  let gating = true;
  const enricher: TraceEnricher = {
    name: 'gated',
    async enrich(generations) {
      onCall?.(generations);
      if (gating) await new Promise<void>((resolve) => gates.push(resolve));
      return { rows: {} };
    },
  };
  return {
    enricher,
    get waiting() {
      return gates.length;
    },
    release(k: number) {
      gates[k]?.();
    },
    releaseAll() {
      gating = false;
      for (const open of gates) open();
    },
  };
}

/** A store with one failure injected: `fail(sql)` true makes that command throw `message`. */
export function failingCommands(store: Store, fail: (sql: string) => boolean, message: string): Store {
  const wrapped: Store = Object.create(store);
  wrapped.command = async (sql, options) => {
    if (fail(sql)) throw new Error(message);
    return store.command(sql, options);
  };
  return wrapped;
}

/** `match`, for the first command it matches only: a failure injected once. */
export function firstOnly(match: (sql: string) => boolean): (sql: string) => boolean {
  let done = false;
  return (sql) => {
    if (done || !match(sql)) return false;
    done = true;
    return true;
  };
}

/** The quality-columns UPDATE (not the supersede's reset, which sets judged = 0). */
export const isColumnsUpdate = (sql: string) =>
  sql.trimStart().startsWith('UPDATE') && sql.includes('judged = 1');

export interface TraceStageHarness {
  /** The suite's store (opened and migrated in beforeAll). */
  readonly store: Store;
  /** A stage on the harness clock, polled by hand; closed after the suite. */
  stage(
    enrichers?: TraceEnricher[],
    store?: Store,
    options?: Partial<Omit<TraceStageOptions, 'store' | 'enrichers'>>,
  ): TraceStage;
  /** Moves the stage clock on. */
  advance(ms: number): void;
  /** Stores a trace's rows as the drain would, hands them to the stage, lets the grace period pass, flushes. */
  score(stage: TraceStage, tables: Map<string, Row[]>): Promise<void>;
  /** The traces' rows stored as the drain would and handed to the stage, the grace period passed: ready at its next poll. */
  arrive(stage: TraceStage, traces: readonly RagTrace[]): Promise<void>;
  /** Stores the rows as the drain would, without the stage seeing them (a process that died). */
  storeRows(tables: Map<string, Row[]>): Promise<void>;
}

/** Registers the suite's beforeAll/afterAll; call inside `describe`. */
export function useTraceStageHarness(backend: StoreBackend): TraceStageHarness {
  let store: Store | undefined;
  let clock = Date.now();
  const stages: TraceStage[] = [];
  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  });
  afterAll(async () => {
    for (const s of stages) await s.close(1_000);
    await backend.cleanup();
  });
  const opened = () => {
    if (!store) throw new Error('the harness store opens in beforeAll');
    return store;
  };
  const harness: TraceStageHarness = {
    get store() {
      return opened();
    },
    stage(enrichers = [createGroundednessEnricher()], s = opened(), options = {}) {
      const created = createTraceStage({
        store: s,
        enrichers,
        now: () => clock,
        pollMs: 60_000,
        assembler: { graceMs: 1_000, idleMs: 5_000 },
        retryMs: { initial: 0, max: 0 },
        onError: () => {},
        ...options,
      });
      stages.push(created);
      return created;
    },
    advance(ms) {
      clock += ms;
    },
    async storeRows(tables) {
      for (const [table, rows] of tables) await opened().insert(table, rows);
    },
    async score(s, tables) {
      await harness.storeRows(tables);
      s.add(tables);
      clock += 1_500;
      await s.flush();
    },
    async arrive(s, traces) {
      const tables = rowsOf(traces.flatMap((t) => t.spans));
      await harness.storeRows(tables);
      s.add(tables);
      clock += 1_500;
    },
  };
  return harness;
}
