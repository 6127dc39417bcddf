/**
 * The trace stage: after each drain round commits, its span rows feed the
 * TraceAssembler; ready traces are paired (question, answer, context per
 * generation), run through the trace enrichers in order, and their results
 * written: rows inserted (evaluations, topics, …) and the llm_spans quality
 * columns set by one lightweight UPDATE per project and flush batch.
 *
 * Span rows never wait for this: they are stored by the drain round before the
 * stage sees them, so freshness is the drain's. Scores follow a trace's grace
 * period (or idle timeout).
 *
 * One score per (span, evaluator), whatever happens:
 *   - a trace seen before (a late span, a WAL replay, a retry after a failed
 *     write, or one already carrying collector scores) is read back whole from
 *     ClickHouse, re-scored, and its old rows superseded (quality columns back
 *     to NULL, old rows deleted, new rows inserted, columns set);
 *   - on start, generations of the last `recoverWindowMs` the stage has not
 *     judged (their trace was open in a process that died, or it died
 *     mid-write) are read back and scored the same way, and so are those a
 *     full backlog dropped, once it is clear (`catchUp`). Every generation the
 *     stage writes is marked judged, scored or not (no question and no
 *     context: nothing to score), so none is read back at every start.
 * Work runs one batch at a time, so two flushes never race on one trace;
 * only the next batch of the same flush (other traces) is read, paired and
 * through the stateless enrichers (groundedness, on the workers) while a
 * batch is with the others (topics, on the event loop) and being written.
 *
 * The main event loop keeps assembly, state and writes, in slices (rounds
 * rebuilt 200 traces at a time, enrichers called with 64 generations at most)
 * with the loop handed back between; the groundedness enricher's scoring runs
 * wherever its scorer puts it (the transform workers, in the collector).
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { TraceEnricher, TraceGeneration } from '../../enrich/trace-enricher.ts';
import { yieldToLoop } from '../../loop-slices.ts';
import type { LlmSpan } from '../../normalize/index.ts';
import type { Row } from '../../store/store.ts';
import { LLM_SPANS, OTEL_TRACES, QUALITY_EVENTS, RETRIEVAL_DOCUMENTS } from '../../store/tables.ts';
import { isRefusedData } from '../drain/isolation.ts';
import {
  type AssembledTrace,
  type AssemblerCounters,
  type AssemblerOptions,
  estimateSpanBytes,
  TraceAssembler,
} from './assembler.ts';
import { rebuildTraces } from './from-rows.ts';
import { isGeneration, pairGenerations, type SpanLink } from './pairing.ts';
import {
  outstandingQuality,
  type QualityState,
  qualityDelta,
  readTraces,
  type SpanFindings,
  storedOfTraces,
  supersede,
  type TraceStore,
  unscoredTraces,
  updateQualityColumns,
} from './trace-store.ts';

/** Evaluators whose old rows a re-score deletes, besides any the enrichers return. */
const ALWAYS_SUPERSEDED = ['groundedness', 'answer_relevance', 'context_relevance'];

export interface TraceStageOptions {
  store: TraceStore;
  /** Run in order; each sees what the earlier ones found. */
  enrichers: readonly TraceEnricher[];
  assembler?: Omit<AssemblerOptions, 'now'>;
  now?: () => number;
  /**
   * How often ready traces are collected and written (default 1 000 ms). Each
   * write batch costs a few round trips and one UPDATE mutation whatever its
   * size, so fewer, larger batches are cheaper; scores wait for the grace period anyway.
   */
  pollMs?: number;
  /** Traces per write batch (default 500). */
  maxBatchTraces?: number;
  /** Recovery on start looks back this far (default 1 h). */
  recoverWindowMs?: number;
  /** Recovery re-scores at most this many traces (default 20 000). */
  recoverMaxTraces?: number;
  /**
   * Traces waiting for a write retry at most; beyond it the oldest are dropped, counted
   * (default 50 000), and scored once the backlog is clear (the recovery's read, as on start).
   */
  maxPendingTraces?: number;
  /**
   * Estimated bytes of spans the traces waiting to be written may hold
   * (default: the assembler's `maxOpenBytes`); beyond it the oldest let go
   * of theirs and are read back from storage when written.
   */
  maxPendingBytes?: number;
  retryMs?: { initial?: number; max?: number };
  /**
   * True while the stage should write nothing (the drain's inserts are failing):
   * span rows come first, and a struggling ClickHouse gets no extra queries.
   * Ready traces wait in the pending queue meanwhile.
   */
  paused?: () => boolean;
  /** Told about failed writes (retried) and dropped traces; the stage never throws into the drain. */
  onError?: (error: Error) => void;
}

