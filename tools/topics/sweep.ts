/**
 * Chooses the clusterer's constants on half of a labelled set's intents and
 * reports the other half, so the shipped constants are not fitted to the rows
 * they are judged on. Usage: npx node tools/topics/sweep.ts <file.jsonl>
 */
import { evaluateTopics, readIntentRows } from '../../collector/src/eval/topics.ts';
import { intentHalves } from './protocol.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: sweep.ts <file.jsonl>');
const rows = await readIntentRows(file);
const { tune, held } = intentHalves(rows);
const assigns = (process.env.ASSIGN ?? '0.24,0.28,0.32,0.36,0.40').split(',').map(Number);
const merges = (process.env.MERGE ?? '0.45,0.55,0.65').split(',').map(Number);
const absorbs = (process.env.ABSORB ?? '0.12').split(',').map(Number);
const fmt = (r: ReturnType<typeof evaluateTopics>) =>
  `nmi ${r.nmi.toFixed(3)} ari ${r.ari.toFixed(3)} topics ${r.topics}/${r.intents} singletons ${(r.singletonShare * 100).toFixed(0)}%`;
let best: { a: number; m: number; b: number; score: number } | undefined;
for (const a of assigns) {
  for (const m of merges) {
    for (const b of absorbs) {
      const r = evaluateTopics(tune, 'tune', { assignThreshold: a, mergeThreshold: m, absorbThreshold: b });
      const score = r.ari + r.nmi - (r.topicsPerIntent > 2 ? 1 : 0);
      console.log(`tune  assign ${a} merge ${m} absorb ${b}: ${fmt(r)}`);
      if (!best || score > best.score) best = { a, m, b, score };
    }
  }
}
if (best) {
  const r = evaluateTopics(held, 'held', {
    assignThreshold: best.a,
    mergeThreshold: best.m,
    absorbThreshold: best.b,
  });
  console.log(`held-out intents with assign ${best.a} merge ${best.m} absorb ${best.b}: ${fmt(r)}`);
}
