/**
 * The courtesy at the edges of a chat message: the greeting before the question and
 * the thanks after it ("hi there, quick question: why was my card declined?
 * thanks!"). They say nothing about what is asked, yet a sentence embedder
 * that averages its words, or n-grams weighted by a project's IDF, reads them
 * as part of the subject: questions that share a greeting drift together,
 * and one subject asked with and without one drifts apart. Topics read the
 * question without them.
 *
 * Conservative on purpose: only whole clauses at either end go (cut at
 * punctuation, or at "but" after an apology), and only when every word is a
 * courtesy or a function word and one at least is a courtesy. Without
 * punctuation, only an opening greeting ("hi", "good morning team") and a
 * closing run that thanks or asks ("many thanks", "appreciate it", "please
 * advise"). Nothing in the middle is touched, and a message that is nothing
 * but courtesy ("hi", "thanks!") is kept whole. English, with the commonest
 * greetings and thanks of a few other languages.
 *
 * Measured on chat-styled questions written for it (docs/topics.md, "Greetings and thanks").
 */

/** Words of courtesy: greetings, thanks, apologies, sign-offs and the fillers around them. */
const COURTESY = new Set(
  (
    'hi hello hey heya hiya howdy yo greetings dear morning afternoon evening good day there everyone all team folks guys ' +
    'thanks thank thx ty tia tks cheers appreciate appreciated grateful advance million lot many ' +
    'please pls plz kindly sorry apologies apologise apologize bother bothering disturb disturbing excuse pardon ' +
    'ok okay um umm uh hmm oh ah yeah yep lol haha well great ' +
    'quick question query help wondering hope hoping doing regards best wishes asap urgent urgently idea ideas thoughts advise ' +
    'hola bonjour hallo salut ciao danke merci gracias grazie obrigado'
  ).split(' '),
);

/** Function words that may stand in a courtesy clause ("thanks for your help", "hope you are well"). */
const FUNCTION = new Set(
  (
    'i me my you your we us our it its is am are was be been have has had a an the to for in of on with and but so ' +
    'just very much really can could would will do does did if any this that im youre ive id all at by from'
  ).split(' '),
);

/** Greeting words and fillers that open a message without punctuation ("hi what is…", "ok so how do I…"). */
const OPENERS = new Set(
  'hi hello hey heya hiya howdy yo greetings hola bonjour hallo salut ciao ok okay um umm uh oh so'.split(
    ' ',
  ),
);
/** Words that follow an opening greeting ("hello there", "hi all"). */
const ADDRESSEES = new Set('there all everyone team folks guys'.split(' '));
/** Part-of-day words after "good" ("good morning"). */
const PARTS_OF_DAY = new Set('morning afternoon evening day'.split(' '));
/** Words that make a run of courtesy at the end a closing ("…this week thanks", "…asap", "…please advise"). */
const CLOSERS = new Set(
  'thanks thank thx ty tia tks cheers appreciate appreciated advise please pls plz asap regards'.split(' '),
);

// Clause boundaries: runs of punctuation, line breaks, a dash set off by spaces, or an emoticon.
const BOUNDARY = /[.,!?;:…\n\r]+|\s[-–—]+\s|[:;]-?[()dDpP](?!\p{L})/gu;
// "sorry to bother you but …": the apology's clause ends at the conjunction.
const APOLOGY_BUT = /\bbut\b/giu;
// What a cut leaves at the edges: separators, and emoticons or emoji after the question.
const EDGE_START = /^(?:[\s.,!?;:…]|[-–—]+\s)+/u;
const EDGE_SPAN = 64;
const EDGE_END = /(?:[\s\-–—,;:]|[:;]-?[()dDpP]|\p{Extended_Pictographic}|\uFE0F)+$/u;
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

interface Word {
  text: string;
  start: number;
  end: number;
}