export interface TraceStageCounters extends AssemblerCounters {
  tracesScored: number;
  tracesRescored: number;
  generationsScored: number;
  recovered: number;
  failedBatches: number;
  droppedTraces: number;
  pendingTraces: number;
  /** Estimated bytes of the spans the pending traces hold. */
  pendingBytes: number;
  /** Rows of committed rounds the stage could not read (counted, skipped). */
  skippedRows: number;
  /** quality_events read-backs: one per batch with traces read back from storage, none for fresh ones. */
  ledgerReads: number;
  /** Wall-clock seconds spent scoring and writing backlogs: its rate near 1, the stage is saturated. */
  busySeconds: number;
}

export interface TraceStage {
  /** The drain's `onCommitted`: a committed round's rows. Never throws. */
  add(tables: ReadonlyMap<string, Row[]>): void;
  /** Scores what a previous process left unscored; runs in the stage's queue. */
  recover(): Promise<number>;
  /** Collects ready traces now and resolves when they and everything queued before are written. */
  flush(): Promise<void>;
  metrics(): TraceStageCounters;
  /** Scores every open trace (bounded by `timeoutMs`) and stops. */
  close(timeoutMs?: number): Promise<void>;
}

interface Pending {
  projectId: string;
  traceId: string;
  spans: LlmSpan[];
  links: SpanLink[];
  /** Read the trace back and supersede old rows. */
  rescore: boolean;
  /**
   * Read the trace's stored spans back before pairing (not a re-score): it
   * was first seen so soon after start that spans of it may have reached
   * the process before, whose open traces died with it.
   */
  readBack?: boolean;
  /** Failed writes so far; a trace that keeps failing is dropped, not retried forever. */
  attempts?: number;
  /** Estimated bytes of `spans`. */
  bytes: number;
}

/** A batch paired and through the stateless enrichers, waiting for the others and its writes. */
interface Prepared {
  projectId: string;
  /** The traces with something to score or supersede. */
  batch: Pending[];
  /** Evaluators whose old rows a re-score deletes. */
  evaluatorNames: string[];
  withRows: Set<string>;
  judged: Set<string>;
  rescoreIds: string[];
  outstanding: Outstanding;
  generations: TraceGeneration[];
  /** The slices each enricher is called with, in order. */
  calls: { rescore: boolean; slice: TraceGeneration[] }[];
  /** Rows the enrichers returned so far, by table. */
  rows: Map<string, Row[]>;
}

const spanBytes = (spans: readonly LlmSpan[]) => spans.reduce((n, s) => n + estimateSpanBytes(s), 0);

/**
 * Lets go of a pending trace's spans: they are stored (the stage sees committed rounds only),
 * and read back when the trace is written.
 */
function spill(t: Pending): void {
  t.spans = [];
  t.links = [];
  t.bytes = 0;
  t.readBack = true;
}

/** Writes of one trace at most before it is dropped (counted, reported). */
const MAX_ATTEMPTS = 8;

