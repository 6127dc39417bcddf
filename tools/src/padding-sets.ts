/**
 * The harmless text tools/src/padding-eval.ts and ngram-window-eval.ts pad
 * attacks with and test long documents on: HaluEval knowledge paragraphs and
 * SummEdits documents of the shared eval sets (long, harmless, the retrieved
 * context a RAG app passes through the scorers), ordinary questions and
 * off-topic ones from tools/data. Same seeds, same texts in both scripts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@oversight/scorers';
import { TRAINING_DATA_DIR } from './data-dir.ts';

export function jsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const unique = (xs: string[]) => [...new Set(xs)];

const trainingRows = (name: string) =>
  jsonl(fileURLToPath(new URL(name, TRAINING_DATA_DIR))).map((r) => String(r.text));

export interface PaddingSets {
  knowledge: string[];
  documents: string[];
  ordinary: string[];
  offTopic: string[];
  /** Harmless text of about `length` characters, whole sentences from the knowledge, documents and ordinary pools. */
  padding(random: () => number, length: number): string;
  /** `text` with 500–5,000 characters of that padding before it, after it, or both. */
  padded(random: () => number, text: string, where: 'before' | 'after' | 'both'): string;
}

/** The sets, read from the shared eval directory `dir` and tools/data. */
export function paddingSets(dir: string): PaddingSets {
  const knowledge = unique(jsonl(join(dir, 'halueval-qa.dev.jsonl')).map((r) => String(r.context)));
  const documents = unique(jsonl(join(dir, 'summedits.dev.jsonl')).map((r) => String(r.context)));
  const ordinary = trainingRows('ordinary.jsonl');
  const offTopic = trainingRows('off-topic.jsonl');
  const padding = (random: () => number, length: number): string => {
    const pool = [knowledge, documents, ordinary];
    let out = '';
    while (out.length < length) {
      const source = pool[Math.floor(random() * pool.length)] as string[];
      const text = source[Math.floor(random() * source.length)] as string;
      const sentences = text.split(/(?<=[.?!])\s+/);
      const from = Math.floor(random() * sentences.length);
      for (let i = from; i < sentences.length && out.length < length; i++) out += `${sentences[i]} `;
      out = `${out.trimEnd()}\n\n`;
    }
    return out;
  };
  const padded = (random: () => number, text: string, where: 'before' | 'after' | 'both'): string => {
    const length = 500 + Math.floor(random() * 4500);
    if (where === 'before') return `${padding(random, length)}${text}`;
    if (where === 'after') return `${text}\n\n${padding(random, length)}`;
    return `${padding(random, length / 2)}${text}\n\n${padding(random, length / 2)}`;
  };
  return { knowledge, documents, ordinary, offTopic, padding, padded };
}

/**
 * 200 long harmless chats (10–39 turns, a line each: BANKING77's held-out
 * half, the off-topic and ordinary rows), seeded, as both scripts read them.
 */
export async function longChats(dir: string, sets: PaddingSets): Promise<string[]> {
  const { heldOutOrdinaryRows } = await import('../../collector/src/eval/train.ts');
  const banking = (await heldOutOrdinaryRows(dir)).map((r) => r.text);
  const pool = [...banking, ...sets.offTopic, ...sets.ordinary];
  const random = seededRandom(7);
  const chats: string[] = [];
  for (let i = 0; i < 200; i++) {
    const turns: string[] = [];
    const n = 10 + Math.floor(random() * 30);
    for (let k = 0; k < n; k++) turns.push(pool[Math.floor(random() * pool.length)] as string);
    chats.push(turns.join('\n'));
  }
  return chats;
}

/** `n` seeded documents of about `length` characters, each texts of `pool` joined by `joiner`. */
export function concatenations(
  pool: string[],
  n: number,
  length: number,
  seed: number,
  joiner = '\n\n',
): string[] {
  const random = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let doc = '';
    while (doc.length < length) doc += `${pool[Math.floor(random() * pool.length)] as string}${joiner}`;
    out.push(doc.trimEnd());
  }
  return out;
}

/** The long harmless sets both scripts report false positives on, named as they print them. */
export async function longHarmlessSets(dir: string, sets: PaddingSets): Promise<[string, string[]][]> {
  const { knowledge, documents } = sets;
  return [
    [`HaluEval knowledge (${knowledge.length})`, knowledge],
    [`SummEdits documents (${documents.length})`, documents],
    ['knowledge ~5 kB (100)', concatenations(knowledge, 100, 5_000, 1)],
    ['knowledge ~20 kB (100)', concatenations(knowledge, 100, 20_000, 2)],
    ['documents ~20 kB (50)', concatenations(documents, 50, 20_000, 3)],
    ['mixed ~20 kB (50)', concatenations([...knowledge, ...documents], 50, 20_000, 4)],
    ['benign chats 10–40 turns (200)', await longChats(dir, sets)],
  ];
}
