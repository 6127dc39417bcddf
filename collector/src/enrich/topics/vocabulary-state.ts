/**
 * Each topic space's label vocabulary (labels.ts `ProjectTerms`), kept in
 * `topic_vocabulary` (migration 023) so a restarted collector reads every
 * topic's label as the running one did. Summed from the topics' own term
 * tables instead, it lacked what big topics had trimmed from theirs and
 * every evicted topic's questions: 17 of banking77's 127 topics' top terms
 * read otherwise right after a restart, none with it kept (docs/topics.md,
 * "Labels").
 */
import { z } from 'zod';
import { clickHouseTime } from '../../store/json-each-row.ts';
import type { Row, Store } from '../../store/store.ts';
import { TOPIC_VOCABULARY } from '../../store/tables.ts';
import type { TopicClusterer } from './clusterer.ts';
import type { ProjectTerms } from './labels.ts';
import { keyedRows, parseStateRow, STATE_EVERY_MS, StateRewrites, storedCount } from './state-rewrites.ts';

/** `topic_vocabulary` rows for the spaces that took questions since they were last written, at most once every `everyMs`. */
export class VocabularyStateWriter {
  private readonly rewrites: StateRewrites<ProjectTerms>;
  private readonly clusterer: Pick<TopicClusterer, 'vocabularies'>;

  constructor(clusterer: Pick<TopicClusterer, 'vocabularies'>, everyMs = STATE_EVERY_MS) {
    this.clusterer = clusterer;
    this.rewrites = new StateRewrites(everyMs);
  }

  /** What changed since it was written, once a round is due (`atStop`: at once, for a clean stop). */
  rows(at: Date, atStop = false): Row[] {
    if (!this.rewrites.due(at, atStop)) return [];
    const updated = clickHouseTime(at);
    const rows: Row[] = [];
    for (const { projectId, embedderId, vocabulary } of this.clusterer.vocabularies()) {
      // A stored vocabulary counts as written: a restore loads it with the count it was written at.
      if (!this.rewrites.take(vocabulary, vocabulary.questions)) continue;
      const { questions, termCounts } = vocabulary.state();
      rows.push({
        project_id: projectId,
        embedder: embedderId,
        questions,
        term_counts: termCounts,
        updated_at: updated,
      });
    }
    return rows;
  }

  /** Marks what a restore loaded as written: it is in the table already. */
  loaded(vocabulary: ProjectTerms): void {
    this.rewrites.loaded(vocabulary, vocabulary.questions);
  }
}

const vocabularyRow = z.object({
  project_id: z.string().min(1),
  embedder: z.string().min(1),
  questions: storedCount,
  term_counts: z.record(z.string(), z.number().int().nonnegative()),
});

/** Rows per page: a space near its caps (50,000 words, 16,384 pairs) writes up to about a MiB of terms. */
const PAGE = 64;

/**
 * Gives each space its stored vocabulary, before the topics are restored
 * (`TopicClusterer.loadVocabulary`). A row that cannot be read is reported
 * and skipped; its space sums its topics' term tables as before.
 */
export async function restoreVocabularies(
  store: Pick<Store, 'query' | 'database'>,
  clusterer: Pick<TopicClusterer, 'loadVocabulary'>,
  writer?: VocabularyStateWriter,
): Promise<{ restored: number; errors: string[] }> {
  const errors: string[] = [];
  let restored = 0;
  for await (const { row, at } of keyedRows(
    store,
    TOPIC_VOCABULARY,
    ['project_id', 'embedder'],
    ['questions', 'term_counts'],
    PAGE,
  )) {
    const parsed = parseStateRow(vocabularyRow, row, TOPIC_VOCABULARY, at);
    if ('error' in parsed) {
      errors.push(parsed.error);
      continue;
    }
    const r = parsed.data;
    const vocabulary = clusterer.loadVocabulary(r.project_id, r.embedder, {
      questions: r.questions,
      termCounts: r.term_counts,
    });
    writer?.loaded(vocabulary);
    restored++;
  }
  return { restored, errors };
}
