/**
 * Topic labels: the terms a question brings (its content words, each
 * adjacent pair of them, and a word with the particle after it unless that
 * particle is a preposition), the counts a topic and its project keep of those
 * terms (bounded), and the label read from the counts: words frequent in the
 * topic and rare in the project (tf × idf), each grown into the phrase the
 * topic's questions mostly say ("google pay", "direct debit").
 */
import { isFunctionWord, stem, words } from '@oversight/scorers/embed';
import irregularVerbs from 'english-verbs-irregular/dist/verbs.json' with { type: 'json' };

/** Terms a topic counts at most; past it, its TERM_KEEP most used stay. */
const TERM_CAP = 64;
const TERM_KEEP = 32;
/** Words a project counts at most (for the label's idf). */
const VOCAB_CAP = 50_000;
/**
 * Adjacent pairs a project counts at most (for label phrases). Far more pairs
 * than words occur once, and a pair said once is never a phrase (PHRASE_MIN).
 */
const PAIR_CAP = 16_384;

/**
 * The particles of phrasal verbs and nouns ("top up", "log in", "sign out"):
 * stop words, so never label words alone, but a pair may end in one, and a
 * label then says "top up" where the word alone says "top".
 */
const PARTICLES = new Set(['up', 'out', 'in', 'on', 'off', 'down', 'back', 'over']);

/** Words that open a noun phrase ("the", "my", "some"). */
const DETERMINERS = new Set(
  'the a an this that these those my your his her its our their some any every each no'.split(' '),
);

/**
 * Nouns by their ending ("recognition", "payment", "balance"), which take no
 * particle: a particle word after one is a preposition.
 */
const NOUN_ENDING = /.{3}(tion|sion|ment|ness|ity|ance|ence)$/;

/**
 * Whether the particle word at `i` is a preposition, by where it stands
 * (there is no part-of-speech reading here): after a noun and before a noun
 * phrase ("a fee on my card", "the limit on the Plus plan": the word before
 * it follows a determiner or another content word, and a determiner follows
 * it), or after a word whose ending makes it a noun ("handwriting
 * recognition on tablets"). A phrasal verb's or noun's particle seldom
 * stands there: "top up my card", "my top up failed", "the auto top up
 * function" and "I can't log in" keep theirs. A label that ends in a
 * preposition ("storage limit on") reads as cut off.
 */
function isPreposition(ws: readonly string[], i: number): boolean {
  const noun = ws[i - 1] as string;
  const before = ws[i - 2];
  const after = ws[i + 1];
  if (after === undefined) return false;
  if (NOUN_ENDING.test(noun)) return true;
  return before !== undefined && DETERMINERS.has(after) && (DETERMINERS.has(before) || isContent(before));
}

/**
 * The past forms of English irregular verbs, each to its base ("gone",
 * "went" → "go"; "withdrawn" → "withdraw"), and of the verbs that double a
 * consonant ("topped" → "top"), which `stem()`'s suffix rules cannot reach.
 * A form that is itself a verb's base ("lay", "found") keeps its own meaning.
 */
const IRREGULAR = new Map<string, string>();
for (const [base, forms] of Object.entries(irregularVerbs as Record<string, string[][]>))
  for (const form of forms.flat())
    if (form !== base && !Object.hasOwn(irregularVerbs, form) && !IRREGULAR.has(form))
      IRREGULAR.set(form, base);

/**
 * What a label must not name twice: a word's stem, through its base when it
 * is a form of an irregular verb, and a three-letter plural's singular
 * ("ups" after "top up"; `stem()` keeps words that short whole, for the
 * embedder's features).
 */
export function labelRoot(w: string): string {
  const base = IRREGULAR.get(w);
  if (base !== undefined) return stem(base);
  // "going", "seeing": too short for stem()'s -ing rule, which would cut "bring" and "thing".
  if (w.endsWith('ing') && Object.hasOwn(irregularVerbs, w.slice(0, -3))) return w.slice(0, -3);
  if (w.length === 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, 2);
  return stem(w);
}

/**
 * Function words of the other languages questions come in (Spanish,
 * Portuguese, French, German, Italian; Chinese and Japanese as ICU's word
 * breaker splits them), for labels only: the stop list is English, and in a
 * project whose traffic is mostly English these words are rare, so they
 * ranked as a Spanish or German topic's most distinguishing terms ("mi",
 * "ich, habe", "怎么", "した") and grew its phrases ("wie kann ich habe").
 * Words that are also English content words are left out ("die", "come",
 * "son", "hat", "war", "man", "fast", "sim", "plus", "ai", "con", "era",
 * "bin", "den", "dove", "ton", "pour", "favor", "hay", "sin", "eu"): a SIM
 * card, a Plus plan or an AI feature is an English topic's subject.
 */
