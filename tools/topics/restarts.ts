/**
 * Clustering across restarts: the rows in file order through one clusterer,
 * which at each given point is snapshot, sent through JSON (as the rows go to
 * the topics table and back) and restored into a fresh clusterer with a fresh
 * built-in embedder, as a restarted collector does; the rest of the stream
 * goes to that one. NMI / ARI and the number of topics at the end.
 *
 * Usage: npx node tools/topics/restarts.ts <file.jsonl> [student|hashed]
 *   [AT=',1500,2500,500;1000;1500;2000;2500']   (restart points; '' = none)
 *
 * Measured 2026-12-05 on banking77.dev (NMI / ARI, topics for 77 intents):
 *   restarted after   student: before          with nameNearest        hashed: before          with it
 *   never             0.691 / 0.326, 117       the same                0.665 / 0.307, 152      the same
 *   1,500             0.700 / 0.333, 149       0.699 / 0.345, 127      0.661 / 0.302, 149      0.656 / 0.296, 136
 *   2,500             0.708 / 0.340, 176       0.689 / 0.323, 107      0.661 / 0.307, 153      0.659 / 0.301, 148
 *   every 500         0.710 / 0.295, 268       0.709 / 0.355, 116      0.668 / 0.303, 163      0.655 / 0.288, 134
 * Before, the pairs waiting for a later merge pass, and those named since
 * the last one, were lost with the process, and a pair is named only by a
 * question landing between its two topics: the restarted clusterer's first
 * pass merged nothing of what was there (64 questions of
 * tools/data/topics/chat-intents.jsonl restored: 62 topics stay 62 where the
 * live clusterer's pass leaves 43; 44 with it). The NMI before rose as it
 * rewards splitting: 268 topics is 3.5× the intents. Naming each topic's
 * nearest alone recovered less (student: 126, 124 and 156 topics).
 * Naming again on a schedule without restarts (every 2, 4 or 8 scheduled
 * passes, a scratch variant) merges more on the same curve and no better:
 * file order 0.679–0.691 NMI at 104–106 topics, ten orders 0.690–0.693
 * against 0.696; not shipped.
 */
import { BUILTIN_EMBEDDERS, TopicClusterer } from '../../collector/src/enrich/topics/clusterer.ts';
import { partitionFigures, readIntentRows } from '../../collector/src/eval/topics.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: restarts.ts <file.jsonl> [student|hashed]');
const name = (process.argv[3] ?? 'student') as keyof typeof BUILTIN_EMBEDDERS;
const rows = await readIntentRows(file);
const fresh = () => new TopicClusterer({ builtinEmbedder: BUILTIN_EMBEDDERS[name] });

for (const points of (process.env.AT ?? ',1500,2500,500;1000;1500;2000;2500').split(',')) {
  const at = new Set(points ? points.split(';').map(Number) : []);
  let c = fresh();
  let ids: string[] = [];
  rows.forEach((r, i) => {
    if (at.has(i)) {
      // Ids handed out so far, as their rows now name them (merges rename topics).
      ids = ids.map((id) => c.resolve('p', id) ?? id);
      const snapshot = JSON.parse(JSON.stringify(c.snapshot()));
      c = fresh();
      const { errors } = c.restore(snapshot);
      if (errors.length > 0) throw new Error(errors.join('\n'));
    }
    ids.push(c.assign('p', r.text));
  });
  c.maintain({ final: true });
  const f = partitionFigures(
    ids.map((id) => c.resolve('p', id) ?? id),
    rows,
  );
  console.log(
    `${name}, restarted after [${points.replaceAll(';', ', ')}]: NMI ${f.nmi.toFixed(3)} ARI ${f.ari.toFixed(3)}, ${f.topics} topics`,
  );
}
