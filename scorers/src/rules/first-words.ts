/**
 * How a rule's matches can begin, read off its pattern, so a scan tries the rules only
 * at the words of a text that can start one. A rule set's alternation costs a trial of
 * every rule at every word start, about 30–110 ns a word, and on ordinary text all but a
 * few words start no rule at all. The first word alone lets too much through ("the", "in",
 * "you" start some rule), so the first two are read: "the correct", "in spite".
 *
 * The analysis is conservative: it returns a superset of the beginnings a match can
 * have, never fewer. Lookarounds and anchors are read as matching anything; a run of
 * characters other than the space ("[a-z]+", "[^ ]*") is read as any run of them; a
 * class that may hold a space and has too many characters to list, or an open-ended
 * repetition of something else, stops the reading there (every text with that prefix
 * counts). A pattern it cannot read, or whose first word can be anything while its second
 * is not known either, gives `undefined`: scan everywhere.
 */

/** Characters a pattern element matches: listed, or too many to list; `space`: the space may be one. */
interface Chars {
  list: readonly string[] | undefined;
  space: boolean;
}

type Node =
  | { kind: 'literal'; text: string }
  | { kind: 'chars'; chars: Chars }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'empty' };

/** Ranges listed as characters up to this size; larger ones count as "too many". */
const MAX_RANGE = 64;

class Unreadable extends Error {}

const CONTROL: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v' };
/** Escapes of classes that never match the space, and of those that may. */
const SPACELESS_CLASSES = 'dwSD';
const SPACED_CLASSES = 'sWpPkcux0123456789';

function listed(list: readonly string[]): Chars {
  return { list, space: list.includes(' ') };
}

