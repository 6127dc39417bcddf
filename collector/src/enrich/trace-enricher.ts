/**
 * Per-trace enrichment: what runs once a trace is assembled (pipeline/assemble)
 * rather than span by span. Groundedness and relevance are one enricher, topics
 * and knowledge-base gaps another; the trace stage runs them in order, each
 * seeing what the earlier ones found, and writes what they return.
 */

import type { LlmSpan } from '../normalize/index.ts';
import type { GenerationPair } from '../pipeline/assemble/pairing.ts';
import type { Row } from '../store/store.ts';

/** A generation of an assembled trace, with what earlier enrichers found about it. */
export interface TraceGeneration {
  projectId: string;
  traceId: string;
  /** The generation span and its pairing (question, answer, context). */
  span: LlmSpan;
  pair: GenerationPair;
  /** The retrieval spans its context came from (their documents carry the retrieval scores). */
  retrievals: LlmSpan[];
  /** Filled by the enrichers that ran before this one. */
  found: GenerationFindings;
  /**
   * A re-scored generation's topic and gap verdict as the stored roll-up
   * counts them from its earlier scoring (the quality ledger): an enricher
   * whose own memory of it is gone (a restart, a late span long after) can
   * tell it from a new one.
   */
  counted?: { topicId: bigint; kbGap: boolean | null };
}

/** The llm_spans quality columns of a generation (schema 008), as enrichers fill them in. */
export interface GenerationFindings {
  groundedness?: number;
  hallucinated?: boolean;
  answerRelevance?: number;
  contextRelevance?: number;
  /** The answer is a refusal or "I don't know": not a hallucination, a knowledge-base gap signal. */
  refusal?: boolean;
  /**
   * The answer says "I don't know" of part of the question and answers the
   * rest: its claims are checked as any answer's, and for the knowledge
   * base it is the refusal signal all the same (the part it lacked).
   */
  hedged?: boolean;
  topicId?: bigint;
  kbGap?: boolean;
  /** Graded gap score in [0, 1] (schema 015): the question's own evidence blended with its topic's. */
  kbGapScore?: number;
  gapSignals?: string[];
}

export interface TraceEnrichment {
  /** Rows to insert, by table (evaluations, topics, …). */
  rows: Partial<Record<string, Row[]>>;
}

export interface TraceEnricher {
  readonly name: string;
  /**
   * True when the enricher keeps nothing between calls (and has no
   * `written`): the same generations give the same findings and rows
   * whenever it is called. The stage may then call it for a batch while the
   * batch before is still with later enrichers or being written, its
   * scoring beside their work. Only enrichers at the head of the list gain.
   */
  readonly stateless?: boolean;
  /**
   * Enrich the generations of one or more ready traces. Mutates each
   * generation's `found` with its findings; returns rows to insert.
   * `rescore` is true when a trace was scored before (a late span arrived, or a
   * crash replay): rows it returns supersede the earlier ones. `more` is true
   * when further calls for the same flush follow (the stage slices a batch to
   * hand the event loop back): state snapshots can wait for the last call.
   */
  enrich(generations: TraceGeneration[], context: EnrichContext): Promise<TraceEnrichment>;
  /**
   * Told, after each batch, whether the rows its calls returned were written.
   * An enricher whose rows are state it will not produce again (topics: a
   * row per changed topic, written once) keeps them for its next rows when
   * they were not: the batch's traces come back as re-scores, which change
   * nothing the enricher remembers. `refused`: ClickHouse refused the batch's
   * rows as data (not away), so the kept rows may be at fault.
   */
  written?(ok: boolean, refused?: boolean): void;
  /**
   * Rows the enricher holds back between calls (topics rewrite a changed topic at most every
   * `topicRowsEveryMs`): the stage writes them when it closes, and says how through `written`.
   */
  heldBack?(): Partial<Record<string, Row[]>>;
}

export interface EnrichContext {
  rescore: boolean;
  more?: boolean;
}
