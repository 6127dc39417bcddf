/**
 * Step 5 of the distillation: averages the weights of students fine-tuned
 * from one start (tune-student.ts with different SEEDs: the same student, the
 * same corpora, other batches), a "model soup". Runs tuned from one start
 * stay in one basin, so their mean is a student of the same shape and cost
 * whose errors, the seeds' own, partly cancel. Rows are averaged as the
 * numbers the student computes with (scale × int8) and quantised again.
 *
 * Usage: npx node tools/embed/soup-student.ts <out.bin> <tuned.bin> <tuned.bin>...
 *
 * Shipped scorers/src/models/student-en.bin (2026-12-04): the soup of
 * SEEDs 777–780 (tune-student.ts's defaults, its 65,000 sentences). Judged
 * by judge-student.ts (thresholds picked per student on the tune half over
 * five orders; NMI / ARI (topics)); every row picked assign 0.6, merge 0.16:
 *                                tune score  held-out            all, file order     all, 10 orders
 *   SEED 777                     1.160       0.766/0.520 (73)    0.693/0.339 (117)   0.696/0.333 (121)
 *   SEED 778 (shipped before)    1.164       0.764/0.517 (75)    0.689/0.319 (118)   0.695/0.324 (119)
 *   SEED 779                     1.165       0.769/0.525 (76)    0.695/0.331 (118)   0.695/0.330 (120)
 *   SEED 780                     1.161       0.768/0.524 (71)    0.691/0.328 (116)   0.695/0.328 (120)
 *   SEED 781                     1.162       0.759/0.507 (73)    0.690/0.321 (113)   0.694/0.328 (118)
 *   SEED 782                     1.152       0.759/0.511 (75)    0.692/0.330 (121)   0.695/0.323 (120)
 *   soup 777 + 778               1.158       0.768/0.534 (70)    0.691/0.330 (113)   0.696/0.326 (120)
 *   soup 777–779                 1.163       0.771/0.532 (74)    0.692/0.328 (119)   0.698/0.331 (121)
 *   soup 777–780 (SHIPPED)       1.168       0.770/0.531 (76)    0.692/0.328 (113)   0.696/0.324 (121)
 *   soup 777–782                 1.163       0.767/0.531 (74)    0.687/0.321 (118)   0.696/0.327 (120)
 * Six single runs average tune 1.161, held-out 0.764/0.517, all 0.692/0.328;
 * the four soups 1.163, 0.769/0.532, 0.691/0.327. What the soups gain is on
 * the held-out half (+0.005 NMI, +0.015 ARI); on the whole file they are
 * level with the single runs. `oversight eval --task kb-gaps` with the
 * shipped soup: gap AUROC 0.848 (seed 778 alone: 0.848), top-8 precision
 * 0.647 (0.644), over ten draws 0.762 ± 0.046 and 0.508 ± 0.154 (0.761 ±
 * 0.046 and 0.454 ± 0.164).
 * Halfway between the untuned student and seed 778 (WiSE-FT style) scored
 * 1.146: the soup helps among tuned runs, not towards the start.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeStudent, SentenceStudent, type StudentWeights } from '@oversight/scorers/embed';

const [output, ...inputs] = process.argv.slice(2);
if (!output || inputs.length < 2)
  throw new Error('usage: soup-student.ts <out.bin> <tuned.bin> <tuned.bin>...');
const students = inputs.map((file) => SentenceStudent.parse(readFileSync(file), file).weights());
const first = students[0] as StudentWeights;
for (const [i, w] of students.entries()) {
  if (JSON.stringify(w.shape) !== JSON.stringify(first.shape))
    throw new Error(`${inputs[i]}: shape ${JSON.stringify(w.shape)}, not ${JSON.stringify(first.shape)}`);
  if (w.words.length !== first.words.length || w.words.some((word, k) => word !== first.words[k]))
    throw new Error(`${inputs[i]}: another vocabulary; only students tuned from one start can be averaged`);
}
const mean = (part: 'gates' | 'rows' | 'w1' | 'b1' | 'w2' | 'b2' | 'p'): Float64Array => {
  const out = new Float64Array(first[part].length);
  for (const w of students) {
    const values = w[part];
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (values[i] as number);
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / students.length;
  return out;
};
const soup = encodeStudent({
  shape: first.shape,
  words: first.words,
  gates: mean('gates'),
  rows: mean('rows'),
  w1: mean('w1'),
  b1: mean('b1'),
  w2: mean('w2'),
  b2: mean('b2'),
  p: mean('p'),
});
writeFileSync(output, soup);
console.log(
  `wrote ${output}: the mean of ${students.length} students, ${(soup.length / 2 ** 20).toFixed(2)} MiB`,
);
