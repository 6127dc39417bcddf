/**
 * Judges a sentence student the way its thresholds are picked: online
 * through the clusterer, hashed features beside the student (share 0.4, as
 * `HashedEmbedder.withStudent()`), assign and merge bars picked on the
 * even-numbered half of a labelled set's intents (tools/topics/protocol.ts)
 * by mean NMI + ARI over the file's order and four seeded shuffles of that
 * half, any order over 2× the half's intents scoring −1; then NMI / ARI /
 * topics on the held-out half, on the whole file, and over ten shuffled
 * orders of it (`shuffledOrders`, the eval's `--draws`). The sure bar is 3×
 * the merge bar (topic-thresholds.ts). Several orders, because the clusterer
 * is online and one order's pick moves between neighbouring cells from one
 * student to the next.
 *
 * Usage: npx node tools/embed/judge-student.ts <file.jsonl> [student.bin]
 * Env: ASSIGN, MERGE (comma lists; 0.45–0.7 and 0.12–0.22 by default),
 *      SHARE (the student's share of the cosine, STUDENT_SHARE as shipped),
 *      ALSO (comma list of other `{text, intent}` files, reported at the
 *      picked bars: a check on data the pick never saw), ESTABLISHED (the
 *      clusterer's `establishedSize`), TUNE_ORDERS (shuffles of the tune half
 *      beside its file order, 4).
 *
 * ESTABLISHED at the shipped bars (ASSIGN=0.6 MERGE=0.16), 2026-12-05:
 * tune score over 1 + 4 orders (over 1 + 15), held-out half, whole file in
 * its order, whole file over ten orders (NMI / ARI (topics)):
 *   no limit  1.156 (1.088)  0.763/0.507 (77)  0.692/0.327 (117)  0.696/0.324 (121)
 *   64        1.156           0.763/0.507 (77)  0.692/0.327 (117)  0.699/0.337 (121)
 *   48        1.163 (1.092)  0.763/0.507 (77)  0.695/0.337 (118)  0.700/0.341 (122)
 *   40        1.165 (1.093)  0.763/0.507 (77)  0.698/0.337 (133)  0.705/0.352 (131)  shipped
 *   32        1.161 (0.904)  0.769/0.520 (78)  0.700/0.343 (139)  0.709/0.360 (138)
 *   24        0.345 (0.338)  0.769/0.521 (80)  0.704/0.346 (148)  0.713/0.366 (151)
 *   16        0.130           0.771/0.516 (88)  0.713/0.355 (170)  0.719/0.362 (174)
 * (a score under 1 is an order over 2× the tune half's intents). With the
 * bars picked again for each limit, 48, 40 and 32 keep 0.6 / 0.16, and 24 picks
 * 0.5 / 0.12 (1.163; whole file 0.685/0.335, 105 topics).
 */
import { readFileSync } from 'node:fs';
import {
  HashedEmbedder,
  SentenceStudent,
  STUDENT_SHARE,
  STUDENT_TOPIC_THRESHOLDS,
} from '@oversight/scorers/embed';
import {
  clusterRows,
  type IntentRow,
  partitionFigures,
  readIntentRows,
  shuffledOrders,
} from '../../collector/src/eval/topics.ts';
import { intentHalves } from '../topics/protocol.ts';

const [file, studentFile] = process.argv.slice(2);
if (!file) throw new Error('usage: judge-student.ts <file.jsonl> [student.bin]');
const rows = await readIntentRows(file);
const student = studentFile
  ? SentenceStudent.parse(readFileSync(studentFile), studentFile)
  : SentenceStudent.shipped();
// The shipped geometry: the student's share of the cosine and its sure bar as a multiple of the merge bar.
const SHARE = Number(process.env.SHARE ?? STUDENT_SHARE);
const { merge: shippedMerge, sure: shippedSure = 2 * shippedMerge } = STUDENT_TOPIC_THRESHOLDS;
const SURE_FACTOR = shippedSure / shippedMerge;
const TUNE_ORDERS = Number(process.env.TUNE_ORDERS ?? 4);
const ESTABLISHED = process.env.ESTABLISHED ? Number(process.env.ESTABLISHED) : undefined;
const ALL_ORDERS = 10;

function figures(part: readonly IntentRow[], assign: number, merge: number) {
  // A fresh embedder per pass: its IDF table and running mean are the stream's own.
  const e = new HashedEmbedder({ wordTable: student, wordShare: SHARE });
  const embedding = { id: 'judge', vector: (r: IntentRow) => e.embedOne(r.text) };
  const options = {
    thresholdsFor: () => ({ assign, merge, sure: SURE_FACTOR * merge }),
    establishedSize: ESTABLISHED,
  };
  return partitionFigures(clusterRows(part, options, 'p', embedding).topicIds, part);
}
const list = (name: string, d: string) => (process.env[name] ?? d).split(',').map(Number);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (r: { nmi: number; ari: number; topics: number }) =>
  `${r.nmi.toFixed(3)} / ${r.ari.toFixed(3)} (${Math.round(r.topics)})`;

const { tune, held } = intentHalves(rows);
const tuneOrders = [tune, ...shuffledOrders(tune, TUNE_ORDERS)];
let best: { assign: number; merge: number; score: number } | undefined;
for (const assign of list('ASSIGN', '0.45,0.5,0.55,0.6,0.65,0.7'))
  for (const merge of list('MERGE', '0.12,0.14,0.16,0.18,0.2,0.22')) {
    const score = mean(
      tuneOrders.map((o) => {
        const r = figures(o, assign, merge);
        return r.nmi + r.ari - (r.topicsPerIntent > 2 ? 1 : 0);
      }),
    );
    if (!best || score > best.score) best = { assign, merge, score };
  }
if (!best) throw new Error('empty grid');
const { assign, merge, score } = best;
const others = shuffledOrders(rows, ALL_ORDERS).map((o) => figures(o, assign, merge));
console.log(
  `${studentFile ?? 'shipped student'}: assign ${assign}, merge ${merge}, tune score ${score.toFixed(3)}`,
);
console.log(`  held-out half      ${fmt(figures(held, assign, merge))}`);
console.log(`  all, file order    ${fmt(figures(rows, assign, merge))}`);
const overOrders = (rs: readonly { nmi: number; ari: number; topics: number }[]) =>
  fmt({
    nmi: mean(rs.map((r) => r.nmi)),
    ari: mean(rs.map((r) => r.ari)),
    topics: mean(rs.map((r) => r.topics)),
  });
console.log(`  all, ${ALL_ORDERS} orders     ${overOrders(others)}`);
for (const also of (process.env.ALSO ?? '').split(',').filter(Boolean)) {
  const alsoRows = await readIntentRows(also);
  const orders = shuffledOrders(alsoRows, ALL_ORDERS).map((o) => figures(o, assign, merge));
  console.log(
    `  ${also}: file order ${fmt(figures(alsoRows, assign, merge))}, ${ALL_ORDERS} orders ${overOrders(orders)}`,
  );
}
