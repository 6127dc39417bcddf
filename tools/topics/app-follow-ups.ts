/**
 * Follow-ups sent with an app's own query embeddings (USE-lite vectors
 * standing in for the app's), on a set whose rows may carry `earlier`
 * (tools/data/topics/chat-intents.follow-ups.jsonl, or follow-ups.ts's OUT).
 * Three ways, NMI / ARI (topics) in the file's order and over ten seeded
 * orders of the rows, then the first questions alone in the file's order:
 *   - composed: each follow-up's vector is of the reading topics compose
 *     for it, which no app sends (what the eval sent before 2026-12-05);
 *   - as sent: of the message as the user sent it, placed by it, as an app
 *     that retrieves with the bare follow-up embeds it;
 *   - joins what it follows: the same vectors, a follow-up joining the topic
 *     of the question it follows (`RowEmbedding.asSent`, as the collector's
 *     `PlacedQuestions`), or read by the built-in embedder when that
 *     question has not come yet (a shuffled order).
 *
 * Usage: npx node tools/topics/app-follow-ups.ts <file.jsonl>
 *
 * Measured 2026-12-05: docs/topics.md, "Follow-ups".
 */
import { encodeRows } from '../../collector/src/eval/topic-tasks.ts';
import {
  clusterRows,
  type IntentRow,
  partitionFigures,
  type RowEmbedding,
  readIntentRows,
  shuffledOrders,
} from '../../collector/src/eval/topics.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: app-follow-ups.ts <file.jsonl>');
const rows = await readIntentRows(file);
const vectors = await encodeRows(rows, (m) => console.error(m));
const vectorOf = (text: string) => vectors.get(text) as Float32Array;
const id = `app:${vectorOf((rows[0] as IntentRow).text).length}`;
const sent = (r: IntentRow) => vectorOf(r.followed?.asked ?? r.text);
const ways: Record<string, RowEmbedding> = {
  composed: { id, vector: (r) => vectorOf(r.text) },
  'as sent': { id, vector: sent },
  'joins what it follows': { id, vector: sent, asSent: true },
};

const fmt = (r: { nmi: number; ari: number; topics: number }) =>
  `${r.nmi.toFixed(3)} / ${r.ari.toFixed(3)} (${r.topics})`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const orders = shuffledOrders(rows, 10);
const first = rows.map((r) => r.followed === undefined);
console.log(`${file}: ${rows.length} rows, ${first.filter((f) => !f).length} follow-ups`);
for (const [name, embedding] of Object.entries(ways)) {
  const ids = clusterRows(rows, {}, 'eval', embedding).topicIds;
  const shuffled = orders.map((o) => partitionFigures(clusterRows(o, {}, 'eval', embedding).topicIds, o));
  const firstOnly = partitionFigures(
    ids.filter((_, i) => first[i]),
    rows.filter((_, i) => first[i]),
  );
  console.log(
    `${name.padEnd(22)} ${fmt(partitionFigures(ids, rows))}; over ten orders ` +
      `${mean(shuffled.map((r) => r.nmi)).toFixed(3)} / ${mean(shuffled.map((r) => r.ari)).toFixed(3)}; ` +
      `first questions ${fmt(firstOnly)}`,
  );
}
