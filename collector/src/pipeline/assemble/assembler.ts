/**
 * Trace assembly: canonical spans grouped by (project, trace id) in a bounded
 * window, handed out when the trace is complete enough to score. Pure and
 * clock-injected: the drain feeds it spans and polls it; nothing here does I/O.
 *
 * A trace is ready when its root span has arrived (ended) and `graceMs` has
 * passed since, so children exported after their parent still make it; or when
 * nothing arrived for `idleMs` (the root may be a non-LLM span the collector
 * never sees as an LlmSpan, and some exporters never send it); or when it has
 * been open `maxAgeMs`, spans still coming (a chat session or a long agent
 * run traced as one trace, its root ending with it), twice that after each
 * such flush, as every one re-scores the whole trace. Open traces and
 * their bytes are capped; over a cap the oldest trace is flushed early. A span
 * for a trace already flushed opens it again marked `late`, so the consumer can
 * load the rest of the trace from storage and re-score, superseding the old
 * scores. Flushed trace keys are remembered in a bounded set for that.
 */
import type { LlmSpan } from '../../normalize/index.ts';
import type { SpanLink } from './pairing.ts';

export type FlushReason = 'root_ended' | 'idle' | 'max_age' | 'evicted_traces' | 'evicted_bytes' | 'shutdown';

export interface AssembledTrace {
  projectId: string;
  traceId: string;
  spans: LlmSpan[];
  /** Non-LLM spans seen for the trace (parent-chain links only). */
  links: SpanLink[];
  reason: FlushReason;
  /** Some spans of this trace were flushed before: re-score the whole trace from storage. */
  late: boolean;
  /** When its first span (in this process) arrived. */
  firstArrival: number;
}

export interface AssemblerOptions {
  /** Milliseconds after the root span arrives before the trace is ready (default 2 000). */
  graceMs?: number;
  /** Milliseconds without a new span after which a trace is ready anyway (default 30 000). */
  idleMs?: number;
  /**
   * Milliseconds a trace stays open at most, spans still coming (default ten
   * idle timeouts, 5 minutes at least): its answers are scored then, and
   * later spans re-score it from storage, twice as long open each time.
   */
  maxAgeMs?: number;
  /** Open traces at most (default 10 000). */
  maxOpenTraces?: number;
  /** Estimated bytes of open spans at most (default 64 MiB). */
  maxOpenBytes?: number;
  /** Flushed trace keys remembered for late-span detection (default 100 000). */
  rememberFlushed?: number;
  /** Milliseconds; injected so tests and replays control time. */
  now: () => number;
}

export interface AssemblerCounters {
  openTraces: number;
  openBytes: number;
  spansIn: number;
  tracesFlushed: Record<FlushReason, number>;
  /** Spans that arrived for a trace already flushed. */
  lateSpans: number;
  /** A span id seen twice in one open trace (a retry or a WAL replay): the later copy wins. */
  duplicateSpans: number;
}

interface OpenTrace {
  projectId: string;
  traceId: string;
  spans: Map<string, LlmSpan>;
  links: Map<string, SpanLink>;
  bytes: number;
  firstArrival: number;
  lastArrival: number;
  rootArrival: number | undefined;
  late: boolean;
  /** Times this trace was flushed for its age before: each one doubles how long it stays open. */
  ageFlushes: number;
}

/** Rough in-memory size of a span: its texts dominate. */
export function estimateSpanBytes(span: LlmSpan): number {
  let chars = span.systemInstructions.length + span.toolArguments.length + span.toolResult.length;
  chars += span.retrievalQuery.length;
  for (const m of span.inputMessages) chars += m.content.length;
  for (const m of span.outputMessages) chars += m.content.length;
  for (const d of span.documents) chars += d.content.length;
  for (const d of span.inputDocuments) chars += d.content.length;
  return 512 + 2 * chars;
}

const key = (projectId: string, traceId: string) => `${projectId}\u0000${traceId}`;

export class TraceAssembler {
  private readonly open = new Map<string, OpenTrace>();
  /** Traces flushed lately, with how many times for their age. */
  private readonly flushedKeys = new Map<string, number>();
  private readonly ready: AssembledTrace[] = [];
  private readonly graceMs: number;
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxOpenTraces: number;
  private readonly maxOpenBytes: number;
  private readonly rememberFlushed: number;
  private readonly now: () => number;
  private openBytes = 0;
  private readonly counters: Omit<AssemblerCounters, 'openTraces' | 'openBytes'> = {
    spansIn: 0,
    tracesFlushed: { root_ended: 0, idle: 0, max_age: 0, evicted_traces: 0, evicted_bytes: 0, shutdown: 0 },
    lateSpans: 0,
    duplicateSpans: 0,
  };

  constructor(options: AssemblerOptions) {
    this.graceMs = options.graceMs ?? 2_000;
    this.idleMs = options.idleMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? Math.max(10 * this.idleMs, 300_000);
    this.maxOpenTraces = options.maxOpenTraces ?? 10_000;
    this.maxOpenBytes = options.maxOpenBytes ?? 64 * 2 ** 20;
    this.rememberFlushed = options.rememberFlushed ?? 100_000;
    this.now = options.now;
    if (!(this.maxOpenTraces >= 1) || !(this.maxOpenBytes >= 1))
      throw new Error('TraceAssembler: maxOpenTraces and maxOpenBytes must be ≥ 1');
  }