/** An enricher threw: a bug or one trace's odd data, not the store being away. */
class EnricherError extends Error {
  constructor(enricher: string, cause: unknown) {
    super(`${enricher}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EnricherError';
  }
}

/**
 * Generations per enricher call, and traces per rebuild of a committed round's
 * rows: between two, the event loop is handed back, so a batch of 500 traces
 * (topics placing each question, ≈ 0.3 ms) or a round of thousands of rows
 * (a zod parse and a JSON.parse per row) never holds it for long.
 */
const SLICE_GENERATIONS = 64;
const SLICE_TRACES = 200;

/** The quality ledger's outstanding states, by trace and span (`outstandingQuality`). */
type Outstanding = Awaited<ReturnType<typeof outstandingQuality>>;

/** The generation's outstanding ledger rows (none for a fresh one). */
const ledgerOf = (outstanding: Outstanding, g: TraceGeneration) =>
  outstanding.get(`${g.traceId}\u0000${g.span.spanId}`) ?? [];

/** Of a generation's outstanding ledger rows, the state the roll-up counts now, if any. */
const countedIn = (was: ReturnType<typeof ledgerOf>) => was.find((o) => o.net > 0)?.state;

type RoundRows = { llmSpans: Row[]; documents: Row[]; traces: Row[] };

/** A committed round's rows, split into groups of whole traces, in order of first appearance. */
function sliceByTrace(tables: ReadonlyMap<string, Row[]>, tracesPerSlice: number): RoundRows[] {
  const sliceOf = new Map<string, number>();
  const slices: RoundRows[] = [];
  const into = (traceId: unknown): RoundRows => {
    const id = String(traceId ?? '');
    let i = sliceOf.get(id);
    if (i === undefined) {
      i = Math.floor(sliceOf.size / tracesPerSlice);
      sliceOf.set(id, i);
    }
    slices[i] ??= { llmSpans: [], documents: [], traces: [] };
    return slices[i] as RoundRows;
  };
  for (const r of tables.get(LLM_SPANS) ?? []) into(r.trace_id).llmSpans.push(r);
  for (const r of tables.get(OTEL_TRACES) ?? []) into(r.TraceId).traces.push(r);
  for (const r of tables.get(RETRIEVAL_DOCUMENTS) ?? []) into(r.trace_id).documents.push(r);
  return slices.filter((x) => x !== undefined);
}

export function createTraceStage(options: TraceStageOptions): TraceStage {
  const { store, enrichers } = options;
  const now = options.now ?? Date.now;
  const assembler = new TraceAssembler({ ...options.assembler, now });
  const maxBatch = options.maxBatchTraces ?? 500;
  const maxPending = options.maxPendingTraces ?? 50_000;
  const recoverWindowMs = options.recoverWindowMs ?? 3_600_000;
  const recoverMaxTraces = options.recoverMaxTraces ?? 20_000;
  const maxPendingBytes = options.maxPendingBytes ?? options.assembler?.maxOpenBytes ?? 64 * 2 ** 20;
  const retryInitial = options.retryMs?.initial ?? 500;
  const retryMax = options.retryMs?.max ?? 30_000;
  const report = options.onError ?? (() => {});
  const counters = {
    tracesScored: 0,
    tracesRescored: 0,
    generationsScored: 0,
    recovered: 0,
    failedBatches: 0,
    droppedTraces: 0,
    skippedRows: 0,
    ledgerReads: 0,
    busySeconds: 0,
  };
  let pending: Pending[] = [];
  let queue: Promise<void> = Promise.resolve();
  // Committed rounds being rebuilt into spans, apart from `queue`: a slow write never holds them
  // back, so the assembler's caps keep bounding what waits.
  let adding: Promise<void> = Promise.resolve();
  let failures = 0;
  let retryAt = 0;
  let closed = false;
  /** Set when close() has waited long enough: the batch in flight finishes, no other starts. */
  let stopping = false;

  const startedAt = now();
  // A trace of a previous process could still be sending spans this long after the last one it
  // got: past it, that process would have scored the trace and a span now would be late anyway.
  const inheritedFor = options.assembler?.idleMs ?? 30_000;
  const fromAssembled = (t: AssembledTrace): Pending => ({
    projectId: t.projectId,
    traceId: t.traceId,
    spans: t.spans,
    links: t.links,
    rescore: t.late,
    // A deploy or a crash splits the traces in flight: the retrieval stored by the last process,
    // the generation arriving here. Paired without it, the answer would be judged with no context.
    readBack: t.firstArrival - startedAt < inheritedFor,
    bytes: spanBytes(t.spans) + 128 * t.links.length,
  });

  /** A trace stored but not judged (recovery, catch-up): read back whole and scored. */
  const unjudged = (t: { projectId: string; traceId: string }): Pending => ({
    ...t,
    spans: [],
    links: [],
    rescore: true,
    bytes: 0,
  });

  let pendingBytes = 0;
  /** Traces were dropped from the backlog since the last catch-up found them all. */
  let catchUpDue = false;
  /** Dropped by the polls inside a drain, said by the next enqueue that reports: one line a drain. */
  let unreportedDrops = 0;
  function enqueue(traces: Pending[], { reportDrops = true, older = false } = {}): void {
    // A drain polls between its batches, mostly for nothing: the backlog (up to 50 000 traces)
    // is then neither copied nor summed again.
    if (traces.length > 0) admit(traces, older);
    if (reportDrops && unreportedDrops > 0) {
      report(
        new Error(
          `trace stage: ${unreportedDrops} traces dropped unscored (write backlog over ${maxPending})`,
        ),
      );
      unreportedDrops = 0;
    }
  }

  /** Adds `traces` to the backlog under its caps: the oldest dropped past its count, spilled past its bytes. */
  function admit(traces: Pending[], older: boolean): void {
    // Not push(...traces): a spread of some 120 000 arguments overflows the stack. `older`: a
    // drain's unwritten traces, put back ahead of those that came ready while it ran, so the
    // backlog stays in arrival order: scored oldest first, and over the cap the oldest dropped.
    pending = pending.length === 0 ? traces : older ? traces.concat(pending) : pending.concat(traces);
    if (pending.length > maxPending) {
      const dropped = pending.length - maxPending;
      pending = pending.slice(dropped);
      counters.droppedTraces += dropped;
      unreportedDrops += dropped;
      catchUpDue = true;
    }
    // While writes fail, ready traces keep coming: the backlog keeps their ids, not their texts.
    pendingBytes = pending.reduce((n, t) => n + t.bytes, 0);
    for (const t of pending) {
      if (pendingBytes <= maxPendingBytes) break;
      pendingBytes -= t.bytes;
      spill(t);
    }
  }

  /**
   * The enrichers at the head of the list that keep no state: their calls for a batch may run
   * while the batch before is still with the later enrichers or being written.
   */
  const firstStateful = enrichers.findIndex((e) => e.stateless !== true);
  const statelessHead = firstStateful < 0 ? enrichers.length : firstStateful;

  /**
   * The first half of a batch: read back what needs it, pair, run the stateless head of the
   * enrichers. Nothing is written, and nothing any stateful enricher remembers changes, so
   * it may run for the next batch while this one finishes; undefined when there is nothing to do.
   */
  async function prepare(projectId: string, all: Pending[]): Promise<Prepared | undefined> {
    const evaluatorNames = [...ALWAYS_SUPERSEDED];
    // A trace seen whole for the first time without a generation (HTTP-only traces, embeddings
    // jobs) needs no read and no write at all; one begun before a restart may have its generation
    // stored, scored by the last process without the retrieval arriving now.
    const batch = all.filter((t) => t.rescore || t.readBack || t.spans.some(isGeneration));
    if (batch.length === 0) return;
    // One read for the batch: a fresh trace with stored scores (a replay, a flush retried) is a
    // re-score, and a re-score supersedes only what is stored. Beside it, a trace begun before a
    // restart (or let go of in the backlog) is read back only when it lacks spans that are stored.
    // A trace that may have been seen (a re-score, one begun before a restart) is also asked for
    // generations judged with nothing to score: seen all the same, and to be superseded too.
    const mayLack = batch.filter((t) => t.readBack && !t.rescore);
    const {
      withScores: withRows,
      withOtherSpans: lacking,
      judged,
    } = await storedOfTraces(
      store,
      projectId,
      batch.map((t) => t.traceId),
      evaluatorNames,
      mayLack.map((t) => t.traceId),
      mayLack.flatMap((t) => t.spans.map((x) => x.spanId)),
      batch.filter((t) => t.rescore || t.readBack).map((t) => t.traceId),
    );
    for (const t of batch) {
      if (withRows.has(t.traceId) || judged.has(t.traceId)) t.rescore = true;
      if (t.readBack && !lacking.has(t.traceId)) t.readBack = false;
    }
    const rescoreIds = batch.filter((t) => t.rescore).map((t) => t.traceId);
    const readIds = batch.filter((t) => t.rescore || t.readBack).map((t) => t.traceId);
    if (readIds.length > 0) {
      const stored = rebuildTraces(await readTraces(store, projectId, readIds));
      counters.skippedRows += stored.skipped;
      for (const t of batch) {
        if (!t.rescore && !t.readBack) continue;
        const s = stored.traces.get(`${projectId}\u0000${t.traceId}`);
        if (!s) continue;
        const spans = new Map(t.spans.map((x) => [x.spanId, x]));
        for (const x of s.spans) spans.set(x.spanId, x);
        const links = new Map(t.links.map((x) => [x.spanId, x]));
        for (const x of s.links) links.set(x.spanId, x);
        t.spans = [...spans.values()].sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
        t.links = [...links.values()];
      }
    }

    const generations: TraceGeneration[] = [];
    for (const t of batch) {
      const byId = new Map(t.spans.map((s) => [s.spanId, s]));
      for (const pair of pairGenerations(t.spans, t.links)) {
        const span = byId.get(pair.spanId) as LlmSpan;
        generations.push({
          projectId,
          traceId: t.traceId,
          span,
          pair,
          retrievals: pair.contextSpanIds.map((id) => byId.get(id)).filter((s) => s !== undefined),
          found: {},
        });
      }
    }
    if (generations.length === 0) return undefined;

    // What the roll-up counts now, read back only for traces read back from storage. A fresh one
    // (never flushed by this process, no collector scores stored) has no ledger rows: the ledger is
    // written only for spans a stage got from a committed drain round, and a committed round is
    // never replayed, so its generations reach a stage once. A half-written flush of this process
    // retries as a re-score; one a dead process left behind has NULL columns, which recovery (a
    // re-score) finds. A trace read back for spans the last process stored may hold generations it
    // counted with no evaluator row to tell (a gap verdict alone, with nothing to ground or judge).
    // Read before the enrichers run: one that keeps state of its own (topics) learns from it what
    // it counted before a restart.
    const outstanding: Outstanding =
      readIds.length > 0 ? await outstandingQuality(store, projectId, readIds) : new Map();
    counters.ledgerReads += readIds.length > 0 ? 1 : 0;
    for (const g of generations) {
      const prev = countedIn(ledgerOf(outstanding, g));
      if (prev) g.counted = { topicId: prev.topicId, kbGap: prev.kbGap === null ? null : prev.kbGap === 1 };
    }

    const rows = new Map<string, Row[]>();
    const rescored = new Set(rescoreIds);
    const groups = [
      { rescore: false, generations: generations.filter((g) => !rescored.has(g.traceId)) },
      { rescore: true, generations: generations.filter((g) => rescored.has(g.traceId)) },
    ];
    const calls: { rescore: boolean; slice: TraceGeneration[] }[] = [];
    for (const group of groups)
      for (let i = 0; i < group.generations.length; i += SLICE_GENERATIONS)
        calls.push({ rescore: group.rescore, slice: group.generations.slice(i, i + SLICE_GENERATIONS) });
    const prepared: Prepared = {
      projectId,
      batch,
      evaluatorNames,
      withRows,
      judged,
      rescoreIds,
      outstanding,
      generations,
      calls,
      rows,
    };
    await runEnrichers(prepared, enrichers.slice(0, statelessHead));
    return prepared;
  }

  /** Each enricher in turn over every call's slice, their rows gathered by table. */
  async function runEnrichers(p: Prepared, list: readonly TraceEnricher[]): Promise<void> {
    for (const enricher of list) {
      for (const [k, call] of p.calls.entries()) {
        let got: Awaited<ReturnType<TraceEnricher['enrich']>>;
        try {
          got = await enricher.enrich(call.slice, { rescore: call.rescore, more: k < p.calls.length - 1 });
        } catch (error) {
          throw new EnricherError(enricher.name, error);
        }
        for (const [table, list] of Object.entries(got.rows)) {
          if (!list || list.length === 0) continue;
          const into = p.rows.get(table) ?? [];
          for (const row of list) into.push(row);
          p.rows.set(table, into);
        }
        await yieldToLoop();
      }
    }
  }

  /** The second half of a batch: the stateful enrichers, in order, then the writes. */
  async function finish(p: Prepared): Promise<void> {
    const { projectId, batch, evaluatorNames, withRows, judged, rescoreIds, outstanding, generations, rows } =
      p;
    await runEnrichers(p, enrichers.slice(statelessHead));

    const ledger = qualityLedgerRows(projectId, outstanding, generations);
    // Only traces with something to undo pay for the mutations: rows (a columns-set span always
    // has them, they are inserted first) or judged generations, whose mark must go before the new
    // rows do, so a crash in between leaves them to recovery. The DELETE is for rows only.
    const supersededIds = rescoreIds.filter((id) => withRows.has(id) || judged.has(id));
    if (supersededIds.length > 0) {
      for (const r of rows.get('evaluations') ?? []) {
        const name = String(r.evaluator);
        if (!evaluatorNames.includes(name)) evaluatorNames.push(name);
      }
      const superseded = new Set(supersededIds);
      const spanIds = generations.filter((g) => superseded.has(g.traceId)).map((g) => g.span.spanId);
      const deleteOf = supersededIds.filter((id) => withRows.has(id));
      await supersede(store, projectId, supersededIds, spanIds, evaluatorNames, deleteOf);
    }
    // The ledger goes in after the supersede and before the columns are set: a crash in between
    // leaves the spans unscored (NULL), so recovery re-scores them and reads the ledger back.
    if (ledger.length > 0) await insertRows(QUALITY_EVENTS, ledger);
    for (const [table, list] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)))
      await insertRows(table, list);
    const findings: SpanFindings[] = generations.map((g) => ({
      spanId: g.span.spanId,
      found: g.found,
      appStep: g.pair.appStep ?? '',
    }));
    await updateQualityColumns(
      store,
      projectId,
      batch.map((t) => t.traceId),
      findings,
    );
    counters.tracesScored += batch.length - rescoreIds.length;
    counters.tracesRescored += rescoreIds.length;
    counters.generationsScored += generations.length;
  }

  /** quality_events rows that take the roll-up from what it counts now to this scoring. */
  function qualityLedgerRows(
    projectId: string,
    outstanding: Outstanding,
    generations: TraceGeneration[],
  ): Row[] {
    const rows: Row[] = [];
    for (const g of generations) {
      const was = ledgerOf(outstanding, g);
      const prev = countedIn(was);
      const f = g.found;
      // As in llm_spans: supersede clears groundedness/hallucinated/relevance, while kb_gap and
      // topic_id keep their value when no enricher says otherwise.
      const kbGap = f.kbGap !== undefined ? Number(f.kbGap) : (prev?.kbGap ?? null);
      const kbGapScore = f.kbGapScore !== undefined ? f.kbGapScore : (prev?.kbGapScore ?? null);
      const next: QualityState = {
        traceId: g.traceId,
        spanId: g.span.spanId,
        timestampNs: g.span.startTimeUnixNano,
        serviceName: g.span.serviceName,
        model: g.span.responseModel !== '' ? g.span.responseModel : g.span.requestModel,
        topicId: f.topicId ?? prev?.topicId ?? 0n,
        groundedness: f.groundedness ?? null,
        hallucinated: f.hallucinated === undefined ? null : Number(f.hallucinated),
        answerRelevance: f.answerRelevance ?? null,
        kbGap,
        kbGapScore,
      };
      const scored =
        next.groundedness !== null ||
        next.hallucinated !== null ||
        next.answerRelevance !== null ||
        next.kbGap !== null ||
        next.kbGapScore !== null;
      rows.push(...qualityDelta(projectId, was, scored ? next : undefined));
    }
    return rows;
  }

  /**
   * Processes `batch`, halving it on an error one trace can cause (an
   * enricher's, or rows ClickHouse refuses as data) until that trace is
   * alone, so it fails by itself and the rest are scored now. Returns the
   * traces that failed alone; an error of the store itself (away, timing
   * out) is thrown for the whole batch to wait out. `early`: the batch's
   * `prepare`, begun while the batch before it finished; `onPrepared` is
   * called once the batch's own is done (the next batch's may begin).
   */
  async function processIsolating(
    projectId: string,
    batch: Pending[],
    early?: Promise<Prepared | undefined>,
    onPrepared?: () => void,
  ): Promise<Pending[]> {
    try {
      const prepared = await (early ?? prepare(projectId, batch));
      onPrepared?.();
      if (prepared) await finish(prepared);
      for (const e of enrichers) e.written?.(true);
      return [];
    } catch (err) {
      for (const e of enrichers) e.written?.(false, isRefusedData(err));
      if (!(err instanceof EnricherError || isRefusedData(err))) throw err;
      if (batch.length === 1) {
        report(
          new Error(`trace stage: a trace failed to score, will retry it alone: ${(err as Error).message}`),
        );
        return batch;
      }
      const half = batch.length >> 1;
      return [
        ...(await processIsolating(projectId, batch.slice(0, half))),
        ...(await processIsolating(projectId, batch.slice(half))),
      ];
    }
  }

  /** Failed traces go back as re-scores (whatever half-happened is superseded), until MAX_ATTEMPTS. */
  function retryLater(traces: Pending[]): Pending[] {
    for (const t of traces) {
      t.rescore = true;
      t.attempts = (t.attempts ?? 0) + 1;
      // A re-score reads the trace back whole: what it holds is stored already.
      spill(t);
    }
    const giveUp = traces.filter((t) => (t.attempts ?? 0) >= MAX_ATTEMPTS);
    if (giveUp.length > 0) {
      counters.droppedTraces += giveUp.length;
      report(new Error(`trace stage: ${giveUp.length} traces dropped after ${MAX_ATTEMPTS} failed writes`));
    }
    return traces.filter((t) => (t.attempts ?? 0) < MAX_ATTEMPTS);
  }

  /** Writes what is pending, batch by batch; a failed batch is retried later as a re-score. */
  async function drainPending(): Promise<void> {
    if (options.paused?.() || pending.length === 0 || now() < retryAt) return;
    // Wall time, not the stage's clock: the share of time the stage is at work is its saturation.
    const started = performance.now();
    try {
      await drainBacklog();
    } finally {
      counters.busySeconds += (performance.now() - started) / 1000;
    }
  }

  async function drainBacklog(): Promise<void> {
    const taken = pending;
    pending = [];
    pendingBytes = 0;
    // By trace id, not a scan of the list: a backlog of 50 000 traces after an outage would
    // cost a billion comparisons on the event loop.
    const byProject = new Map<string, Map<string, Pending>>();
    for (const t of taken) {
      // A trace flushed twice in one batch (late spans) is scored once, from storage.
      const traces = byProject.get(t.projectId) ?? new Map<string, Pending>();
      const same = traces.get(t.traceId);
      if (same) {
        same.rescore = true;
        for (const span of t.spans) same.spans.push(span);
        for (const link of t.links) same.links.push(link);
        same.bytes += t.bytes;
      } else traces.set(t.traceId, t);
      byProject.set(t.projectId, traces);
    }
    const batches: [string, Pending[]][] = [];
    for (const [projectId, traces] of byProject) {
      const list = [...traces.values()];
      for (let i = 0; i < list.length; i += maxBatch) batches.push([projectId, list.slice(i, i + maxBatch)]);
    }
    // The next batch's first half (reads, pairing, stateless enrichers: scoring on the workers)
    // runs while this one is with the stateful enrichers on the event loop and being written. Its
    // traces are not this batch's, so neither reads what the other writes.
    let ahead: { batch: Pending[]; prepared: Promise<Prepared | undefined> } | undefined;
    // Before its traces go back to pending, or the stage stops: it reads the store and uses the
    // workers, which close after the stage. Its error, if any, is the next attempt's to meet.
    const settleAhead = async () => {
      const was = ahead;
      ahead = undefined;
      await was?.prepared.catch(() => undefined);
    };
    const unwritten = (from: number) => batches.slice(from).flatMap(([, list]) => list);
    for (let b = 0; b < batches.length; b++) {
      const [projectId, batch] = batches[b] as [string, Pending[]];
      if (stopping) {
        await settleAhead();
        enqueue(unwritten(b), { older: true });
        return;
      }
      // The traces that came ready meanwhile join the backlog now, under its caps: a backlog of
      // 50 000 takes minutes to score, and the assembler's ready list has no cap of its own
      // (left to the next tick, every trace of those minutes waited there with its spans).
      if (b > 0) await admitReady({ reportDrops: false });
      const early = ahead?.batch === batch ? ahead.prepared : undefined;
      ahead = undefined;
      const next = batches[b + 1];
      const beginNext =
        next && statelessHead > 0
          ? () => {
              if (stopping) return;
              const prepared = prepare(next[0], next[1]);
              // Handled now so its rejection is not unhandled while this batch finishes; it is
              // awaited, and thrown, when its own batch's turn comes.
              prepared.catch(() => undefined);
              ahead = { batch: next[1], prepared };
            }
          : undefined;
      try {
        const failedAlone = await processIsolating(projectId, batch, early, beginNext);
        // Done with, or read back whole when retried: the drain's lists hold these traces until
        // it ends, minutes for a large backlog, and with them every span read back for them.
        for (const t of batch) spill(t);
        failures = 0;
        if (failedAlone.length > 0) {
          counters.failedBatches++;
          // Retried on a later drain, one trace's cost: the others and other projects go on now.
          enqueue(retryLater(failedAlone), { older: true });
        }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        counters.failedBatches++;
        failures++;
        retryAt = now() + Math.min(retryMax, retryInitial * 2 ** (failures - 1));
        // No counts in the message: an outage repeats it, and the log reporter drops repeats.
        report(new Error(`trace stage: scoring failed, will retry: ${error.message}`));
        await settleAhead();
        enqueue([...retryLater(batch), ...unwritten(b + 1)], { older: true });
        return;
      }
    }
  }

  /**
   * The stage's inserts, each with a token of its own: ClickHouse drops a block identical to a
   * recent one, and a re-score's rows often are identical to the ones it just deleted.
   */
  function insertRows(table: string, rows: Row[]): Promise<void> {
    return store.insert(table, rows, { deduplicationToken: `trace-stage:${randomUUID()}` });
  }

  /** At a close, the rows enrichers held back between batches (`TraceEnricher.heldBack`). */
  async function writeHeldBack(): Promise<void> {
    for (const e of enrichers) {
      const held = e.heldBack?.();
      if (!held) continue;
      try {
        for (const [table, list] of Object.entries(held))
          if (list && list.length > 0) await insertRows(table, list);
        e.written?.(true);
      } catch (err) {
        e.written?.(false, isRefusedData(err));
        const message = err instanceof Error ? err.message : String(err);
        report(new Error(`trace stage: ${e.name}: rows held back were not written at close: ${message}`));
      }
    }
  }

  /** Queues `task` after the ones before it; a bug in one is reported, never thrown into the timer or the drain. */
  function run(task: () => Promise<void>): Promise<void> {
    queue = queue.then(task).catch((err) => report(err instanceof Error ? err : new Error(String(err))));
    return queue;
  }

  /** Rebuilds a committed round's spans into the assembler, a slice of traces at a time. */
  async function addRows(tables: ReadonlyMap<string, Row[]>, at: number): Promise<void> {
    for (const slice of sliceByTrace(tables, SLICE_TRACES)) {
      const rebuilt = rebuildTraces(slice);
      counters.skippedRows += rebuilt.skipped;
      for (const t of rebuilt.traces.values()) {
        for (const link of t.links) assembler.addLink(t.projectId, t.traceId, link, at);
        for (const span of t.spans) assembler.add(t.projectId, span, at);
      }
      await yieldToLoop();
    }
  }

  /** The traces the assembler has ready, once the rounds being rebuilt are in, into the backlog. */
  async function admitReady({ reportDrops = true } = {}): Promise<void> {
    await adding;
    enqueue(assembler.poll().map(fromAssembled), { reportDrops });
  }

  /**
   * A poll and a drain after whatever is running. One waits at most: a drain of a
   * large backlog outlasts many poll intervals, and a tick queued for each ran back
   * to back after it, each regrouping the backlog on the event loop (60 of them took
   * 3 s without a turn of the loop at a close after the load bench). A caller that
   * finds one waiting shares it: it starts after the call, as a tick of its own would.
   */
  let waitingTick: Promise<void> | undefined;
  function tick(): Promise<void> {
    waitingTick ??= run(async () => {
      waitingTick = undefined;
      await admitReady();
      await drainPending();
      await catchUp();
    });
    return waitingTick;
  }

  /**
   * Traces dropped from a full backlog (a burst above what the stage scores) are
   * stored, unscored: once the backlog is clear, they are read back as the
   * recovery on start reads them (generations of the recovery window not judged),
   * and scored. A pass takes what the recovery takes at most, and no more than the
   * backlog holds; the next pass, once those are written, finds the rest. Traces
   * still being assembled are left to their own flush.
   */
  async function catchUp(): Promise<void> {
    if (!catchUpDue || pending.length > 0 || closed || options.paused?.()) return;
    const limit = Math.min(recoverMaxTraces, maxPending);
    let traces: { projectId: string; traceId: string }[];
    try {
      traces = await unscoredTraces(store, recoverWindowMs, limit);
    } catch (err) {
      // Tried again at the next tick.
      const message = err instanceof Error ? err.message : String(err);
      report(new Error(`trace stage: reading the traces it dropped unscored failed: ${message}`));
      return;
    }
    if (traces.length < limit) catchUpDue = false;
    const missed = traces.filter((t) => !assembler.isOpen(t.projectId, t.traceId));
    if (missed.length === 0) return;
    counters.recovered += missed.length;
    report(
      new Error(
        `trace stage: scoring ${missed.length} traces it dropped unscored, now that its backlog is clear`,
      ),
    );
    enqueue(missed.map(unjudged));
  }

  const timer = setInterval(() => {
    if (!closed) void tick();
  }, options.pollMs ?? 1_000);
  timer.unref();

  return {
    add(tables) {
      if (closed) return;
      // Rebuilt after the drain's call returns, arrival time as of now: a large round costs the
      // event loop a slice at a time, and the drain never waits for it.
      const at = now();
      adding = adding
        .then(() => addRows(tables, at))
        .catch((err) => {
          // A bug here must not stop the drain: the rows are stored; recovery scores them on the next start.
          report(err instanceof Error ? err : new Error(String(err)));
        });
    },
    recover() {
      let found = 0;
      return run(async () => {
        let traces: { projectId: string; traceId: string }[];
        try {
          traces = await unscoredTraces(store, recoverWindowMs, recoverMaxTraces);
        } catch (err) {
          // ClickHouse is down at start: what it holds unscored waits for the next start.
          const message = err instanceof Error ? err.message : String(err);
          report(new Error(`trace stage: recovery skipped, reading unscored traces failed: ${message}`));
          return;
        }
        found = traces.length;
        counters.recovered += found;
        enqueue(traces.map(unjudged));
        await drainPending();
      }).then(() => found);
    },
    flush() {
      retryAt = 0;
      return tick();
    },
    metrics() {
      return { ...assembler.metrics(), ...counters, pendingTraces: pending.length, pendingBytes };
    },
    async close(timeoutMs = 10_000) {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      const last = run(async () => {
        await adding;
        enqueue(assembler.flushAll().map(fromAssembled));
        retryAt = 0;
        await drainPending();
        // Out of time, the store may be what is slow: what was held back waits for the next start.
        if (!stopping && !options.paused?.()) await writeHeldBack();
      });
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        last,
        new Promise<void>((resolve) => {
          timeout = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timeout);
      // Out of time: let the batch in flight finish (the store and workers close after this
      // returns) and leave the rest to the recovery on start.
      stopping = true;
      await last;
      if (pending.length > 0)
        report(
          new Error(`trace stage: ${pending.length} traces left unscored at shutdown (recovered on start)`),
        );
    },
  };
}

/** /metrics: the assembler's bounds and the stage's work, read at scrape time. */
export function registerTraceStageMetrics(registry: Registry, stage: TraceStage): void {
  const gauge = (name: string, help: string, read: (m: TraceStageCounters) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stage.metrics()));
      },
    });
  gauge('oversight_trace_open', 'Traces being assembled', (m) => m.openTraces);
  gauge('oversight_trace_open_bytes', 'Estimated bytes of the spans of open traces', (m) => m.openBytes);
  gauge('oversight_trace_pending', 'Ready traces waiting to be scored and written', (m) => m.pendingTraces);
  gauge(
    'oversight_trace_pending_bytes',
    'Estimated bytes of the spans held by traces waiting to be written',
    (m) => m.pendingBytes,
  );
  // Counters mirror cumulative totals: each scrape adds what changed since the last.
  const seen = new Map<string, number>();
  /** What the cumulative total `key` grew by since the last scrape. */
  const grown = (key: string, value: number) => {
    const delta = value - (seen.get(key) ?? 0);
    seen.set(key, value);
    return delta;
  };
  const counter = (name: string, help: string, read: (m: TraceStageCounters) => Record<string, number>) => {
    const labelNames = ['kind'];
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const [kind, value] of Object.entries(read(stage.metrics()))) {
          const delta = grown(`${name}/${kind}`, value);
          if (delta > 0) this.inc({ kind }, delta);
        }
      },
    });
  };
  counter('oversight_trace_flushed_total', 'Traces handed to scoring, by why they were ready', (m) => ({
    ...m.tracesFlushed,
  }));
  counter('oversight_trace_spans_total', 'Spans through the trace stage', (m) => ({
    in: m.spansIn,
    late: m.lateSpans,
    duplicate: m.duplicateSpans,
  }));
  // Unlabelled: its rate is the share of time the stage works, the saturation an alert watches.
  new Counter({
    name: 'oversight_trace_busy_seconds_total',
    help: 'Seconds the trace stage spent scoring and writing (rate near 1: saturated, falling behind)',
    registers: [registry],
    collect() {
      const delta = grown('oversight_trace_busy_seconds_total', stage.metrics().busySeconds);
      if (delta > 0) this.inc(delta);
    },
  });
  counter('oversight_trace_scored_total', 'Trace stage work', (m) => ({
    traces: m.tracesScored,
    rescored: m.tracesRescored,
    generations: m.generationsScored,
    recovered: m.recovered,
    failed_batches: m.failedBatches,
    dropped: m.droppedTraces,
  }));
}