const FOREIGN_FUNCTION_WORDS = new Set(
  // Spanish
  (
    'el la los las un una unos unas lo de del al en por para sobre y o pero que qué como cómo cuando cuándo ' +
    'donde dónde cual cuál quien quién porque mi mis tu tus su sus yo me te se nos le les mí ti ella ellos este esta ' +
    'esto ese esa eso estos estas es está están estoy soy fue ser estar he has ha han puedo puede pueden ' +
    'quiero quisiera necesito tengo tiene muy más ya también hola gracias ' +
    // Portuguese
    'os as um uma do da dos das no na nos nas em pelo pela meu minha meus minhas seu sua você ele não ' +
    'é são estou posso pode quero preciso tenho obrigado obrigada olá ' +
    // French
    'le les une des du au aux et ou mais je tu il elle nous vous ils elles mon ma mes ta tes sa ses notre votre ' +
    'ce cette ces est sont suis avez avons peux peut puis veux voudrais dois comment pourquoi quand où quoi qui ' +
    'dans avec sans sur pas ne très bonjour merci ' +
    // German
    'der das dem des ein eine einen einem einer und oder aber ich du er sie es wir ihr mein meine meinen meinem ' +
    'meiner dein deine sein seine unser ist sind habe haben hast kann können möchte will muss wie warum wann wo ' +
    'welche welcher welches nicht kein keine mit für auf von zu im ins vom zum zur bei nach noch schon auch sehr hallo ' +
    'danke bitte ' +
    // Italian
    'il lo gli una di della delle degli dei nel nella per tra fra che chi cosa perché quando mio mia miei ' +
    'mie tuo tua suo sua io lui lei noi voi loro sono posso può voglio vorrei devo ho hai ha non più molto ciao grazie ' +
    // Chinese
    '我 我的 你 你的 您 他 她 它 我们 你们 的 了 吗 呢 吧 啊 是 在 有 和 与 也 都 就 还 很 这 那 这个 那个 什么 为什么 怎么 ' +
    '怎么办 怎样 如何 哪里 哪儿 什么时候 谁 可以 能 不能 要 想 请 请问 一下 不 没 会 给 对 从 到 ' +
    // Japanese
    'の は が を に で と も か へ から まで より ね よ て た だ な し です ます ました ません せん ください たい ほしい ' +
    'した して する いる ある ない なる できる でき どう どこ いつ なに 何 なぜ どうして まだ もう これ それ あれ この ' +
    'その あの ここ そこ 教え 教えて'
  ).split(' '),
);

function isContent(w: string): boolean {
  return w.length > 1 && !isFunctionWord(w) && !FOREIGN_FUNCTION_WORDS.has(w) && !/^\d+$/.test(w);
}

/**
 * A question's label terms: its content words, and each pair of content words
 * next to each other within a clause ("google pay", "direct debit") or of a
 * content word and the particle after it ("top up"), so a label can name a
 * thing whose words alone name something else.
 */
export function contentTerms(question: string): string[] {
  const terms = new Set<string>();
  // Full-width punctuation ends a clause too: Chinese and Japanese put no space after it.
  for (const clause of question.split(/[.,;:!?()[\]"。，、；：！？（）「」『』]+/)) {
    const ws = words(clause);
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i] as string;
      if (!isContent(w)) continue;
      terms.add(w);
      const next = ws[i + 1];
      if (next !== undefined && (isContent(next) || (PARTICLES.has(next) && !isPreposition(ws, i + 1))))
        terms.add(`${w} ${next}`);
    }
  }
  return [...terms];
}

/**
 * A picked word grows into a phrase when at least this share of the topic's
 * questions that use it use the phrase, and of the project's questions that
 * use the phrase's rarer word: the word then mostly means the phrase
 * ("google" in "google pay") wherever it is asked, and the label should say so.
 */
const PHRASE_SHARE = 0.5;
/** Questions of the topic that must use a pair before it can be a label phrase: one is a coincidence. */
const PHRASE_MIN = 2;
/** Words in a label phrase at most. */
const PHRASE_WORDS = 4;

