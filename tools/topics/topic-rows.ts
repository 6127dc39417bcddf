/**
 * What the `topics` table takes in while a `{text, intent}` set streams in at
 * a steady rate: the rows the clusterer snapshots after each batch (one a
 * trace-stage flush) and their JSON, rewriting a changed topic every batch
 * against at most once a minute (`--topic-rows-every-seconds`), and what
 * waits for the clean stop.
 *
 * Usage: npx node tools/topics/topic-rows.ts <rows.jsonl>
 *
 * Measured 2026-12-07 on banking77.dev (student): docs/topics.md, "Restarts".
 */
import { readFileSync } from 'node:fs';
import { TopicClusterer } from '../../collector/src/enrich/topics/clusterer.ts';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: topic-rows.ts <rows.jsonl>');
const texts = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { text: string }).text);

for (const perSecond of [100, 25, 10]) {
  for (const everyMs of [0, 60_000]) {
    const c = new TopicClusterer();
    let rows = 0;
    let bytes = 0;
    let ms = 0;
    // A batch a second, as the trace stage flushes.
    for (let i = 0; i < texts.length; i += perSecond) {
      for (const text of texts.slice(i, i + perSecond)) c.assign('p', text);
      c.maintain({ projects: new Set(['p']), flush: true });
      ms += 1_000;
      const snapshot = c.snapshot({ changedOnly: true, at: new Date(ms), everyMs });
      rows += snapshot.length;
      bytes += snapshot.reduce((n, r) => n + JSON.stringify(r).length, 0);
    }
    const atStop = c.snapshot({ changedOnly: true }).length;
    console.log(
      `${perSecond} questions/s, rows every ${everyMs / 1_000} s: ${c.size} topics; ${rows} rows ` +
        `(${(rows / texts.length).toFixed(2)} a question) + ${atStop} at the stop; ` +
        `${(bytes / 1e6).toFixed(1)} MB of JSON (${(bytes / texts.length / 1e3).toFixed(1)} KB a question)`,
    );
  }
}
