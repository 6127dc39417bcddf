/**
 * A synthetic groundedness set from text the scorer was never developed on:
 * the repository's own prose (README, docs/, examples/) and seeded, faker-built
 * company briefs. Each context yields a grounded answer (one of its sentences,
 * lightly compressed, sometimes joined to the next) and a hallucinated one: the
 * same answer with one subtle edit of the kinds issue 10 names (a changed
 * number, a name moved from elsewhere in the context, two names swapped, an
 * inserted negation, an unsupported qualifier, a flipped direction). Both
 * answers have about the same length, so length cannot separate them.
 *
 * This set measures whether a change to the scorer generalises beyond the dev
 * sets; it is never used to fit anything. The docs part follows the docs, so a
 * rebuild after they change gives a different set: the committed
 * tools/data/groundedness-synth.jsonl is the one the README's figures are on.
 *
 *   npx node tools/src/groundedness-synth.ts [out.jsonl]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { en, Faker } from '@faker-js/faker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'tools/data/groundedness-synth.jsonl');

export type EditKind = 'number' | 'entity_moved' | 'entity_swap' | 'negation' | 'qualifier' | 'direction';

export interface SynthRow {
  id: string;
  source: 'docs' | 'briefs';
  kind: EditKind | 'none';
  question: string;
  context: string;
  answer: string;
  label: 'grounded' | 'hallucinated';
}

/** Mulberry32: a small seeded generator, so the set is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Markdown to plain prose paragraphs: no code blocks, tables, headings or link targets. */
export function prose(markdown: string): string[] {
  const text = markdown
    .replace(/```[\s\S]*?```/g, '\n\n')
    .replace(/^\s*\|.*$/gm, '')
    .replace(/^\s*#.*$/gm, '\n')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*{1,2}([^*\n]+)\*{1,2}/g, '$1')
    .replace(/^\s*[-*>]\s+/gm, '');
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.split(' ').length >= 12 && /[.!?]$/.test(p));
}

