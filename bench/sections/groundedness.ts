/**
 * Groundedness throughput: a 300-word answer against 2,000 words of retrieved
 * context, pairs per second on one core, next to the lexical word-overlap
 * baseline (share of answer words found in the context) in the same run. Three
 * ways: the context indexed per pair (worst case: the 400 contexts rotate
 * through `indexContext`'s few-entry cache, so every pair indexes its context),
 * indexed once and reused (the per-trace case: one index, every generation of
 * the trace), and the per-call latency p50/p99 of the reused case, which is
 * what `guard.output` adds; beside it, a context passed as text again right
 * after it was indexed (found in that cache).
 */
import { answerRelevance, contextRelevance, groundedness, indexContext } from '@oversight/scorers';
import { texts } from '../corpus.ts';
import { printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { quantile, round } from '../stats.ts';

const CONTEXT_WORDS = 2_000;
const ANSWER_WORDS = 300;

function words(text: string, n: number): string {
  return text.split(/\s+/).slice(0, n).join(' ');
}

/** The answer reuses context sentences, with every third number changed, as a RAG answer with slips would. */
function answerFrom(context: string, n: number, seed: number): string {
  const sentences = context.split(/(?<=[.!?])\s+/);
  const out: string[] = [];
  let count = 0;
  for (let i = seed % 7; count < n && sentences.length > 0; i += 3) {
    let s = sentences[i % sentences.length] as string;
    if (i % 9 === 0) s = s.replace(/\d+/, (d) => String(Number(d) + 1));
    out.push(s);
    count += s.split(/\s+/).length;
  }
  return words(out.join(' '), n);
}

function overlapBaseline(answer: string, context: string): number {
  const have = new Set(context.toLowerCase().match(/[\p{L}\d]+/gu) ?? []);
  const ws = answer.toLowerCase().match(/[\p{L}\d]+/gu) ?? [];
  let found = 0;
  for (const w of ws) if (have.has(w)) found++;
  return ws.length > 0 ? found / ws.length : 1;
}

function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

export const groundednessSection: Section = {
  name: 'groundedness',
  description: `groundedness pairs/s per core (${ANSWER_WORDS}-word answer vs ${CONTEXT_WORDS}-word context), vs word overlap`,
  async run({ quick }: SectionOptions): Promise<Figures> {
    const pairs = quick ? 100 : 400;
    const contexts = texts(pairs, CONTEXT_WORDS * 7, 11).map((t) => words(t, CONTEXT_WORDS));
    const answers = contexts.map((c, i) => answerFrom(c, ANSWER_WORDS, i));
    const questions = texts(pairs, 120, 5);
    let sink = 0;
    const run = {
      overlap: () => {
        for (let i = 0; i < pairs; i++) sink += overlapBaseline(answers[i] as string, contexts[i] as string);
      },
      perPair: () => {
        for (let i = 0; i < pairs; i++)
          sink += groundedness(answers[i] as string, contexts[i] as string).score;
      },
      all3: () => {
        for (let i = 0; i < pairs; i++) {
          const index = indexContext(contexts[i] as string);
          const q = questions[i] as string;
          sink += groundedness(answers[i] as string, index, { question: q }).score;
          sink += answerRelevance(q, answers[i] as string).score + contextRelevance(q, index).score;
        }
      },
    };
    for (const fn of Object.values(run)) fn();
    const rounds = quick ? 1 : 3;
    const cpu: Record<keyof typeof run, number[]> = { overlap: [], perPair: [], all3: [] };
    for (let r = 0; r < rounds; r++)
      for (const k of Object.keys(run) as (keyof typeof run)[]) cpu[k].push(cpuMs(run[k]));
    const rate = (k: keyof typeof run) => (pairs / Math.min(...cpu[k])) * 1000;

    // Per-call latency with the context already indexed (the guard / per-trace path).
    const indexes = contexts.map((c) => indexContext(c));
    const lat: number[] = [];
    for (let r = 0; r < (quick ? 1 : 3); r++)
      for (let i = 0; i < pairs; i++) {
        const t0 = performance.now();
        sink += groundedness(answers[i] as string, indexes[i] as ReturnType<typeof indexContext>).score;
        lat.push(performance.now() - t0);
      }
    // The same text passed again (another answer against one retrieval): found in the cache.
    const again: number[] = [];
    for (let i = 0; i < pairs; i++) {
      indexContext(contexts[i] as string);
      const t0 = performance.now();
      sink += groundedness(answers[i] as string, contexts[i] as string).score;
      again.push(performance.now() - t0);
    }
    const indexMs: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const t0 = performance.now();
      indexContext(contexts[i] as string);
      indexMs.push(performance.now() - t0);
    }
    if (Number.isNaN(sink)) console.log('unreachable');
    const figures = {
      overlapPairsPerCoreS: Math.round(rate('overlap')),
      groundednessPairsPerCoreS: Math.round(rate('perPair')),
      allThreePairsPerCoreS: Math.round(rate('all3')),
      reusedIndexP50Ms: round(quantile(lat, 0.5), 3),
      reusedIndexP99Ms: round(quantile(lat, 0.99), 3),
      cachedContextP50Ms: round(quantile(again, 0.5), 3),
      indexContextP50Ms: round(quantile(indexMs, 0.5), 3),
    };
    printTable(
      `groundedness: ${pairs} pairs, ${ANSWER_WORDS}-word answers vs ${CONTEXT_WORDS}-word contexts (best of ${rounds}, CPU time)`,
      ['scorer', 'pairs/s per core'],
      [
        ['word overlap (baseline)', figures.overlapPairsPerCoreS],
        ['groundedness, context indexed per pair', figures.groundednessPairsPerCoreS],
        ['groundedness + answer and context relevance', figures.allThreePairsPerCoreS],
      ],
    );
    printTable(
      'groundedness latency per call',
      ['case', 'p50 ms', 'p99 ms'],
      [
        ['context already indexed (guard / per trace)', figures.reusedIndexP50Ms, figures.reusedIndexP99Ms],
        [
          'same context text as the call before (index cache)',
          figures.cachedContextP50Ms,
          round(quantile(again, 0.99), 3),
        ],
        ['indexContext of 2,000 words', figures.indexContextP50Ms, round(quantile(indexMs, 0.99), 3)],
      ],
    );
    return figures;
  },
};