const word = (m: RegExpExecArray): Word => ({
  text: m[0].toLowerCase().replace(/['’]/g, ''),
  start: m.index,
  end: m.index + m[0].length,
});

function wordsOf(text: string): Word[] {
  const out: Word[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) out.push(word(m));
  return out;
}

const isCourtesyWord = (w: Word | undefined) => w !== undefined && COURTESY.has(w.text);
const isFiller = (w: Word | undefined) => w !== undefined && (COURTESY.has(w.text) || FUNCTION.has(w.text));

/** Whether the words are a courtesy clause: all courtesy or function words, one courtesy at least. */
function isCourtesy(ws: readonly Word[]): boolean {
  return ws.length > 0 && ws.every(isFiller) && ws.some(isCourtesyWord);
}

/** Where the first clause ends: the first punctuation, or the first "but". */
function firstClauseEnd(text: string): number | undefined {
  BOUNDARY.lastIndex = 0;
  const punct = BOUNDARY.exec(text);
  APOLOGY_BUT.lastIndex = 0;
  const but = APOLOGY_BUT.exec(text);
  const ends = [punct, but].flatMap((m) => (m ? [m.index + m[0].length] : []));
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

/** The last punctuation with a word after it: where the last clause starts. */
function lastClauseStart(text: string, lastWord: Word): { at: number; end: number } | undefined {
  let found: { at: number; end: number } | undefined;
  BOUNDARY.lastIndex = 0;
  for (let m = BOUNDARY.exec(text); m !== null && m.index < lastWord.start; m = BOUNDARY.exec(text))
    found = { at: m.index, end: m.index + m[0].length };
  return found;
}

/**
 * One pass over both ends; the same text when nothing goes. Word indices
 * [from, to) and characters [start, end) are what is kept.
 */
function trimOnce(text: string): string {
  const ws = wordsOf(text);
  const lastWord = ws.at(-1);
  if (!lastWord) return text;
  let from = 0;
  let to = ws.length;
  let start = 0;
  let end = text.length;

  // An opening clause of courtesy: "hi,", "sorry to bother you but".
  const cut = firstClauseEnd(text);
  if (cut !== undefined) {
    const n = ws.findIndex((w) => w.start >= cut);
    if (n > 0 && isCourtesy(ws.slice(0, n))) {
      from = n;
      start = cut;
    }
  }
  // A closing clause of courtesy, after one of substance; the cut keeps the
  // punctuation that ended the question ("…today? thanks!").
  const last = lastClauseStart(text, lastWord);
  if (last !== undefined && last.at >= start) {
    const n = ws.findIndex((w) => w.start >= last.end);
    if (n > from && ws[from] !== undefined && (ws[from] as Word).end <= last.at && isCourtesy(ws.slice(n))) {
      to = n;
      end = last.end;
    }
  }
  // An opening greeting without punctuation: "hi what is…", "good morning team how do I…".
  let skip = 0;
  if (OPENERS.has(ws[from]?.text ?? '')) skip = 1;
  else if (ws[from]?.text === 'good' && PARTS_OF_DAY.has(ws[from + 1]?.text ?? '')) skip = 2;
  if (skip > 0 && ADDRESSEES.has(ws[from + skip]?.text ?? '')) skip++;
  if (skip > 0 && to - from > skip) {
    from += skip;
    start = (ws[from] as Word).start;
  }
  // A closing without punctuation ("…arrive this week many thanks", "…my
  // rent appreciate it"): the longest run of courtesy and function words at
  // the end, from its first courtesy word, holding a closing word, after a
  // word of substance.
  let run = to;
  while (run > from && isFiller(ws[run - 1])) run--;
  while (run < to && !isCourtesyWord(ws[run])) run++;
  const closing = ws.slice(run, to).some((w) => CLOSERS.has(w.text));
  if (closing && ws.slice(from, run).some((w) => !isFiller(w))) end = (ws[run] as Word).start;

  const kept = text.slice(start, end).replace(EDGE_START, '');
  // Its end only: a pattern anchored at the end would be tried at every position of a long text.
  const tail = Math.max(0, kept.length - EDGE_SPAN);
  return kept.slice(0, tail) + kept.slice(tail).replace(EDGE_END, '');
}

const ALNUM = /^[\p{L}\p{N}]$/u;
const APOSTROPHES = new Set(["'", '’']);
// Characters a question may end with that no cut would take (not ")", which ends ":)").
const PLAIN_ENDS = new Set([...'.?!…"\'’”]']);
const EMOTICON_EYES = new Set([':', ';', '-']);

/** A word a cut at an edge can begin with: a courtesy, or a filler that opens a message ("so"). */
const mayBeCut = (w: string) => COURTESY.has(w) || OPENERS.has(w);

/**
 * Whether a cut could apply. A cut at an edge needs, counting from that
 * edge, a courtesy word before any word of substance (function words may
 * come first: "I hope you are well."), or an emoticon or a separator at the
 * edge itself. Most questions open and close with words of substance within
 * a word or two, and so does a question read once already (the enricher
 * reads it, then the clusterer): they pay for this check, not for a pass.
 */
function mayHaveCourtesy(text: string): boolean {
  const first = text[0];
  const last = text.at(-1);
  if (first === undefined || last === undefined) return false;
  if (!ALNUM.test(first) || !(ALNUM.test(last) || PLAIN_ENDS.has(last))) return true;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const w = word(m).text;
    if (mayBeCut(w)) return true;
    if (!FUNCTION.has(w)) break;
  }
  // From the end, word by word: back over what follows a word, then over its letters.
  let end = text.length;
  for (let atEdge = true; end > 0; atEdge = false) {
    while (end > 0 && !ALNUM.test(text[end - 1] as string)) end--;
    let start = end;
    while (start > 0 && (ALNUM.test(text[start - 1] as string) || APOSTROPHES.has(text[start - 1] as string)))
      start--;
    if (start === end) break;
    // ":D" and ":P" end in a letter.
    if (atEdge && start > 0 && EMOTICON_EYES.has(text[start - 1] as string)) return true;
    const w = text.slice(start, end).toLowerCase().replace(/['’]/g, '');
    if (mayBeCut(w)) return true;
    if (!FUNCTION.has(w)) break;
    end = start;
  }
  return false;
}

/** Whether the message is nothing but courtesy ("thanks!", "ok, great, thank you"): it asks nothing. */
export function isOnlyCourtesy(text: string): boolean {
  return isCourtesy(wordsOf(text));
}

/**
 * Passes of `trimOnce` a message may take. Each reads the whole text and cuts a clause or
 * a greeting word at each end, so a run of thousands ("hi hi hi …", "sorry, sorry, …")
 * took minutes on a 100 KB question; a real message needs a handful.
 */
const MAX_PASSES = 16;

/**
 * The message without its courtesy edges, trimmed of white space; the
 * message itself when that would leave no word, or when its edges hold more
 * courtesy than `MAX_PASSES` cut (no message reads that way; keeping it whole
 * keeps this idempotent). Idempotent.
 */
export function trimCourtesy(text: string): string {
  if (!mayHaveCourtesy(text)) return text;
  let t = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = trimOnce(t);
    if (next === t) return t;
    if (wordsOf(next).length === 0) return text;
    t = next;
  }
  return text;
}
