/**
 * The protocol every topics and embedder experiment follows, so a shipped
 * constant is never picked on the rows it is judged on: constants are chosen
 * on the even-numbered intents (sorted by name) and reported on the odd ones.
 */
import { gapIntentsFor, splitKnowledgeBase, TOP_K_DOCS } from '../../collector/src/eval/kb-gaps.ts';
import { auroc } from '../../collector/src/eval/metrics.ts';
import type { IntentRow } from '../../collector/src/eval/topics.ts';

/** The rows of the even-numbered intents (to tune on) and of the odd ones (held out). */
export function intentHalves<R extends IntentRow>(rows: readonly R[]): { tune: R[]; held: R[] } {
  const intents = [...new Set(rows.map((r) => r.intent))].sort();
  const tuneSet = new Set(intents.filter((_, i) => i % 2 === 0));
  return {
    tune: rows.filter((r) => tuneSet.has(r.intent)),
    held: rows.filter((r) => !tuneSet.has(r.intent)),
  };
}

/** What the retrieval AUROC needs of an embedder: learn from the documents, embed without learning. */
export interface RetrievalEmbedder {
  observe(text: string): void;
  embedOne(text: string, learn: boolean): Float32Array;
}

/**
 * The retrieval half of the kb-gaps protocol (../shared/eval/README.md): the
 * AUROC of 1 − mean similarity of a question's top documents, gap intents
 * positive, with `e` learning only from the documents.
 */
export function retrievalGapAuroc(file: string, rows: readonly IntentRow[], e: RetrievalEmbedder): number {
  const gapIntents = gapIntentsFor(file, rows);
  const { docs, stream } = splitKnowledgeBase(rows, gapIntents);
  for (const d of docs) e.observe(d);
  const dv = docs.map((d) => e.embedOne(d, false));
  const scores = stream.map((r) => {
    const q = e.embedOne(r.text, false);
    const sims = dv.map((d) => d.reduce((a, x, i) => a + x * (q[i] as number), 0)).sort((a, b) => b - a);
    return 1 - sims.slice(0, TOP_K_DOCS).reduce((a, b) => a + b, 0) / TOP_K_DOCS;
  });
  return auroc(
    scores,
    stream.map((r) => gapIntents.has(r.intent)),
  );
}
