/**
 * Answer relevance (does the answer address the question) and context relevance
 * (did retrieval bring anything that matches the question): weighted overlap of
 * the question's content words, names and numbers weighing most, with a
 * refusal counting as not addressing the question.
 */
import { type ContextIndex, indexContext } from '../groundedness/context-index.ts';
import { isRefusal } from '../groundedness/refusal.ts';
import { isContent, type Token, tokenize } from '../groundedness/text.ts';
import { withoutMasks } from '../pii/mask.ts';
import { trimCourtesy } from '../text/courtesy.ts';

export type RelevanceLabel = 'relevant' | 'irrelevant';

export interface RelevanceResult {
  score: number;
  label: RelevanceLabel;
  /** Question words the answer or context never mentions. */
  missing: string[];
}

export const RELEVANCE_THRESHOLD = 0.35;

// Question words that say what kind of answer is wanted, not what it is about.
const QUESTION_GLUE = new Set([
  'what',
  'which',
  'who',
  'whom',
  'when',
  'where',
  'why',
  'how',
  'name',
  'tell',
  'please',
  'explain',
  'describe',
  'know',
  'give',
]);

/**
 * The words a question asks with. Not the masks of PII redaction ("Hi, I am
 * <PERSON>, my email is <EMAIL_ADDRESS>. How do I reset my password?"): a
 * mask stands for a value no document or answer says, and its type's words
 * read as missing: `npm start`'s redacted password question scored 0.25
 * against its own document, under the knowledge-base gap flag's 0.3, and
 * every one of its traces was counted a gap. Nor the greeting and thanks
 * around it ("Hi", "thanks!").
 */
function keyTerms(question: string): Token[] {
  const seen = new Set<string>();
  const out: Token[] = [];
  for (const t of tokenize(trimCourtesy(withoutMasks(question)))) {
    if (!isContent(t) || t.negation || QUESTION_GLUE.has(t.lower) || seen.has(t.stem)) continue;
    seen.add(t.stem);
    out.push(t);
  }
  return out;
}

const weightOf = (t: Token) => (t.number !== undefined ? 2 : t.entity ? 2 : 1);

function coverage(
  terms: readonly Token[],
  has: (stem: string) => boolean,
): { share: number; missing: string[] } {
  let total = 0;
  let found = 0;
  const missing: string[] = [];
  for (const t of terms) {
    const w = weightOf(t);
    total += w;
    if (has(t.stem)) found += w;
    else missing.push(t.lower);
  }
  return { share: total > 0 ? found / total : 1, missing };
}

function result(score: number, missing: string[], threshold: number): RelevanceResult {
  return { score, label: score >= threshold ? 'relevant' : 'irrelevant', missing };
}

export function answerRelevance(
  question: string,
  answer: string,
  threshold = RELEVANCE_THRESHOLD,
): RelevanceResult {
  if (answer.trim() === '' || isRefusal(answer)) return result(0, [], threshold);
  const terms = keyTerms(question);
  if (terms.length === 0) return result(1, [], threshold);
  const stems = new Set(tokenize(answer).map((t) => t.stem));
  const { share, missing } = coverage(terms, (s) => stems.has(s));
  // A short answer ("1993") rarely repeats the question: with no shared words it is still
  // relevant if it is the kind of thing asked for, which words alone cannot tell, so the floor is not 0.
  const short = stems.size <= 4;
  return result(short ? Math.max(share, 0.5) : share, missing, threshold);
}

export function contextRelevance(
  question: string,
  context: readonly string[] | string | ContextIndex,
  threshold = RELEVANCE_THRESHOLD,
): RelevanceResult {
  const index = typeof context === 'object' && 'postings' in context ? context : indexContext(context);
  if (index.sentences.length === 0) return result(0, [], threshold);
  const terms = keyTerms(question);
  if (terms.length === 0) return result(1, [], threshold);
  // Best single window, not the whole context: retrieval that scatters the question's words
  // over unrelated documents did not find a passage about it.
  const perSentence = new Map<number, number>();
  let total = 0;
  for (const t of terms) {
    const w = weightOf(t);
    total += w;
    for (const id of index.postings.get(t.stem) ?? []) perSentence.set(id, (perSentence.get(id) ?? 0) + w);
  }
  let best = 0;
  for (const [id, w] of perSentence) {
    const window = w + 0.5 * ((perSentence.get(id - 1) ?? 0) + (perSentence.get(id + 1) ?? 0));
    best = Math.max(best, window);
  }
  const anywhere = coverage(terms, (s) => index.postings.has(s));
  const score = Math.min(1, 0.6 * (best / total) + 0.4 * anywhere.share);
  return result(score, anywhere.missing, threshold);
}
