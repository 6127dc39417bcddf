/**
 * How the collector's merge schedule changes the topics it finds. The eval
 * (`oversight eval --task topics`) streams a file through the clusterer with
 * scheduled merge passes only; the collector also runs a flush pass after
 * every batch of the trace stage, once a second, so a project asking one
 * question a second gets a pass after every question. This replays the file
 * with a flush pass every F questions and prints NMI / ARI / topics per F.
 *
 * Measured 2026-12-03 on banking77.dev, built-in embedder:
 *   flush pass = a full pass (merging mutual pairs of any age):
 *     F never 0.658 / 0.298 138   F 1 0.632 / 0.259 106   F 4 0.621 / 0.237 100
 *     F 16    0.631 / 0.260 107   F 64 0.639 / 0.282 119  F 128 0.650 / 0.293 123
 *   (the rule before, every pair over the bar merging at each pass: F never 0.647 / 0.287,
 *   F 32 0.625 / 0.259, F 64 0.628 / 0.259, F 128 0.642 / 0.276)
 *   flush pass = sure pairs, and mutual pairs of topics founded in this flush,
 *   among the pairs named since the last pass (shipped):
 *     F never 0.658 / 0.298 138   F 1 0.655 / 0.294 136   F 4 0.658 / 0.296 140
 *     F 16    0.659 / 0.304 134   F 64 0.653 / 0.291 146  F 128 0.659 / 0.302 146
 * So the eval's figures hold for the collector at any request rate.
 *
 * 2026-12-04, flush passes merging a burst round after round (pairs of the
 * flush's own topics judged again once a side has grown), and the student
 * given its own sure bar (3× the merge bar), F never / 1 / 4 / 16 / 64 / 128:
 *   student, before  0.700/0.332  0.684/0.319  0.686/0.321  0.681/0.308  0.688/0.325  0.680/0.309
 *   student, after   0.697/0.337  0.699/0.337  0.697/0.337  0.692/0.325  0.686/0.319  0.698/0.337
 *   hashed, after    0.658/0.298  0.655/0.294  0.658/0.296  0.661/0.302  0.646/0.276  0.650/0.287
 * The rounds cost the hashed default at large flushes: over four shuffled
 * orders, F 64 0.650 / 0.288 against 0.655 / 0.295 without them, F 128 0.652
 * / 0.291 against 0.655 / 0.294 (F 1–16 level). They are what turns a burst
 * into one topic within its flush in the student's space (enricher.test.ts).
 *
 * Usage: npx node tools/topics/flush-cadence.ts <file.jsonl> [F,...] [hashed|student]
 */

import { BUILTIN_EMBEDDERS, TopicClusterer } from '../../collector/src/enrich/topics/clusterer.ts';
import { ari, nmi } from '../../collector/src/eval/cluster-metrics.ts';
import { readIntentRows } from '../../collector/src/eval/topics.ts';

const [file, cadences = '0,1,4,16,64,128', kind = 'hashed'] = process.argv.slice(2);
if (!file) throw new Error('usage: flush-cadence.ts <file.jsonl> [F,...] [hashed|student]');
if (kind !== 'hashed' && kind !== 'student') throw new Error(`embedder: hashed or student, got ${kind}`);
const rows = await readIntentRows(file);
const gold = rows.map((r) => r.intent);
const projects = new Set(['p']);
for (const every of cadences.split(',').map(Number)) {
  const c = new TopicClusterer({ builtinEmbedder: BUILTIN_EMBEDDERS[kind] });
  const ids = rows.map((r, i) => {
    const id = c.assign('p', r.text);
    if (every > 0 && (i + 1) % every === 0) c.maintain({ projects, flush: true });
    return id;
  });
  c.maintain({ final: true });
  const topics = ids.map((id) => c.resolve('p', id) ?? id);
  const label = every > 0 ? `every ${every}` : 'never';
  console.log(
    `flush pass ${label}: NMI ${nmi(topics, gold).toFixed(3)} ARI ${ari(topics, gold).toFixed(3)} topics ${new Set(topics).size}`,
  );
}
