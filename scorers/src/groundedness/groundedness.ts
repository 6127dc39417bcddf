/**
 * Groundedness: is every claim of an answer supported by the retrieved context?
 *
 * Claim-level alignment, not bag-of-words: each claim (sentence or clause) is
 * aligned to the context window (a sentence and its neighbours) that supports
 * most of its weighted content, and only that window counts as full support.
 * A word found elsewhere in the context is half-supported, because the edits
 * that make subtle hallucinations (a swapped entity, a changed number, two real
 * entities put in the wrong relation) reuse words the context does contain.
 * Numbers, names and qualifiers weigh most; a negation the aligned window lacks,
 * and entity pairs that never meet in any window, add their own penalties.
 *
 * The score is 1 − risk of the worst claim, blended with the mean so one weak
 * clause in a long answer does not count the same as a wholly invented one. No
 * feature depends on the answer's length.
 */
import { opposites } from './antonyms.ts';
import { type ContextIndex, forEachNumberNeighbour, indexContext } from './context-index.ts';
import { readRefusal } from './refusal.ts';
import { bigramKey, claims, isContent, type Token, tokenize } from './text.ts';

export type GroundednessLabel = 'grounded' | 'hallucinated';

export type UnsupportedReason =
  | 'number_missing'
  | 'number_mismatch'
  | 'entity_missing'
  | 'entity_elsewhere'
  | 'negation_mismatch'
  | 'entity_relation'
  | 'qualifier_unsupported'
  | 'opposite'
  | 'name_order'
  | 'content_missing';

export interface UnsupportedClaim {
  claim: string;
  /** Risk of this claim in [0,1]. */
  risk: number;
  reasons: UnsupportedReason[];
  /** The words the context does not support, for the explanation. */
  missing: string[];
  /** The best-aligned context sentence, if any. */
  support?: string;
}

export interface GroundednessResult {
  /** 1 = fully supported by the context, 0 = unsupported. */
  score: number;
  label: GroundednessLabel;
  /** Claims with risk ≥ the threshold, worst first. */
  unsupported: UnsupportedClaim[];
  /** The answer declines or says the context lacks it: not a hallucination, a knowledge-base gap signal. */
  refusal: boolean;
  /**
   * The answer declines part of the question ("I'm not sure about gift cards") and answers the
   * rest, whose claims make the score: a partial gap. True whenever `refusal` is.
   */
  hedged: boolean;
  claims: number;
}

export interface GroundednessOptions {
  question?: string;
  /** Score below which the label is `hallucinated`. */
  threshold?: number;
}

export const GROUNDEDNESS_THRESHOLD = 0.5;
export const GROUNDEDNESS_VERSION = 'lexalign-2';