const splitSentences = (p: string) =>
  p
    .split(/(?<=[.!?])\s+(?=[A-Z`"(])/)
    .map((s) => s.trim())
    .filter(Boolean);

function docContexts(): string[] {
  const files = [
    'README.md',
    ...readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
    ...readdirSync(path.join(ROOT, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `examples/${d.name}/README.md`),
  ];
  const contexts: string[] = [];
  for (const file of files.sort()) {
    let text: string;
    try {
      text = readFileSync(path.join(ROOT, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    // Contexts of about 120–300 words: consecutive paragraphs of one file.
    let current: string[] = [];
    let words = 0;
    for (const p of prose(text)) {
      current.push(p);
      words += p.split(' ').length;
      if (words >= 120) {
        contexts.push(current.join('\n\n'));
        current = [];
        words = 0;
      }
    }
  }
  return contexts;
}

/** Company briefs: names, places, dates and figures, with distractor sentences about others. */
function briefContexts(count: number, seed: number): string[] {
  const f = new Faker({ locale: [en] });
  f.seed(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const company = f.company.name();
    const rival = f.company.name();
    const ceo = f.person.fullName();
    const cfo = f.person.fullName();
    const city = f.location.city();
    const other = f.location.city();
    const year = f.number.int({ min: 1950, max: 2015 });
    const revenue = f.number.int({ min: 12, max: 980 });
    const growth = f.number.int({ min: 2, max: 40 });
    const staff = f.number.int({ min: 40, max: 9000 });
    const product = f.commerce.productName();
    const quarter = f.helpers.arrayElement(['first', 'second', 'third', 'fourth']);
    const sentences = f.helpers.shuffle([
      `${company} was founded in ${year} by ${ceo} in ${city}.`,
      `${ceo} has led ${company} as chief executive since ${year + f.number.int({ min: 1, max: 8 })}.`,
      `In the ${quarter} quarter, revenue rose ${growth} percent to $${revenue} million, driven by sales of the ${product}.`,
      `The company employs ${staff} people, most of them at its headquarters in ${city}.`,
      `${cfo}, the chief financial officer, said the board approved a plan to open an office in ${other}.`,
      `${rival}, a competitor based in ${other}, reported a decline in orders over the same period.`,
      `${company} does not sell the ${product} directly to consumers; it ships through distributors.`,
      `Analysts expect ${company} to overtake ${rival} within ${f.number.int({ min: 2, max: 6 })} years.`,
    ]);
    out.push(sentences.join(' '));
  }
  return out;
}

const AUX =
  /\b(is|are|was|were|can|will|does|do|did|should|must|has|have|had|may|would|could)\b(?! not\b| never\b)/;
const QUALIFIERS = [
  'only',
  'always',
  'automatically',
  'rarely',
  'partially',
  'temporarily',
  'officially',
  'exclusively',
  'primarily',
  'usually',
  'entirely',
  'first',
];
// Direction flips, some on the scorer's own list and some not, so the list is not what is measured.
const FLIPS: readonly [string, string][] = [
  ['increase', 'decrease'],
  ['rose', 'fell'],
  ['before', 'after'],
  ['more', 'fewer'],
  ['enables', 'disables'],
  ['allows', 'forbids'],
  ['same', 'different'],
  ['required', 'optional'],
  ['first', 'last'],
  ['add', 'remove'],
  ['start', 'stop'],
  ['reads', 'writes'],
  ['input', 'output'],
  ['inside', 'outside'],
  ['accepted', 'rejected'],
  ['decline', 'rise'],
  ['most', 'least'],
  ['earlier', 'later'],
  ['larger', 'smaller'],
  ['higher', 'lower'],
];

const NAME = /\b[A-Z][\w.@/-]*[a-z0-9][\w.@/-]*(?:\s+[A-Z][\w-]+)*/g;

/** Names in a text: capitalised words not at a sentence start, with the capitalised words after them. */
function names(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(NAME)) {
    const before = text.slice(Math.max(0, (m.index ?? 0) - 2), m.index);
    if ((m.index ?? 0) === 0 || /[.!?:]\s$/.test(before)) continue;
    if (m[0].length > 2) out.add(m[0]);
  }
  return [...out];
}

/** Numbers in a text, as written. */
const numbers = (text: string) => [...text.matchAll(/\b\d+(?:[.,]\d+)*\b/g)].map((m) => m[0]);

function changeNumber(r: Rand, answer: string, context: string): string | undefined {
  const here = numbers(answer);
  if (here.length === 0) return undefined;
  const target = pick(r, here);
  const elsewhere = numbers(context).filter((n) => !here.includes(n));
  let replacement: string;
  if (elsewhere.length > 0 && r() < 0.5) replacement = pick(r, elsewhere);
  else {
    const v = Number(target.replace(/,/g, ''));
    const delta = v >= 1900 && v <= 2100 ? 1 + Math.floor(r() * 5) : Math.max(1, Math.round(v * (0.1 + r())));
    replacement = String(r() < 0.5 && v - delta >= 0 ? v - delta : v + delta);
  }
  return replacement === target ? undefined : answer.replace(new RegExp(`\\b${target}\\b`), replacement);
}

function moveEntity(r: Rand, answer: string, context: string): string | undefined {
  const here = names(answer);
  const elsewhere = names(context).filter((n) => !answer.includes(n) && !here.some((h) => n.includes(h)));
  if (here.length === 0 || elsewhere.length === 0) return undefined;
  return answer.replace(pick(r, here), pick(r, elsewhere));
}

function swapEntities(r: Rand, answer: string): string | undefined {
  const here = names(answer).filter((n, _, all) => !all.some((o) => o !== n && o.includes(n)));
  if (here.length < 2) return undefined;
  const a = pick(r, here);
  const b = pick(
    r,
    here.filter((x) => x !== a),
  );
  const mark = '\u0000';
  return answer.replace(a, mark).replace(b, a).replace(mark, b);
}

function negate(answer: string): string | undefined {
  const m = AUX.exec(answer);
  if (m === null || m.index < 3) return undefined;
  const at = m.index + m[0].length;
  return `${answer.slice(0, at)} not${answer.slice(at)}`;
}

function qualify(r: Rand, answer: string): string | undefined {
  const m = AUX.exec(answer);
  const q = pick(r, QUALIFIERS);
  if (m !== null && m.index >= 3) {
    const at = m.index + m[0].length;
    return `${answer.slice(0, at)} ${q}${answer.slice(at)}`;
  }
  // Before the first lowercase verb-like word after the subject.
  const v = /\s([a-z]+(?:s|ed))\b/.exec(answer.slice(4));
  if (v === null) return undefined;
  const at = 4 + v.index;
  return `${answer.slice(0, at)} ${q}${answer.slice(at)}`;
}

function flip(answer: string): string | undefined {
  for (const [a, b] of FLIPS)
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const re = new RegExp(`\\b${x}\\b`);
      if (re.test(answer)) return answer.replace(re, y);
    }
  return undefined;
}

function edit(r: Rand, kind: EditKind, answer: string, context: string): string | undefined {
  switch (kind) {
    case 'number':
      return changeNumber(r, answer, context);
    case 'entity_moved':
      return moveEntity(r, answer, context);
    case 'entity_swap':
      return swapEntities(r, answer);
    case 'negation':
      return negate(answer);
    case 'qualifier':
      return qualify(r, answer);
    case 'direction':
      return flip(answer);
  }
}

// Paraphrase noise for the grounded side (and so for its edited twin): summaries and RAG answers
// reword their sources, and a set of verbatim copies would make every unsupported word look damning.
const SYNONYMS: readonly [RegExp, string][] = [
  [/\buses\b/, 'employs'],
  [/\bshows\b/, 'displays'],
  [/\bneeds\b/, 'requires'],
  [/\bgets\b/, 'receives'],
  [/\bmakes\b/, 'creates'],
  [/\bstarts\b/, 'begins'],
  [/\bbig\b/, 'large'],
  [/\babout\b/, 'roughly'],
  [/\bhelps\b/, 'assists'],
  [/\bbuilds\b/, 'constructs'],
  [/\bkeeps\b/, 'retains'],
  [/\bruns\b/, 'executes'],
  [/\bsays\b/, 'states'],
  [/\bfinds\b/, 'locates'],
  [/\bchecks\b/, 'verifies'],
  [/\bwrites\b/, 'stores'],
  [/\bsends\b/, 'transmits'],
  [/\bled\b/, 'headed'],
  [/\bemploys\b/, 'has a staff of'],
  [/\bdriven by\b/, 'thanks to'],
  [/\bsaid\b/, 'stated'],
  [/\bexpect\b/, 'predict'],
  [/\bpeople\b/, 'staff'],
  [/\bmost of them\b/, 'the majority'],
  [/\bfounded\b/, 'established'],
  [/\bapproved\b/, 'endorsed'],
  [/\breported\b/, 'announced'],
];
const FILLERS = /\s\b(?:also|then|now|already|currently|truly|really|just|simply|still)\b/g;

function paraphrase(r: Rand, s: string): string {
  let out = s.replace(FILLERS, '');
  for (const [re, to] of SYNONYMS) if (re.test(out) && r() < 0.7) out = out.replace(re, to);
  // Sometimes drop a trailing clause, as a summary would.
  const cut = out.search(/;\s|, which\s|, so\s/);
  if (cut > 40 && r() < 0.4) out = `${out.slice(0, cut)}.`;
  return out;
}

/** A grounded answer from sentence `i`: reworded, compressed (no parentheticals), sometimes joined to the next. */
function groundedAnswer(r: Rand, sentences: readonly string[], i: number): string {
  let s = paraphrase(r, (sentences[i] as string).replace(/\s*\([^)]*\)/g, ''));
  const next = sentences[i + 1];
  if (next !== undefined && r() < 0.3 && s.length + next.length < 320)
    s = `${s.replace(/[.!?]$/, '')}, and ${/^(?:The|It|Its|This|These|That|A|An|Each|Every|Both)\b/.test(next) ? `${next[0]?.toLowerCase()}${next.slice(1)}` : next}`;
  return s;
}

const KINDS: readonly EditKind[] = [
  'number',
  'entity_moved',
  'entity_swap',
  'negation',
  'qualifier',
  'direction',
];

export function buildSynthRows(seed = 20_261_203): SynthRow[] {
  const r = rng(seed);
  const rows: SynthRow[] = [];
  const sources: [SynthRow['source'], string[]][] = [
    ['docs', docContexts()],
    ['briefs', briefContexts(160, seed)],
  ];
  for (const [source, contexts] of sources) {
    contexts.forEach((context, c) => {
      const sentences = splitSentences(context.replace(/\n\n/g, ' ')).filter(
        (s) => s.split(' ').length >= 7 && s.length <= 300,
      );
      if (sentences.length === 0) return;
      // Try sentences and edit kinds in a seeded order until one edit applies.
      const order = [...sentences.keys()].sort(() => r() - 0.5);
      const kinds = [...KINDS].sort(() => r() - 0.5);
      for (const i of order.slice(0, 4)) {
        const grounded = groundedAnswer(r, sentences, i);
        for (const kind of kinds) {
          const bad = edit(r, kind, grounded, context);
          if (bad === undefined || bad === grounded) continue;
          const id = `${source}-${c}`;
          rows.push({
            id: `${id}-g`,
            source,
            kind: 'none',
            question: '',
            context,
            answer: grounded,
            label: 'grounded',
          });
          rows.push({
            id: `${id}-h`,
            source,
            kind,
            question: '',
            context,
            answer: bad,
            label: 'hallucinated',
          });
          return;
        }
      }
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? OUT;
  const rows = buildSynthRows();
  writeFileSync(out, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  const kinds = new Map<string, number>();
  for (const row of rows)
    if (row.label === 'hallucinated') kinds.set(row.kind, (kinds.get(row.kind) ?? 0) + 1);
  console.log(
    `${rows.length} rows to ${path.relative(process.cwd(), out)}; edits: ${JSON.stringify(Object.fromEntries(kinds))}`,
  );
}
