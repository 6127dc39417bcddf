/**
 * How the rule for established topics (`ESTABLISHED_SIZE`: two topics of
 * that many questions each merge only when sure) behaves off banking77's
 * own shape: the set as it is (its order and five shuffles), streamed three
 * times over (each question asked three times, so an intent's topics grow
 * to ≈ 117 questions), and cut to its first 15 or 25 questions an intent.
 * NMI / ARI / topics after the end-of-stream passes, per limit.
 *
 * Usage: npx node tools/topics/established.ts <file.jsonl> [SIZES=40,1e9]
 *
 * Measured 2026-12-05 on banking77.dev (the student), 40 against no limit:
 *   as it is, mean of 6 orders   0.700 / 0.344 / 130   0.693 / 0.327 / 119
 *   three times over             0.713 / 0.383 / 159   0.690 / 0.333 / 114
 *   15 an intent, mean of 8      0.718 / 0.308 / 98    the same
 *   25 an intent, mean of 8      0.713 / 0.334 / 111   0.709 / 0.317 / 110
 * A limit of 1.75× the space's mean topic size (measured once with the
 * clusterer patched; the tune half's pick): 0.697 / 0.339 / 124, three
 * times over 0.696 / 0.353 / 112, cut to 15 and 25 an intent 0.719 / 0.310
 * / 98 and 0.713 / 0.334 / 111.
 */
import { DEFAULT_BUILTIN_EMBEDDER, TopicClusterer } from '../../collector/src/enrich/topics/clusterer.ts';
import {
  type IntentRow,
  partitionFigures,
  readIntentRows,
  shuffledOrders,
} from '../../collector/src/eval/topics.ts';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: established.ts <file.jsonl>');
const all = await readIntentRows(file);
const sizes = (process.env.SIZES ?? '40,1e9').split(',').map(Number);

function figures(rows: readonly IntentRow[], establishedSize: number) {
  const c = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, establishedSize });
  const ids = rows.map((r) => c.assign('eval', r.text));
  c.maintain({ final: true });
  return partitionFigures(
    ids.map((id) => c.resolve('eval', id) ?? id),
    rows,
  );
}
function mean(sets: readonly (readonly IntentRow[])[], size: number): string {
  const fs = sets.map((rows) => figures(rows, size));
  const m = (k: 'nmi' | 'ari' | 'topics') => fs.reduce((a, f) => a + f[k], 0) / fs.length;
  return `${m('nmi').toFixed(3)} / ${m('ari').toFixed(3)} / ${Math.round(m('topics'))}`;
}
function firstPerIntent(rows: readonly IntentRow[], per: number): IntentRow[] {
  const seen = new Map<string, number>();
  return rows.filter((r) => {
    const n = seen.get(r.intent) ?? 0;
    seen.set(r.intent, n + 1);
    return n < per;
  });
}

const [again, andAgain] = shuffledOrders(all, 2);
const thrice = [...all, ...(again ?? []), ...(andAgain ?? [])];
const cut = (per: number) => {
  const rows = firstPerIntent(all, per);
  return [rows, ...shuffledOrders(rows, 7)];
};
for (const size of sizes) {
  console.log(`established at ${size}:`);
  console.log(`  as it is, mean of 6 orders   ${mean([all, ...shuffledOrders(all, 5)], size)}`);
  console.log(`  three times over             ${mean([thrice], size)}`);
  console.log(`  15 an intent, mean of 8      ${mean(cut(15), size)}`);
  console.log(`  25 an intent, mean of 8      ${mean(cut(25), size)}`);
}