// Weights and penalties: set from the error kinds, not fitted to a data set.
const W_NUMBER = 3;
const W_ENTITY = 2;
const W_QUALIFIER = 1.5;
const W_CONTENT = 1;
const P_ELSEWHERE_KEY = 0.5;
const P_ELSEWHERE = 0.25;
const P_QUESTION_ONLY = 0.3;
const P_NEIGHBOUR_KEY = 0.35;
const SUPPORT_SHARE = 0.5;
const P_CONTENT_MISSING = 0.15;
const NEGATION_PENALTY = 2;
const STRONG_NEGATION = /^(?:not|no|never|none|nobody|nothing|neither|nor|cannot)$|n['’]t$/;
const RELATION_PENALTY = 1.5;
const OPPOSITE_PENALTY = 2;
const NAME_ORDER_PENALTY = 1;
const SWAP_PENALTY = 0.5;
const RISK_SCALE = 1.2;
const MAX_SHARE = 0.7;
const EXTRA_SCALE = 0.5;

interface ClaimEval extends UnsupportedClaim {
  weight: number;
}

function tokenWeight(t: Token): number {
  if (t.number !== undefined) return W_NUMBER;
  if (t.entity) return W_ENTITY;
  if (t.qualifier) return W_QUALIFIER;
  return W_CONTENT;
}

function numberInContext(value: number, numbers: readonly number[]): boolean {
  for (const n of numbers) {
    if (n === value) return true;
    // Rounded figures ("$4.2 billion" vs "4,213 million") are support, not a change.
    // Years and counts must match exactly; only large or fractional figures may be rounded.
    const rounded = Math.abs(value) >= 10_000 || !Number.isInteger(value);
    if (rounded && n !== 0 && Math.abs(n - value) / Math.abs(n) < 0.02) return true;
  }
  return false;
}

/** Index of the first id ≥ `x` in the ascending list `ids`. */
function lowerBound(ids: readonly number[], x: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether sentence `id` lies in the window centred on `centre` (it and its neighbours, same document). */
function inWindow(index: ContextIndex, ids: readonly number[], centre: number): boolean {
  const doc = index.docOf[centre];
  for (let k = lowerBound(ids, centre - 1); k < ids.length; k++) {
    const id = ids[k] as number;
    if (id > centre + 1) return false;
    if (index.docOf[id] === doc) return true;
  }
  return false;
}

const holds = (ids: readonly number[] | undefined, id: number): boolean =>
  ids !== undefined && ids[lowerBound(ids, id)] === id;

/** Whether two sorted posting lists share a window: sentences at most two apart in one document. */
function meet(index: ContextIndex, a: readonly number[], b: readonly number[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (Math.abs(x - y) <= 2 && index.docOf[x] === index.docOf[y]) return true;
    if (x < y) i++;
    else j++;
  }
  return false;
}

/** How many of `tokens` are strong negations ("not", "never", "n't"). */
function strongNegations(tokens: readonly Token[]): number {
  let k = 0;
  for (const t of tokens) if (t.negation && STRONG_NEGATION.test(t.lower)) k++;
  return k;
}

/**
 * Whether two of the claim's names stand in the reverse order of the support sentence,
 * reversed around a word both put between them ("acquired"): a date moved to the front is
 * not a swap. That is a word of the claim, in the sentence at p, with a name before it that
 * the sentence has after p and a name after it that the sentence has before p (each name in
 * the sentence once): one pass with the names' furthest positions on either side. Trying
 * every pair of names and every word between them was cubic in a long claim's names.
 */
function namesSwapped(all: readonly Token[], support: SupportSentence): boolean {
  const { at, twice } = support;
  const placed = (t: Token): number | undefined =>
    t.entity && !twice.has(t.stem) ? at.get(t.stem) : undefined;
  // earliestAfter[k]: the least sentence position of a name after claim word k.
  const earliestAfter = new Float64Array(all.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let k = all.length - 1; k >= 0; k--) {
    const p = placed(all[k] as Token);
    earliestAfter[k] = Math.min(earliestAfter[k + 1] as number, p ?? Number.POSITIVE_INFINITY);
  }
  let latestBefore = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < all.length; k++) {
    const t = all[k] as Token;
    if (!t.stop && !t.entity) {
      const p = at.get(t.stem);
      if (p !== undefined && latestBefore > p && (earliestAfter[k + 1] as number) < p) return true;
    }
    latestBefore = Math.max(latestBefore, placed(t) ?? Number.NEGATIVE_INFINITY);
  }
  return false;
}

/** What the claim checks read of an aligned context sentence: its stems' first positions and negations. */
interface SupportSentence {
  /** Stem → position of its first occurrence. */
  at: Map<string, number>;
  /** Stems occurring more than once. */
  twice: Set<string>;
  strongNegations: number;
}

// Per index, each context sentence tokenised once however many claims align to it: a RAG answer
// restates a few passages, so the same sentence is the support of claim after claim.
const supportCache = new WeakMap<ContextIndex, (SupportSentence | undefined)[]>();

function supportOf(index: ContextIndex, id: number): SupportSentence {
  let cache = supportCache.get(index);
  if (cache === undefined) {
    cache = [];
    supportCache.set(index, cache);
  }
  const hit = cache[id];
  if (hit !== undefined) return hit;
  const tokens = tokenize(index.sentences[id]?.text ?? '');
  const at = new Map<string, number>();
  const twice = new Set<string>();
  tokens.forEach((t, k) => {
    if (at.has(t.stem)) twice.add(t.stem);
    else at.set(t.stem, k);
  });
  const out = { at, twice, strongNegations: strongNegations(tokens) };
  cache[id] = out;
  return out;
}

// Per-sentence accumulators of `scoreClaim`, reused across claims and calls: allocating four typed
// arrays per claim was a fifth of the scoring time. Scoring is synchronous, so one set suffices.
let scratchSize = 0;
let windowScoreBuf = new Float64Array(0);
let sentenceScoreBuf = new Float64Array(0);
let sentenceWordsBuf = new Float64Array(0);
let stampBuf = new Int32Array(0);

function scratch(n: number) {
  if (n > scratchSize) {
    scratchSize = Math.max(n, 2 * scratchSize, 64);
    windowScoreBuf = new Float64Array(scratchSize);
    sentenceScoreBuf = new Float64Array(scratchSize);
    sentenceWordsBuf = new Float64Array(scratchSize);
    stampBuf = new Int32Array(scratchSize);
  } else {
    windowScoreBuf.fill(0, 0, n);
    sentenceScoreBuf.fill(0, 0, n);
    sentenceWordsBuf.fill(0, 0, n);
    stampBuf.fill(0, 0, n);
  }
  return {
    windowScore: windowScoreBuf,
    sentenceScore: sentenceScoreBuf,
    // The same without names and figures: what a sentence shares of the claim besides them.
    sentenceWords: sentenceWordsBuf,
    stamp: stampBuf,
  };
}

function scoreClaim(
  claim: string,
  index: ContextIndex,
  questionStems: ReadonlySet<string>,
): ClaimEval | undefined {
  const all = tokenize(claim);
  const tokens: Token[] = [];
  const seen = new Set<string>();
  for (const t of all) {
    if (t.negation || !isContent(t) || seen.has(t.stem)) continue;
    seen.add(t.stem);
    tokens.push(t);
  }
  const claimNegated = all.some((t) => t.negation);
  // "not", "never", "n't" flip a statement; "lack", "fail", "without" are often paraphrase.
  const strongCount = strongNegations(all);
  const strongNegation = strongCount > 0;
  if (tokens.length === 0 && !claimNegated) return undefined;

  // Align: the window with the most weighted content of this claim, and the single sentence
  // carrying most of it (negation and opposites are read there: a neighbour's "not" says
  // nothing about this claim). Typed arrays and a stamp per window instead of Sets: this
  // loop is the hot path when a long answer meets a long context.
  const n = index.sentences.length;
  const { windowScore, sentenceScore, sentenceWords, stamp } = scratch(n);
  const tokenIds: (readonly number[] | undefined)[] = [];
  tokens.forEach((t, k) => {
    const ids = index.postings.get(t.stem);
    tokenIds.push(ids);
    if (ids === undefined) return;
    const w = tokenWeight(t);
    const plain = t.number === undefined && !t.entity;
    const docOf = index.docOf;
    for (const id of ids) {
      sentenceScore[id] = (sentenceScore[id] as number) + w;
      if (plain) sentenceWords[id] = (sentenceWords[id] as number) + w;
      const doc = docOf[id];
      for (let c = id - 1; c <= id + 1; c++) {
        if (c < 0 || c >= n || stamp[c] === k + 1 || docOf[c] !== doc) continue;
        stamp[c] = k + 1;
        windowScore[c] = (windowScore[c] as number) + w;
      }
    }
  });
  let best = -1;
  let bestWindow = -1;
  let bestSentenceScore = 0;
  let bestWindowScore = 0;
  for (let id = 0; id < n; id++) {
    if ((sentenceScore[id] as number) > bestSentenceScore) {
      best = id;
      bestSentenceScore = sentenceScore[id] as number;
    }
    // Equal windows: the one whose centre holds more of the claim is the tighter alignment.
    const ws = windowScore[id] as number;
    if (
      ws > bestWindowScore ||
      (ws === bestWindowScore &&
        ws > 0 &&
        (sentenceScore[id] as number) > (sentenceScore[bestWindow] as number))
    ) {
      bestWindow = id;
      bestWindowScore = windowScore[id] as number;
    }
  }
  // Prefer the best sentence's own window when it ties with the best window.
  if (best >= 0 && (windowScore[best] as number) >= bestWindowScore) bestWindow = best;
  // The sentences of the window that share a real part of the claim's other words: a name or a
  // figure must come from one of them. A neighbour that shares little besides the name is where
  // it was taken from, which is how a moved entity ("founded by" the chief executive) reads in a
  // short context.
  const supportFloor = best >= 0 ? SUPPORT_SHARE * (sentenceWords[best] as number) : 0;
  const supports = (ids: readonly number[]): boolean => {
    for (let c = bestWindow - 1; c <= bestWindow + 1; c++)
      if (c >= 0 && c < n && (c === best || (sentenceWords[c] as number) >= supportFloor) && holds(ids, c))
        return true;
    return false;
  };

  let weight = 0;
  let mass = 0;
  const reasons = new Set<UnsupportedReason>();
  const missing: string[] = [];
  const present: number[] = [];
  let opposite = 0;
  let hard = 0;
  tokens.forEach((t, i) => {
    const w = tokenWeight(t);
    weight += w;
    const windows = tokenIds[i];
    const key = t.number !== undefined || t.entity;
    if (windows !== undefined && bestWindow >= 0 && inWindow(index, windows, bestWindow)) {
      if (key) present.push(i);
      if (!key || supports(windows)) return;
      reasons.add(t.entity ? 'entity_elsewhere' : 'number_mismatch');
      missing.push(t.lower);
      mass += w * P_NEIGHBOUR_KEY;
      return;
    }
    if (best >= 0) {
      for (const o of opposites(t.lower)) {
        if (o !== t.stem && holds(index.postings.get(o), best)) {
          opposite++;
          reasons.add('opposite');
          break;
        }
      }
    }
    let p: number;
    if (windows !== undefined) {
      p = key ? P_ELSEWHERE_KEY : P_ELSEWHERE;
      if (key) present.push(i);
      if (t.entity) reasons.add('entity_elsewhere');
      else if (t.number !== undefined) reasons.add('number_mismatch');
    } else if (t.number !== undefined && numberInContext(t.number, index.numbers)) {
      p = 0;
    } else if (questionStems.has(t.stem)) {
      p = P_QUESTION_ONLY;
    } else {
      p = t.number !== undefined || t.entity ? 1 : P_CONTENT_MISSING;
      reasons.add(
        t.number !== undefined
          ? 'number_missing'
          : t.entity
            ? 'entity_missing'
            : t.qualifier
              ? 'qualifier_unsupported'
              : 'content_missing',
      );
    }
    if (p > 0) missing.push(t.lower);
    // An invented number or name is a hallucination on its own, however long the sentence around it.
    if (p === 1 && t.number !== undefined) hard += 1;
    else if (p === 1 && t.entity) hard += 0.5;
    mass += w * p;
  });

  // A figure bound to a word the context binds to other figures only: "Tier 2" where it says "Tier 1".
  let rebound = 0;
  forEachNumberNeighbour(all, (word, n) => {
    const beside = index.numbersBeside.get(word);
    if (beside !== undefined && !beside.has(n) && !numberInContext(n, [...beside])) rebound++;
  });
  if (rebound > 0) {
    hard += Math.min(rebound, 2);
    reasons.add('number_mismatch');
  }

  let extra = 0;
  if (opposite > 0) extra += OPPOSITE_PENALTY * Math.min(opposite, 2);

  // Multi-word names must keep their order: "The Gray Shade" is not "Shades of Gray".
  let misordered = 0;
  for (let i = 0; i + 1 < all.length; i++) {
    const a = all[i] as Token;
    const b = all[i + 1] as Token;
    if (!a.entity || !b.entity) continue;
    if (
      index.postings.has(a.stem) &&
      index.postings.has(b.stem) &&
      !index.bigrams.has(bigramKey(a.key, b.key))
    )
      misordered++;
  }
  if (misordered > 0) {
    extra += NAME_ORDER_PENALTY * Math.min(misordered, 2);
    reasons.add('name_order');
  }

  // Negation the aligned window does not share.
  if (best >= 0) {
    if (claimNegated && !index.sentences[best]?.negated) {
      extra += strongNegation ? NEGATION_PENALTY : NEGATION_PENALTY / 2;
      reasons.add('negation_mismatch');
    } else if (strongNegation) {
      // The sentence negates something else: count "not"s, a claim adding one flips a statement.
      if (strongCount > supportOf(index, best).strongNegations) {
        extra += NEGATION_PENALTY;
        reasons.add('negation_mismatch');
      }
    }
  } else if (claimNegated) {
    extra += NEGATION_PENALTY / 2;
  }

  // Two names of the aligned sentence in the reverse order: "A acquired B" where it says "B acquired A".
  if (best >= 0) {
    let names = 0;
    for (const t of all) if (t.entity) names++;
    // supportOf tokenises the sentence: only when there are two names to compare.
    if (names >= 2 && namesSwapped(all, supportOf(index, best))) {
      extra += SWAP_PENALTY;
      reasons.add('entity_relation');
    }
  }

  // Entity relation: two names or numbers the context has, but never within one window.
  let broken = 0;
  for (let a = 0; a < present.length && broken < 2; a++) {
    for (let b = a + 1; b < present.length && broken < 2; b++) {
      const wa = tokenIds[present[a] as number] as readonly number[];
      const wb = tokenIds[present[b] as number] as readonly number[];
      if (!meet(index, wa, wb)) broken++;
    }
  }
  if (broken > 0) {
    extra += RELATION_PENALTY * broken;
    reasons.add('entity_relation');
  }

  // Share of the claim unsupported, plus a bounded push from absolute missing mass
  // (a single invented number matters in a long sentence too).
  const share = weight > 0 ? mass / weight : 0;
  const z = RISK_SCALE * (2 * share + mass / (weight + 2)) + EXTRA_SCALE * (extra + hard);
  const risk = 1 - Math.exp(-z * z);
  const out: ClaimEval = { claim, risk, reasons: [...reasons], missing, weight };
  const support = index.sentences[best]?.text;
  if (support !== undefined) out.support = support;
  return out;
}

export function groundedness(
  answer: string,
  context: readonly string[] | string | ContextIndex,
  options: GroundednessOptions = {},
): GroundednessResult {
  const threshold = options.threshold ?? GROUNDEDNESS_THRESHOLD;
  const reading = readRefusal(answer);
  if (reading.refusal)
    return { score: 1, label: 'grounded', unsupported: [], refusal: true, hedged: true, claims: 0 };
  const hedged = reading.hedged;
  const index = isIndex(context) ? context : indexContext(context);
  const questionStems = new Set<string>();
  if (options.question)
    for (const t of tokenize(options.question)) if (isContent(t)) questionStems.add(t.stem);

  const evaluated: ClaimEval[] = [];
  // A bare "yes"/"no" asserts the question itself: check that the context supports what was asked.
  const bare = /^\s*(yes|no)\b[\s.,!]*$/i.exec(answer);
  // A declined part ("I'm not sure about gift cards") names what the context lacks: no claim to check.
  const claimTexts =
    bare && options.question ? [options.question.replace(/\bnot\b|n['’]t\b/gi, '')] : claims(reading.rest);
  for (const c of claimTexts) {
    // When the claim is the question itself, its words get no credit for being in the question.
    const e = scoreClaim(c, index, bare ? new Set() : questionStems);
    if (e !== undefined) evaluated.push(e);
  }
  if (evaluated.length === 0)
    return { score: 1, label: 'grounded', unsupported: [], refusal: false, hedged, claims: 0 };
  let worst = 0;
  let weighted = 0;
  let weights = 0;
  for (const e of evaluated) {
    worst = Math.max(worst, e.risk);
    weighted += e.risk * e.weight;
    weights += e.weight;
  }
  const risk = MAX_SHARE * worst + (1 - MAX_SHARE) * (weights > 0 ? weighted / weights : 0);
  const score = 1 - risk;
  const unsupported = evaluated
    .filter((e) => e.risk >= 1 - threshold)
    .sort((a, b) => b.risk - a.risk)
    .map(({ weight: _w, ...rest }) => rest);
  return {
    score,
    label: score < threshold ? 'hallucinated' : 'grounded',
    unsupported,
    refusal: false,
    hedged,
    claims: evaluated.length,
  };
}

function isIndex(x: unknown): x is ContextIndex {
  return typeof x === 'object' && x !== null && 'postings' in x && 'sentences' in x;
}