/** Parses the regex subset the rules are written in (no `u` flag: code units). */
function parse(pattern: string): Node {
  let pos = 0;

  function alternation(): Node {
    const options = [sequence()];
    while (pattern[pos] === '|') {
      pos++;
      options.push(sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  function sequence(): Node {
    const items: Node[] = [];
    while (pos < pattern.length && pattern[pos] !== '|' && pattern[pos] !== ')') {
      const node = quantified(atom());
      // Runs of single characters are read as one literal: most of a rule is words.
      const last = items[items.length - 1];
      if (node.kind === 'chars' && node.chars.list?.length === 1) {
        const c = node.chars.list[0] as string;
        if (last?.kind === 'literal') last.text += c;
        else items.push({ kind: 'literal', text: c });
      } else items.push(node);
    }
    return { kind: 'seq', items };
  }

  function quantified(node: Node): Node {
    const c = pattern[pos];
    let min: number;
    let max: number;
    if (c === '?') [min, max] = [0, 1];
    else if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(pos));
      // Not a quantifier: a literal brace, read as the next atom.
      if (!m) return node;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      pos += m[0].length - 1;
    } else return node;
    pos++;
    // Lazy or greedy, the same strings can match.
    if (pattern[pos] === '?') pos++;
    return { kind: 'repeat', node, min, max };
  }

  function atom(): Node {
    const c = pattern[pos] as string;
    if (c === '(') {
      pos++;
      let look = false;
      if (pattern.startsWith('?:', pos)) pos += 2;
      else if (pattern.startsWith('?=', pos) || pattern.startsWith('?!', pos)) {
        pos += 2;
        look = true;
      } else if (pattern.startsWith('?<=', pos) || pattern.startsWith('?<!', pos)) {
        pos += 3;
        look = true;
      } else if (pattern[pos] === '?') throw new Unreadable(`group ${pattern.slice(pos, pos + 3)}`);
      const inner = alternation();
      if (pattern[pos] !== ')') throw new Unreadable('unclosed group');
      pos++;
      // A lookaround consumes nothing: read as always true, which only adds beginnings.
      return look ? { kind: 'empty' } : inner;
    }
    if (c === '[') return charClass();
    if (c === '\\') return escaped();
    pos++;
    if (c === '.') return { kind: 'chars', chars: { list: undefined, space: true } };
    if (c === '^' || c === '$') return { kind: 'empty' };
    if (c === ')' || c === '|' || c === '?' || c === '*' || c === '+') throw new Unreadable(`stray ${c}`);
    return { kind: 'chars', chars: listed([c]) };
  }

  function escaped(): Node {
    const c = pattern[pos + 1];
    if (c === undefined) throw new Unreadable('trailing backslash');
    pos += 2;
    if (c === 'b' || c === 'B') return { kind: 'empty' };
    if (c === 'd') return { kind: 'chars', chars: listed([...'0123456789']) };
    if (SPACELESS_CLASSES.includes(c)) return { kind: 'chars', chars: { list: undefined, space: false } };
    if (SPACED_CLASSES.includes(c)) return { kind: 'chars', chars: { list: undefined, space: true } };
    return { kind: 'chars', chars: listed([CONTROL[c] ?? c]) };
  }

  function charClass(): Node {
    pos++;
    const negated = pattern[pos] === '^';
    if (negated) pos++;
    const chars = new Set<string>();
    let many = false;
    let spaced = false;
    let first = true;
    while (pos < pattern.length && (pattern[pos] !== ']' || first)) {
      first = false;
      const c = pattern[pos] as string;
      if (c === '\\') {
        const e = pattern[pos + 1] as string;
        pos += 2;
        if (e === 'd') for (const d of '0123456789') chars.add(d);
        else if (SPACELESS_CLASSES.includes(e)) many = true;
        else if (SPACED_CLASSES.includes(e) || e === 'b') [many, spaced] = [true, true];
        else chars.add(CONTROL[e] ?? e);
        continue;
      }
      pos++;
      if (pattern[pos] === '-' && pattern[pos + 1] !== ']' && pattern[pos + 1] !== undefined) {
        const to = pattern[pos + 1] as string;
        if (to === '\\') throw new Unreadable('escaped range end');
        pos += 2;
        const a = c.charCodeAt(0);
        const b = to.charCodeAt(0);
        if (b < a) throw new Unreadable('reversed range');
        if (b - a + 1 > MAX_RANGE) [many, spaced] = [true, spaced || (a <= 32 && b >= 32)];
        else for (let k = a; k <= b; k++) chars.add(String.fromCharCode(k));
        continue;
      }
      chars.add(c);
    }
    if (pattern[pos] !== ']') throw new Unreadable('unclosed class');
    pos++;
    // A negated class matches the space unless it names it, and too many characters to list.
    if (negated) return { kind: 'chars', chars: { list: undefined, space: !chars.has(' ') } };
    if (many) return { kind: 'chars', chars: { list: undefined, space: spaced || chars.has(' ') } };
    return { kind: 'chars', chars: listed([...chars]) };
  }

  const node = alternation();
  if (pos !== pattern.length) throw new Unreadable(`unexpected ${pattern[pos]}`);
  return node;
}

/** In a beginning, a run of characters other than the space, of any length (possibly none). */
const RUN = '\u0000';

/**
 * What is known of a match's beginning so far: `open` (it goes on after `text`), `closed`
 * (its first two words are `text`: the match goes on after a space), or `prefix` (it
 * starts with `text`, the rest unknown).
 */
type State = { readonly text: string; readonly end: 'open' | 'closed' | 'prefix' };

/** Words read from the start of a match. */
const WORDS = 2;
/** More states than this and the rule is scanned everywhere. */
const MAX_STATES = 4096;
/** Repetitions unrolled while the beginning is still open; beyond them it is a prefix. */
const MAX_UNROLL = 8;

function spaces(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 32) n++;
  return n;
}

function run(s: State): State {
  return { text: s.text.endsWith(RUN) ? s.text : s.text + RUN, end: 'open' };
}

/** A repetition of characters other than the space that is cheaper read as a run than unrolled. */
function isRun(node: Node & { kind: 'repeat' }): boolean {
  const inner = node.node;
  if (inner.kind !== 'chars' || inner.chars.space) return false;
  const list = inner.chars.list;
  return list === undefined || node.max === Number.POSITIVE_INFINITY || list.length ** node.max > 256;
}

/**
 * States without repeats (where alternatives or repetitions may have made some); too many
 * and the rule is scanned everywhere.
 */
