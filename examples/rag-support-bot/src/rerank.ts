import type { ScoredDocument } from './knowledge-base.ts';

/**
 * A small lexical reranker: the share of the question's content words that a
 * document contains. The mock's bag-of-words embeddings already favour shared
 * words; this second pass ignores the words every article shares (the product
 * name, stop words), so "nothing relevant" shows as a low top score.
 */
const STOP_WORDS = new Set(
  (
    'a an and are as at be by can do does for from get has have how i if in is it its me my of on or ' +
    'so that the their there this to was what when where which who why will with you your lumen notes ' +
    'note app please tell about any much many hi am'
  ).split(' '),
);

export function contentWords(text: string): Set<string> {
  // Redaction placeholders (<PERSON>, <EMAIL_ADDRESS>) are not words the user asked about.
  const words =
    text
      .replace(/<[A-Z_]+>/g, ' ')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return new Set(words.filter((w) => !STOP_WORDS.has(w)).map(stem));
}

/** Folds plural and -ing forms together ("exports", "exporting" → "export"). */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 3 && word.endsWith('es') && !word.endsWith('ses')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export interface RerankedDocument extends ScoredDocument {
  /** Share of the question's content words found in the document, 0 to 1. */
  relevance: number;
}

export function rerankByOverlap(
  question: string,
  candidates: readonly ScoredDocument[],
  topK: number,
): RerankedDocument[] {
  const wanted = contentWords(question);
  return candidates
    .map((doc) => {
      const have = contentWords(`${doc.title} ${doc.content}`);
      let hits = 0;
      for (const w of wanted) if (have.has(w)) hits++;
      const relevance = wanted.size === 0 ? 0 : Math.round((hits / wanted.size) * 1000) / 1000;
      return { ...doc, relevance };
    })
    .sort((a, b) => b.relevance - a.relevance || b.score - a.score)
    .slice(0, topK);
}