  /**
   * Adds a canonical span of project `projectId`. `at` is when it arrived
   * (default now): a caller that hands spans over later passes the time it got them.
   */
  add(projectId: string, span: LlmSpan, at = this.now()): void {
    const t = this.traceFor(projectId, span.traceId, at);
    this.counters.spansIn++;
    if (t.late) this.counters.lateSpans++;
    const previous = t.spans.get(span.spanId);
    if (previous) {
      this.counters.duplicateSpans++;
      this.resize(t, -estimateSpanBytes(previous));
    }
    t.spans.set(span.spanId, span);
    this.resize(t, estimateSpanBytes(span));
    this.touch(t, span.parentSpanId === '', at);
    this.enforceCaps(t);
  }

  /** Adds a non-LLM span's place in the tree, so parent chains through it are followed. */
  addLink(projectId: string, traceId: string, link: SpanLink, at = this.now()): void {
    const t = this.traceFor(projectId, traceId, at);
    if (!t.links.has(link.spanId)) this.resize(t, 128);
    t.links.set(link.spanId, link);
    this.touch(t, link.parentSpanId === '', at);
    this.enforceCaps(t);
  }

  /** Traces ready now (and any flushed early by the caps), oldest first. */
  poll(): AssembledTrace[] {
    const now = this.now();
    for (const t of [...this.open.values()]) {
      if (t.rootArrival !== undefined && now - t.rootArrival >= this.graceMs) this.flush(t, 'root_ended');
      else if (now - t.lastArrival >= this.idleMs) this.flush(t, 'idle');
      // Each flush for its age re-scores the trace whole from storage: a session that goes on
      // for hours is re-scored a few times, not once per maximum age.
      else if (now - t.firstArrival >= this.maxAgeMs * 2 ** Math.min(t.ageFlushes, 16))
        this.flush(t, 'max_age');
    }
    return this.ready.splice(0);
  }

  /** Every open trace, as at shutdown. */
  flushAll(): AssembledTrace[] {
    for (const t of [...this.open.values()]) this.flush(t, 'shutdown');
    return this.ready.splice(0);
  }

  /** Whether the trace is being assembled (its spans still arriving, or within its grace period). */
  isOpen(projectId: string, traceId: string): boolean {
    return this.open.has(key(projectId, traceId));
  }

  /** For /metrics. */
  metrics(): AssemblerCounters {
    return {
      openTraces: this.open.size,
      openBytes: this.openBytes,
      spansIn: this.counters.spansIn,
      tracesFlushed: { ...this.counters.tracesFlushed },
      lateSpans: this.counters.lateSpans,
      duplicateSpans: this.counters.duplicateSpans,
    };
  }

  private traceFor(projectId: string, traceId: string, now: number): OpenTrace {
    const k = key(projectId, traceId);
    let t = this.open.get(k);
    if (t === undefined) {
      t = {
        projectId,
        traceId,
        spans: new Map(),
        links: new Map(),
        bytes: 0,
        firstArrival: now,
        lastArrival: now,
        rootArrival: undefined,
        late: this.flushedKeys.has(k),
        ageFlushes: this.flushedKeys.get(k) ?? 0,
      };
      // Map order is insertion order: the first entry is always the oldest open trace.
      this.open.set(k, t);
    }
    return t;
  }

  private touch(t: OpenTrace, isRoot: boolean, now: number): void {
    t.lastArrival = Math.max(t.lastArrival, now);
    if (isRoot && t.rootArrival === undefined) t.rootArrival = now;
  }

  private resize(t: OpenTrace, delta: number): void {
    t.bytes += delta;
    this.openBytes += delta;
  }

  private enforceCaps(current: OpenTrace): void {
    while (this.open.size > this.maxOpenTraces) this.flushOldest('evicted_traces', current);
    while (this.openBytes > this.maxOpenBytes && this.open.size > 0) {
      if (!this.flushOldest('evicted_bytes', current)) break;
    }
  }

  /** Flushes the oldest trace; the one just added to goes last, so a single huge trace still flushes. */
  private flushOldest(reason: FlushReason, current: OpenTrace): boolean {
    for (const t of this.open.values()) {
      if (t !== current || this.open.size === 1) {
        this.flush(t, reason);
        return true;
      }
    }
    return false;
  }

  private flush(t: OpenTrace, reason: FlushReason): void {
    const k = key(t.projectId, t.traceId);
    this.open.delete(k);
    this.openBytes -= t.bytes;
    this.counters.tracesFlushed[reason]++;
    this.flushedKeys.delete(k);
    this.flushedKeys.set(k, t.ageFlushes + (reason === 'max_age' ? 1 : 0));
    while (this.flushedKeys.size > this.rememberFlushed) {
      const oldest = this.flushedKeys.keys().next().value;
      if (oldest === undefined) break;
      this.flushedKeys.delete(oldest);
    }
    const spans = [...t.spans.values()].sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
    const links = [...t.links.values()];
    this.ready.push({
      projectId: t.projectId,
      traceId: t.traceId,
      spans,
      links,
      reason,
      late: t.late,
      firstArrival: t.firstArrival,
    });
  }
}
