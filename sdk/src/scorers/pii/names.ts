import {
  englishCommon,
  englishKnown,
  firstNames,
  lastNames,
  nameParticles,
  nationalities,
  nonPersonWords,
  places,
  titles,
} from './lexicon.ts';
import { isAllCaps, isCapitalised, type Token, tokenize } from './tokens.ts';
import type { Detector, PiiFinding } from './types.ts';

interface Word extends Token {
  norm: string;
  first: boolean;
  last: boolean;
  english: boolean;
  place: boolean;
  nonPerson: boolean;
  cap: boolean;
  initial: boolean;
}

/** A name that could be nothing else: listed as a name and not an English word or place. */
const strongName = (w: Word) => (w.first || w.last) && !w.english && !w.place && !w.nonPerson;
const weakName = (w: Word) => (w.first || w.last) && !strongName(w) && !w.nonPerson;
const unknownWord = (w: Word) => !w.first && !w.last && !w.english && !w.place && !w.nonPerson;

// Cues read from the lower-cased 40 characters before a candidate.
const STRONG_CUE =
  /(?:\bname(?:\s+is|\s+was|'s|\s+of)?|\bnamed|\bcalled|\bdear|\bsigned|\battn\.?|\bsincerely|\bregards|\bcontact person|\bsurname|\bforename|\bauthor|\bpatient|\bemployee|\bfrom the desk of|\bsigned by|\bwritten by|\bwife|\bhusband|\bdaughter|\bson|\bmother|\bfather|\bbrother|\bsister)\s*[:,\-–]?\s*$/;
const WEAK_CUE =
  /(?:\bi am|\bi'm|\bthis is|\bhi|\bhello|\bhey|\bthanks|\bthank you|\bsaid|\basked|\btold|\btell|\bask|\bmeet|\bmet|\bwith|\band|\bby|\bcall|\bemail|\bwrote|\bsays|\bcc|\bspeak to|\btalk to|\bmarried|\bloves?|\bfriend|\bboss|\bmanager|\bcolleague|\bmr|\bmrs|\bms|\bdr|\bprof|\bnot by|\bfeatures?|\bfeaturing|\bby)\s*[.,:]?\s*$/;
const PLACE_PREP = /\b(?:in|at|near|visit|visiting|around|across|outside|inside)\s+$/;
const SENTENCE_START = /(?:^|[.!?:;"“(\n]\s*|\n\s*[-*>•]\s*)$/;

function toWord(t: Token, text: string): Word {
  const norm = t.lower.replace(/['’]s$/, '');
  const english = englishCommon.has(norm) || englishKnown.has(norm);
  return {
    ...t,
    norm,
    first: firstNames.has(norm),
    last: lastNames.has(norm),
    english,
    place: places.has(norm) || nationalities.has(norm),
    nonPerson: nonPersonWords.has(norm),
    cap: isCapitalised(t.text),
    initial: t.text.length === 1 && t.text !== 'I' && isCapitalised(t.text) && text[t.end] !== "'",
  };
}

/** Only spaces (and a dot after an initial or title) may sit between two parts of one name. */
function joined(text: string, a: Word, b: Word): boolean {
  const gap = text.slice(a.end, b.start);
  if (/^[ \t]{1,3}$/.test(gap)) return true;
  return /^\.[ \t]{1,3}$/.test(gap) && (a.initial || a.text.length === 1 || titles.has(a.norm));
}

function candidate(w: Word): boolean {
  if (!w.cap) return false;
  // All-caps words are headings and acronyms unless a name list knows them.
  if (isAllCaps(w.text)) return (w.first || w.last) && !w.english;
  return true;
}

function runConfidence(run: Word[], strongCue: boolean, weakCue: boolean, sentenceStart: boolean, placePrep: boolean): number {
  const words = run.filter((w) => !w.initial && !nameParticles.has(w.norm));
  if (words.length === 0) return 0;
  if (words.some((w) => w.nonPerson)) return 0;
  const strong = words.filter(strongName).length;
  const weak = words.filter(weakName).length;
  const unknown = words.filter(unknownWord).length;
  const plain = words.length - strong - weak - unknown;
  let c = 0;
  if (words.length >= 2) {
    if (strong >= 1 && plain === 0) c = 0.9;
    else if (strong + weak >= 1 && unknown >= 1 && plain === 0) c = 0.8;
    else if (weak >= 2 && plain === 0) c = words.every((w) => w.first || w.last) && (words[0]?.first ?? false) ? 0.7 : 0.45;
    else if (unknown === words.length) c = 0.45;
    else if (strong >= 1) c = 0.45;
    if (strongCue) c = Math.max(c, plain < words.length ? 0.9 : 0.6);
    else if (weakCue && c > 0) c = Math.min(0.95, c + 0.15);
    if (placePrep && strong === 0) c -= 0.3;
    return c;
  }
  const w = words[0] as Word;
  if (strongCue) return w.place && !w.first && !w.last ? 0.3 : w.english && !(w.first || w.last) ? 0.6 : 0.85;
  if (strongName(w)) c = sentenceStart ? 0.6 : 0.7;
  else if (weakName(w) && !w.place) c = weakCue ? 0.6 : 0;
  else if (unknownWord(w)) c = weakCue ? 0.55 : 0;
  if (weakCue && strongName(w)) c = 0.85;
  if (placePrep) c -= 0.3;
  return c;
}

export const detectPersons: Detector = (text, out) => {
  const words = tokenize(text).map((t) => toWord(t, text));
  const found: PiiFinding[] = [];
  let i = 0;
  while (i < words.length) {
    const w = words[i] as Word;
    const isTitle = titles.has(w.norm) && w.cap;
    const lowerStart = !w.cap && strongName(w);
    if (!candidate(w) && !lowerStart) {
      i++;
      continue;
    }
    // Grow a run of name-shaped words joined by spaces; lower-case runs only from name-list words.
    const run: Word[] = [w];
    let j = i + 1;
    while (j < words.length && run.length < 5) {
      const next = words[j] as Word;
      const prev = run[run.length - 1] as Word;
      if (!joined(text, prev, next)) break;
      const ok = lowerStart
        ? (!next.cap && (strongName(next) || next.text.length === 1)) || nameParticles.has(next.norm)
        : candidate(next) || next.initial || (nameParticles.has(next.norm) && !next.cap);
      if (!ok) break;
      run.push(next);
      j++;
    }
    while (run.length > 1 && nameParticles.has((run[run.length - 1] as Word).norm)) run.pop();
    i = j;
    // Drop leading sentence-initial English words ("Meet", "Unlike the") and titles, which become cues.
    let titleCue = false;
    while (run.length > 0) {
      const head = run[0] as Word;
      if (titles.has(head.norm)) {
        titleCue = true;
        run.shift();
      } else if (head.english && !head.first && !head.last && run.length > 1) run.shift();
      else break;
    }
    if (run.length === 0 || run.length > 4 && !titleCue) continue;
    if (isTitle && run.length === 0) continue;
    const head = run[0] as Word;
    const tail = run[run.length - 1] as Word;
    if (lowerStart && run.filter((r) => r.text.length > 1).length < 2) {
      // A lone lower-case name word counts only straight after a strong cue ("my name is jacob").
      if (!STRONG_CUE.test(text.slice(Math.max(0, head.start - 40), head.start).toLowerCase())) continue;
    }
    const pre = text.slice(Math.max(0, head.start - 40), head.start).toLowerCase();
    const strongCue = titleCue || STRONG_CUE.test(pre);
    const weakCue = WEAK_CUE.test(pre);
    const c = runConfidence(run, strongCue, weakCue, SENTENCE_START.test(pre), PLACE_PREP.test(pre));
    if (c < 0.3) continue;
    found.push({ type: 'PERSON', start: head.start, end: tail.end, text: text.slice(head.start, tail.end), confidence: c });
  }
  // A name once recognised is a name everywhere else in the text ("Jouni … Jouni Hahli").
  const known = new Set<string>();
  for (const f of found) if (f.confidence >= 0.7) for (const part of f.text.toLowerCase().split(/\s+/)) if (part.length > 2) known.add(part.replace(/['’]s$/, ''));
  if (known.size > 0) {
    for (const w of words) {
      if (!w.cap || !known.has(w.norm)) continue;
      if (found.some((f) => f.start <= w.start && w.end <= f.end && f.confidence >= 0.7)) continue;
      found.push({ type: 'PERSON', start: w.start, end: w.end, text: w.text, confidence: 0.75 });
    }
  }
  for (const f of found) out.push(f);
};