function distinct(states: readonly State[]): State[] {
  if (states.length <= 1) return [...states];
  const seen = new Set<string>();
  const out: State[] = [];
  for (const s of states) {
    const key = s.end === 'open' ? s.text : `${s.end === 'closed' ? '\u0001' : '\u0002'}${s.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  if (out.length > MAX_STATES) throw new Unreadable('too many beginnings');
  return out;
}

const isOpen = (s: State) => s.end === 'open';

/** The open state `s` read one character further: the space after the last word read ends the reading; one before it is part of it. */
function readOn(s: State, c: string): State {
  if (c === ' ' && spaces(s.text) === WORDS - 1) return { text: s.text, end: 'closed' };
  return { text: s.text + c, end: 'open' };
}

/**
 * The states `node` leads the open states `open` to. Only open states are stepped: a
 * beginning once known goes through the rest of the pattern as it is.
 */
function step(node: Node, open: readonly State[]): State[] {
  switch (node.kind) {
    case 'empty':
      return [...open];
    case 'seq': {
      const done: State[] = [];
      let cur = [...open];
      for (const item of node.items) {
        if (cur.length === 0) break;
        const next = step(item, cur);
        for (const s of next) if (!isOpen(s)) done.push(s);
        cur = next.filter(isOpen);
      }
      return [...done, ...cur];
    }
    case 'alt':
      return distinct(node.options.flatMap((option) => step(option, open)));
    case 'literal':
      return open.map((s) => {
        let read = s;
        for (const c of node.text) {
          read = readOn(read, c);
          if (!isOpen(read)) break;
        }
        return read;
      });
    case 'chars': {
      const out: State[] = [];
      const { list, space } = node.chars;
      for (const s of open) {
        if (list === undefined) out.push(space ? { text: s.text, end: 'prefix' } : run(s));
        else for (const c of list) out.push(readOn(s, c));
      }
      return out;
    }
    case 'repeat': {
      if (isRun(node)) return distinct(open.map(run));
      const done: State[] = [];
      let cur = [...open];
      for (let i = 0; i < node.min && cur.length > 0; i++) {
        if (i >= MAX_UNROLL)
          return distinct([...done, ...cur.map((s): State => ({ text: s.text, end: 'prefix' }))]);
        const next = step(node.node, cur);
        for (const s of next) if (!isOpen(s)) done.push(s);
        cur = next.filter(isOpen);
      }
      // After the least count, every further repetition may stop or go on.
      const out: State[] = [...done, ...cur];
      for (let i = node.min; i < node.max && cur.length > 0; i++) {
        if (i - node.min >= MAX_UNROLL) {
          for (const s of cur) out.push({ text: s.text, end: 'prefix' });
          break;
        }
        const next = step(node.node, cur);
        out.push(...next);
        cur = next.filter(isOpen);
      }
      return distinct(out);
    }
  }
}

export interface FirstWords {
  /**
   * Beginnings of a match that are whole words: its first two words ("the correct"), or
   * the whole match when it is one word long ("uncensored").
   */
  words: Set<string>;
  /** Beginnings whose rest is open: the text at a match starts with one of them ("ignore ", "jailbreak"). */
  prefixes: Set<string>;
  /** Second words of a match whose first word can be any ("… are", for "[a-z]+s are"). */
  seconds: Set<string>;
}

/**
 * How the matches of `pattern` begin (see `FirstWords`), or `undefined` when a match
 * could begin anyhow (see the module comment).
 */
export function firstWords(pattern: string): FirstWords | undefined {
  // Rule sets share rules (the override rules are injection's and jailbreak's): read each once.
  if (read.has(pattern)) return read.get(pattern);
  const first = readFirstWords(pattern);
  read.set(pattern, first);
  return first;
}

const read = new Map<string, FirstWords | undefined>();

function readFirstWords(pattern: string): FirstWords | undefined {
  let states: State[];
  try {
    states = step(parse(pattern), [{ text: '', end: 'open' }]);
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
  const words = new Set<string>();
  const prefixes = new Set<string>();
  const seconds = new Set<string>();
  for (const s of states) {
    // A match that starts with a space, or is empty.
    if (s.text === '' || s.text.charCodeAt(0) === 32) return undefined;
    const space = s.text.indexOf(' ');
    const first = space === -1 ? s.text : s.text.slice(0, space);
    const rest = space === -1 ? undefined : s.text.slice(space + 1);
    const runAt = first.indexOf(RUN);
    if (runAt > 0) prefixes.add(first.slice(0, runAt));
    else if (runAt === 0) {
      // Any first word: only a second word known in full is of use.
      if (rest === undefined || rest === '' || rest.includes(RUN) || s.end === 'prefix') return undefined;
      seconds.add(rest);
    } else if (rest?.includes(RUN)) prefixes.add(`${first} `);
    else if (s.end === 'prefix') prefixes.add(s.text);
    else words.add(s.text);
  }
  return { words, prefixes, seconds };
}
