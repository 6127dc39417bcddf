import { maskPii, withoutMasks } from '../pii/mask.ts';
import { isOnlyCourtesy, trimCourtesy } from '../text/courtesy.ts';
import { followsUp, requestOf } from './request.ts';

/**
 * One interface for every way a question becomes a vector. Vectors from
 * different embedders (or the same one at another width) never meet: the
 * clusterer keeps one topic space per `id`, so `id` must change whenever the
 * geometry does (model, dimension, vocabulary).
 */
export interface Embedder {
  /** Names the vector space, e.g. `builtin:hashed-v1:1024`, `openai:text-embedding-3-small:1536`. */
  readonly id: string;
  readonly dimension: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

/**
 * Characters of a question that topics read: its opening, where its subject
 * is. A document pasted as the user's message would otherwise cost in
 * proportion to its length: the hashed embedder and the clusterer ≈ 50 ms of
 * the collector's event loop at 100,000 characters, the sentence encoder
 * seconds, an endpoint its token limit, and every `topics` row that keeps it
 * as the representative question its size.
 */
export const QUESTION_CHARS = 2_000;

/**
 * The part of a question that topics read: its opening (`QUESTION_CHARS`)
 * without its PII, masked here when the app did not (`maskPii`), and without
 * the masks of PII redaction (`withoutMasks`), the greeting before
 * it or the thanks after it (`trimCourtesy`),
 * and of a message that tells before it asks, the request when it stands
 * alone (`requestOf`). A follow-up (`followsUp`: "What about France?",
 * "is that free?") is read after the request of the latest of `earlier` (the
 * user's messages before it in the conversation, the latest first) that
 * stands alone, else after the latest: a second follow-up ("and on
 * weekends?") is about the question both follow.
 */
export function questionText(text: string, earlier?: string | readonly string[]): string {
  return questionReading(text, earlier).text;
}

/**
 * `questionText`, and whether the text read is more than the message's own:
 * a follow-up read after an earlier message, whose own retrieval and
 * relevance looked for no subject.
 */
export interface QuestionReading {
  text: string;
  followUp: boolean;
  /**
   * A follow-up's: the earlier message it was read after, as that message
   * reads alone (the question a collector placed when it was asked).
   */
  after?: string;
}

export function questionReading(text: string, earlier?: string | readonly string[]): QuestionReading {
  const question = readQuestion(text);
  // A message of courtesy alone ("thanks!") asks nothing, about the message before it or anything.
  if (earlier === undefined || question === '' || !followsUp(question) || isOnlyCourtesy(question))
    return { text: question, followUp: false };
  const before = subjectOf(typeof earlier === 'string' ? [earlier] : earlier);
  if (before === '') return { text: question, followUp: false };
  // Read again as one message, so that reading the result once more changes nothing.
  const read = readQuestion(`${before} ${question}`);
  return read === question ? { text: read, followUp: false } : { text: read, followUp: true, after: before };
}

/** The latest of the messages (the latest first) that stands alone, read; else the latest with words. */
function subjectOf(earlier: readonly string[]): string {
  let latest = '';
  for (const message of earlier) {
    const read = readQuestion(message);
    if (read === '') continue;
    if (!followsUp(read)) return read;
    if (latest === '') latest = read;
  }
  return latest;
}

function readQuestion(text: string): string {
  const opening = text.length > QUESTION_CHARS ? text.slice(0, QUESTION_CHARS) : text;
  // PII the app did not mask is read as if it had: what is read becomes a topic's representative
  // question and label words, which the topics table keeps past llm_spans' retention.
  const trimmed = trimCourtesy(withoutMasks(maskPii(opening)));
  const request = requestOf(trimmed);
  // A request from the middle of a message may open with courtesy of its own ("Hello, is there…?").
  return request === trimmed ? trimmed : trimCourtesy(request);
}

/** An embedder cheap enough to call inline, one text at a time, on the drain. */
export interface SyncEmbedder extends Embedder {
  embedOne(text: string): Float32Array;
}

export function isSyncEmbedder(e: Embedder): e is SyncEmbedder {
  return typeof (e as Partial<SyncEmbedder>).embedOne === 'function';
}

/** L2-normalises in place; a zero vector stays zero (the caller decides what that means). */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i] as number) * (v[i] as number);
  if (sq > 0) {
    const inv = 1 / Math.sqrt(sq);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  }
  return v;
}

export function cosine(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  if (a.length !== b.length) throw new Error(`cosine of vectors of width ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