/**
 * The first `n` label terms from the topic's terms in order of merit: its
 * words, each grown into the phrase of the topic's questions that it mostly
 * stands in (PHRASE_SHARE, PHRASE_MIN), on either side, word by word. A word
 * whose root an earlier pick holds (`labelRoot`: "gone" after "go through")
 * is not picked again, alone or in a phrase.
 */
export function labelTerms(
  ranked: readonly string[],
  counts: ReadonlyMap<string, number>,
  projectCount: (term: string) => number | undefined,
  n: number,
): string[] {
  // The pairs each word starts and ends (`partner` picks the most used; ties in list order).
  const starts = new Map<string, string[]>();
  const ends = new Map<string, string[]>();
  for (const term of ranked) {
    const space = term.indexOf(' ');
    if (space < 0) continue;
    const a = term.slice(0, space);
    const b = term.slice(space + 1);
    const after = starts.get(a);
    if (after) after.push(b);
    else starts.set(a, [b]);
    const before = ends.get(b);
    if (before) before.push(a);
    else ends.set(b, [a]);
  }
  const count = (term: string) => counts.get(term) ?? 0;
  // A term the project forgot (or never counted, in a restored topic): the topic's own count stands in.
  const inProject = (term: string) => projectCount(term) ?? count(term);
  // Roots the picks hold: "rates" after "exchange rate" would name it twice.
  const taken = new Set<string>();
  const picked: string[] = [];
  // The word beside `w` that most of w's uses have, on the side `side` lists,
  // if any: never one the phrase or an earlier pick holds.
  const partner = (w: string, side: Map<string, string[]>, pair: (x: string) => string, phrase: string[]) => {
    let best: string | undefined;
    let uses = 0;
    for (const x of side.get(w) ?? []) {
      const root = labelRoot(x);
      if (taken.has(root) || phrase.some((p) => labelRoot(p) === root)) continue;
      const c = count(pair(x));
      if (best === undefined || c > uses) [best, uses] = [x, c];
    }
    if (best === undefined) return undefined;
    const rarer = Math.min(inProject(w), inProject(best));
    return uses >= PHRASE_MIN &&
      uses >= PHRASE_SHARE * count(w) &&
      inProject(pair(best)) >= PHRASE_SHARE * rarer
      ? best
      : undefined;
  };
  for (const term of ranked) {
    if (picked.length >= n) break;
    if (term.includes(' ') || taken.has(labelRoot(term))) continue;
    const phrase = [term];
    while (phrase.length < PHRASE_WORDS) {
      const last = phrase.at(-1) as string;
      const first = phrase[0] as string;
      const next = partner(last, starts, (x) => `${last} ${x}`, phrase);
      if (next !== undefined) {
        phrase.push(next);
        continue;
      }
      const prev = partner(first, ends, (x) => `${x} ${first}`, phrase);
      if (prev === undefined) break;
      phrase.unshift(prev);
    }
    for (const w of phrase) taken.add(labelRoot(w));
    picked.push(phrase.join(' '));
  }
  return picked;
}

/**
 * Keeps the `keep` most used terms; on ties, those first counted later (a
 * project's newer vocabulary). Runs once per quarter of the cap's new terms,
 * so its sort costs O(log n) per term.
 */
export function forgetRarest(counts: Map<string, number>, keep: number): void {
  const floor = [...counts.values()].sort((a, b) => b - a)[keep - 1] as number;
  for (const [term, c] of counts) if (c < floor) counts.delete(term);
  for (const [term, c] of counts) {
    if (counts.size <= keep) break;
    if (c === floor) counts.delete(term);
  }
}

/**
 * A restored topic's term counts from a row written before they were stored
 * (migration 019): the label's ranks stand in for them so labels survive, and
 * a label phrase comes back as its words and adjacent pairs, from which
 * labelTerms grows it again.
 */
export function restoredTerms(topTerms: readonly string[], size: number): Map<string, number> {
  const terms = new Map<string, number>();
  const set = (term: string, c: number) => terms.set(term, Math.max(terms.get(term) ?? 0, c));
  topTerms.forEach((term, rank) => {
    const c = Math.max(1, Math.round(size / (rank + 1)));
    const ws = term.split(' ');
    ws.forEach((w, i) => {
      // A phrase's particle ("top up") is a pair's end, never a word of its own.
      if (isContent(w)) set(w, c);
      if (i > 0) set(`${ws[i - 1]} ${w}`, c);
    });
  });
  return terms;
}

