/**
 * What each project's built-in topics embedder learnt from its questions (the
 * IDF table of its hashed features, the running mean its student part is
 * centred on, whether the student reads the project's language), kept in
 * `embedder_state` (migration 022) so a restarted collector embeds a
 * question as the running one did. Rebuilt from one question per topic
 * instead, the table weighted words differently after a restart, and every
 * question's nearness to its peers, which its gap score is read against,
 * moved with it (the enricher's restart test: 0.579 against 0.553 live).
 */
import type { HashedEmbedder } from '@oversight/scorers/embed';
import { z } from 'zod';
import { clickHouseTime } from '../../store/json-each-row.ts';
import type { Row, Store } from '../../store/store.ts';
import { EMBEDDER_STATE } from '../../store/tables.ts';
import type { TopicClusterer } from './clusterer.ts';
import { keyedRows, parseStateRow, STATE_EVERY_MS, StateRewrites, storedCount } from './state-rewrites.ts';

type Holder = Pick<TopicClusterer, 'builtinEmbedders'>;

/** `embedder_state` rows for the embedders that learnt since they were last written, at most once every `everyMs`. */
export class EmbedderStateWriter {
  private readonly rewrites: StateRewrites<HashedEmbedder>;
  private readonly clusterer: Holder;

  constructor(clusterer: Holder, everyMs = STATE_EVERY_MS) {
    this.clusterer = clusterer;
    this.rewrites = new StateRewrites(everyMs);
  }

  /** Marks what a restore loaded as written: it is in the table already. */
  loaded(embedder: HashedEmbedder): void {
    this.rewrites.loaded(embedder, embedder.documents);
  }

  /** What changed since it was written, once a round is due (`atStop`: at once, for a clean stop). */
  rows(at: Date, atStop = false): Row[] {
    if (!this.rewrites.due(at, atStop)) return [];
    const updated = clickHouseTime(at);
    const rows: Row[] = [];
    for (const [projectId, e] of this.clusterer.builtinEmbedders()) {
      if (!this.rewrites.take(e, e.documents)) continue;
      const s = e.state();
      rows.push({
        project_id: projectId,
        embedder: e.id,
        documents: s.documents,
        df_slots: s.slots,
        df_counts: s.counts,
        mean: s.mean,
        mean_seen: s.meanSeen,
        coverage: s.coverage,
        coverage_seen: s.coverageSeen,
        student_reads: s.studentReads,
        updated_at: updated,
      });
    }
    return rows;
  }
}

const embedderStateRow = z
  .object({
    project_id: z.string().min(1),
    embedder: z.string().min(1),
    documents: storedCount,
    df_slots: z.array(z.number()),
    df_counts: z.array(z.number()),
    mean: z.array(z.number()),
    mean_seen: storedCount,
    coverage: z.number(),
    coverage_seen: storedCount,
    student_reads: z.union([z.boolean(), z.number()]).transform(Boolean),
  })
  .transform((r) => ({
    projectId: r.project_id,
    embedder: r.embedder,
    state: {
      documents: r.documents,
      slots: r.df_slots,
      counts: r.df_counts,
      mean: r.mean,
      meanSeen: r.mean_seen,
      coverage: r.coverage,
      coverageSeen: r.coverage_seen,
      studentReads: r.student_reads,
    },
  }));

/**
 * Rows per page: a busy project's table fills most of its 65,536 slots, so a
 * row can be half a MiB of JSON, and a page must not hold every project's.
 */
const PAGE = 64;

/**
 * Gives each project's built-in embedder its stored state, before the topics
 * are restored (`TopicClusterer.loadBuiltin`). A row that cannot be read is
 * reported and skipped, and its project relearns from its topics' questions;
 * a row for another embedder (another student's weights) is left alone.
 */
export async function restoreEmbedderState(
  store: Pick<Store, 'query' | 'database'>,
  clusterer: Pick<TopicClusterer, 'loadBuiltin'>,
  writer?: EmbedderStateWriter,
): Promise<{ restored: number; other: number; errors: string[] }> {
  const errors: string[] = [];
  let restored = 0;
  let other = 0;
  const columns = [
    'documents',
    'df_slots',
    'df_counts',
    'mean',
    'mean_seen',
    'coverage',
    'coverage_seen',
    'student_reads',
  ];
  for await (const { row, at } of keyedRows(
    store,
    EMBEDDER_STATE,
    ['project_id', 'embedder'],
    columns,
    PAGE,
  )) {
    const parsed = parseStateRow(embedderStateRow, row, EMBEDDER_STATE, at);
    if ('error' in parsed) {
      errors.push(parsed.error);
      continue;
    }
    const { projectId, embedder, state } = parsed.data;
    let loaded: HashedEmbedder | undefined;
    try {
      loaded = clusterer.loadBuiltin(projectId, embedder, state);
    } catch (err) {
      errors.push(`embedder_state row ${at} (project ${projectId}): ${(err as Error).message}`);
      continue;
    }
    if (!loaded) {
      other++;
      continue;
    }
    writer?.loaded(loaded);
    restored++;
  }
  return { restored, other, errors };
}
