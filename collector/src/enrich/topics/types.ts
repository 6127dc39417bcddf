/** A `topics` table row as the clusterer writes and reads it (schema 005 + 008). */
import { z } from 'zod';

const dateLike = z.union([z.string(), z.number(), z.date()]).transform((v, ctx) => {
  // ClickHouse returns DateTime64 as 'YYYY-MM-DD hh:mm:ss.sss' (UTC) in JSON formats.
  const d =
    v instanceof Date
      ? v
      : new Date(typeof v === 'string' && !v.includes('T') ? `${v.replace(' ', 'T')}Z` : v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: `not a date: ${String(v)}` });
    return z.NEVER;
  }
  return d;
});

const uint = z.union([z.number(), z.string(), z.bigint()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: `not a count: ${String(v)}` });
    return z.NEVER;
  }
  return n;
});

/**
 * Finite numbers, checked in one loop over the array as it came: zod's
 * per-element array parse copied every centroid and took about a third of a
 * 10k-topic restore, with its garbage. A bad value is named by its index.
 */
const vector = z
  .custom<number[]>((v) => Array.isArray(v), { message: 'expected an array of numbers' })
  .superRefine((v, ctx) => {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        ctx.addIssue({ code: 'custom', path: [i], message: `expected a finite number, got ${String(x)}` });
        return;
      }
    }
  });

/**
 * A topic's label counts as ClickHouse gives a Map(String, UInt32) in JSON (an
 * object), read into a Map in one loop, as the centroid is: a topic has up to
 * 64 of them. A bad count is named by its term.
 */
const termCounts = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    message: 'expected an object of term counts',
  })
  .transform((v, ctx) => {
    const counts = new Map<string, number>();
    for (const [term, c] of Object.entries(v)) {
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) {
        ctx.addIssue({ code: 'custom', path: [term], message: `expected a count, got ${String(c)}` });
        return z.NEVER;
      }
      counts.set(term, c);
    }
    return counts;
  });

export const topicRowSchema = z
  .object({
    project_id: z.string().min(1),
    topic_id: z
      .union([z.string().regex(/^[1-9][0-9]*$/), z.bigint(), z.number().int().positive()])
      .transform(String),
    label: z.string(),
    top_terms: z.array(z.string()),
    size: uint,
    first_seen: dateLike,
    last_seen: dateLike,
    representative: z.string(),
    embedder: z.string().min(1),
    centroid: vector,
    gap_count: uint.default(0),
    /** Questions given a gap score, and their sum (schema 021); 0 before it. */
    graded: uint.default(0),
    gap_score_sum: z.number().finite().nonnegative().default(0),
    /** How many of the topic's questions said each label term (schema 019); empty before it. */
    term_counts: termCounts.default(() => new Map<string, number>()),
    /** On a merge's tombstone, the live topic that holds its questions now; '0' otherwise (schema 014). */
    merged_into: z
      .union([z.string().regex(/^[0-9]+$/), z.bigint(), z.number().int().nonnegative()])
      .transform(String)
      .default('0'),
  })
  // A tombstone (size 0) needs no centre: nothing is rebuilt from it.
  .refine((r) => r.size === 0 || r.centroid.length > 0, {
    path: ['centroid'],
    message: 'a live topic needs a centroid',
  });

/** What `restore()` accepts (dates as strings, ids as strings or numbers). */
export type TopicRowInput = z.input<typeof topicRowSchema>;
export type ParsedTopicRow = z.output<typeof topicRowSchema>;

/** What `snapshot()` emits: ready for JSONEachRow into `topics`. */
export interface TopicRow {
  project_id: string;
  /** UInt64 as a decimal string (JSON numbers lose precision above 2^53). */
  topic_id: string;
  label: string;
  top_terms: string[];
  size: number;
  /** ClickHouse DateTime64(3) text, UTC. */
  first_seen: string;
  last_seen: string;
  representative: string;
  embedder: string;
  /** Mean of the member embeddings (not normalised), so size × centroid restores the running sum. */
  centroid: number[];
  /** The gap tracker's counts of the topic (`TopicGapColumns`). */
  gap_count: number;
  graded: number;
  gap_score_sum: number;
  /** Questions of the topic that said each label term (word or adjacent pair): what its label is read from. */
  term_counts: Record<string, number>;
  /** UInt64 text: on a merge's tombstone, the live topic that holds its questions now; '0' otherwise. */
  merged_into: string;
}

/**
 * A topic's gap counts as its row carries them: the knowledge-base gaps
 * among its questions, the questions given a gap score, and the sum of those
 * scores (its mean score, which each new question's score blends in). The
 * gap tracker owns them; the row keeps them across a restart.
 */
export type TopicGapColumns = Pick<TopicRow, 'gap_count' | 'graded' | 'gap_score_sum'>;

export const NO_GAPS: Readonly<TopicGapColumns> = Object.freeze({
  gap_count: 0,
  graded: 0,
  gap_score_sum: 0,
});

/** A restored topic's gap columns (`TopicClusterer.restore`): what the gap tracker is seeded with. */
export interface RestoredGaps {
  projectId: string;
  topicId: string;
  columns: TopicGapColumns;
}