/** A space's label vocabulary as `topic_vocabulary` stores it (migration 023). */
export interface VocabularyState {
  questions: number;
  /** Words and adjacent pairs (a pair's words joined by a space), each with how many questions said it. */
  termCounts: Record<string, number>;
}

/**
 * A project's label vocabulary (one per space): how many of its questions
 * said each word, and each adjacent pair. Past a cap the least used quarter
 * is forgotten, so a project's vocabulary cannot grow without bound.
 */
export class ProjectTerms {
  private readonly wordCounts = new Map<string, number>();
  private readonly pairCounts = new Map<string, number>();
  private counted = 0;

  /** A vocabulary as a stored state left it (`state()`). */
  static from(state: VocabularyState): ProjectTerms {
    const v = new ProjectTerms();
    v.counted = state.questions;
    for (const [term, c] of Object.entries(state.termCounts)) v.add(term, c);
    return v;
  }

  /** Questions counted: the label's idf is read against them. */
  get questions(): number {
    return this.counted;
  }

  /** Questions that said `term` (a word or a pair), if it is still counted. */
  get(term: string): number | undefined {
    return (term.includes(' ') ? this.pairCounts : this.wordCounts).get(term);
  }

  /** Counts one more question, which said `terms` (`contentTerms`). */
  countQuestion(terms: readonly string[]): void {
    this.counted++;
    for (const term of terms) this.add(term, 1);
  }

  /** Counts `size` more questions, which said terms as often as `counts` says (a restored topic's). */
  countQuestions(size: number, counts: ReadonlyMap<string, number>): void {
    this.counted += size;
    for (const [term, c] of counts) this.add(term, c);
  }

  /**
   * What `from` takes back. A term one question said is left out: the one
   * topic that counts it reads the same count from its own table (`labelTerms`
   * and `topicLabel` fall back to it), and most of a vocabulary is such
   * terms, so the row is about half as large.
   */
  state(): VocabularyState {
    const termCounts: Record<string, number> = {};
    for (const counts of [this.wordCounts, this.pairCounts])
      for (const [term, c] of counts) if (c > 1) termCounts[term] = c;
    return { questions: this.counted, termCounts };
  }

  private add(term: string, n: number): void {
    const pair = term.includes(' ');
    const counts = pair ? this.pairCounts : this.wordCounts;
    counts.set(term, (counts.get(term) ?? 0) + n);
    const cap = pair ? PAIR_CAP : VOCAB_CAP;
    if (counts.size > cap) forgetRarest(counts, Math.floor(cap * 0.75));
  }
}

/** A topic's term counts after one more question's terms: the same map, or its most used terms past TERM_CAP. */
export function countTopicTerms(counts: Map<string, number>, terms: readonly string[]): Map<string, number> {
  for (const w of terms) counts.set(w, (counts.get(w) ?? 0) + 1);
  return capTopicTerms(counts);
}

/** A merge's survivor's term counts with the absorbed topic's added, under the same cap. */
export function mergeTopicTerms(
  counts: Map<string, number>,
  absorbed: ReadonlyMap<string, number>,
): Map<string, number> {
  for (const [w, c] of absorbed) counts.set(w, (counts.get(w) ?? 0) + c);
  return capTopicTerms(counts);
}

function capTopicTerms(counts: Map<string, number>): Map<string, number> {
  if (counts.size <= TERM_CAP) return counts;
  return new Map([...counts].sort((a, b) => b[1] - a[1]).slice(0, TERM_KEEP));
}

/**
 * A topic's first `n` label terms, from its term counts over its `size`
 * questions and its project's. Only words are ranked
 * (tf × idf); pairs only grow picked words into phrases (`labelTerms`).
 */
export function topicLabel(
  counts: ReadonlyMap<string, number>,
  size: number,
  project: ProjectTerms,
  n: number,
): string[] {
  const questions = project.questions;
  const scored: [string, number][] = [];
  const pairs: string[] = [];
  for (const [w, c] of counts) {
    // A term a topic counted before its words were known to name nothing (a restored row's "mi") names nothing.
    if (w.includes(' ')) {
      const [a, b] = w.split(' ') as [string, string];
      if (isContent(a) && (isContent(b) || PARTICLES.has(b))) pairs.push(w);
    } else if (isContent(w))
      scored.push([w, (c / size) * Math.log((1 + questions) / (1 + (project.get(w) ?? c)))]);
  }
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return labelTerms([...scored.map(([w]) => w), ...pairs], counts, (term) => project.get(term), n);
}
