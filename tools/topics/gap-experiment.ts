/**
 * Knowledge-base gap signals on the kb-gaps protocol (eval README), each
 * alone and blended with the question's topic, to choose what
 * `oversight eval --task kb-gaps` scores. Online throughout: a question sees
 * its topic as it stands when it arrives.
 *
 * Usage: npx node tools/topics/gap-experiment.ts <file.jsonl>
 *
 * Measured 2026-12-03 on banking77.dev (AUROC, positive = gap intent):
 *   1 − top-1 similarity 0.760; 1 − mean top-3 0.775; top-1 minus mean
 *   top-10 (peakedness) 0.686. IDF also learned from the questions: 0.760
 *   (mean top-3); centred on the documents' mean: 0.759.
 *   Mean top-3 blended with the topic's shrunk mean score:
 *     shrink 2: weight 0.5 0.806, 0.7 0.806, 1 (topic only) 0.781
 *     shrink 5: weight 0.5 0.808, 0.7 0.813, 1 (topic only) 0.787
 *   Shipped: the even blend with the tracker's shrink 5 (the prior, not the
 *   best cell); the eval prints 0.817 with the calibrated percentile score.
 *   Since 2026-12-04 the own evidence is the top score judged against the
 *   question's nearness to earlier questions (peer-nearness.ts): the eval
 *   prints 0.855.
 */
import { HashedEmbedder } from '@oversight/scorers/embed';
import { TopicClusterer } from '../../collector/src/enrich/topics/clusterer.ts';
import { gapIntentsFor, splitKnowledgeBase } from '../../collector/src/eval/kb-gaps.ts';
import { auroc } from '../../collector/src/eval/metrics.ts';
import { readIntentRows } from '../../collector/src/eval/topics.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: gap-experiment.ts <file.jsonl>');
const rows = await readIntentRows(file);
const gapIntents = gapIntentsFor(file, rows);
const { docs, stream } = splitKnowledgeBase(rows, gapIntents);
const positives = stream.map((r) => gapIntents.has(r.intent));

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function unit(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v));
  return v.map((x) => (n > 0 ? x / n : 0));
}

/** Every question's similarities to the documents, best first. */
function retrievalSims(learnQueries: boolean, centre: boolean): number[][] {
  const e = new HashedEmbedder();
  for (const d of docs) e.observe(d);
  let dv = docs.map((d) => e.embedOne(d, false));
  const mu = new Float32Array(dv[0]?.length ?? 0);
  if (centre) {
    for (const v of dv)
      for (let i = 0; i < mu.length; i++) mu[i] = (mu[i] as number) + (v[i] as number) / dv.length;
    dv = dv.map((v) => unit(v.map((x, i) => x - (mu[i] as number))));
  }
  return stream.map((r) => {
    let q = e.embedOne(r.text, learnQueries);
    if (centre) q = unit(q.map((x, i) => x - (mu[i] as number)));
    return dv.map((d) => dot(q, d)).sort((a, b) => b - a);
  });
}

const report = (name: string, scores: number[]) =>
  console.log(`${name.padEnd(44)} auroc ${auroc(scores, positives).toFixed(3)}`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

for (const [learnQueries, centre] of [
  [false, false],
  [true, false],
  [false, true],
] as const) {
  const sims = retrievalSims(learnQueries, centre);
  const tag = `${learnQueries ? 'idf+questions ' : ''}${centre ? 'centred ' : ''}`;
  report(
    `${tag}1 - top1`,
    sims.map((s) => 1 - (s[0] as number)),
  );
  const own = sims.map((s) => 1 - mean(s.slice(0, 3)));
  report(`${tag}1 - mean top3`, own);
  report(
    `${tag}peakedness`,
    sims.map((s) => mean(s.slice(0, 10)) - (s[0] as number)),
  );
  for (const shrink of [2, 5])
    for (const weight of [0.5, 0.7, 1]) {
      const clusterer = new TopicClusterer();
      const stats = new Map<string, [number, number]>();
      let sum = 0;
      let n = 0;
      const blended = stream.map((r, i) => {
        const id = clusterer.assign('p', r.text);
        const s = own[i] as number;
        const st = stats.get(id) ?? [0, 0];
        st[0] += s;
        st[1]++;
        stats.set(id, st);
        sum += s;
        n++;
        const topicMean = (st[0] + shrink * (sum / n)) / (st[1] + shrink);
        return (1 - weight) * s + weight * topicMean;
      });
      report(`${tag}with topic, shrink ${shrink}, weight ${weight}`, blended);
    }
}
