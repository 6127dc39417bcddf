/**
 * Judges a distilled student (or word table) next to the hashed features the
 * way the clusterer is being rebuilt: small pure micro-topics (merging off),
 * then average-linkage merges (sim(A, B) = dot(sumA, sumB) / (nA·nB)) cut at
 * 2×, 1.6×, 1.3× and 1× the number of intents (154/124/100/77 on banking77).
 * The same simulation as /work/briefs/s5/micro-harness.ts, with constants
 * picked honestly: the share and assign threshold are chosen on the
 * even-numbered intents (sorted names) by mean NMI + ARI at the 2× and 1.6×
 * cuts, then reported on the odd half ("held") and on all rows; plus the
 * retrieval half of the kb-gaps protocol (gap AUROC, as tools/embed/sweep.ts).
 *
 * Usage: npx node tools/embed/student-harness.ts <file.jsonl> <variant>...
 *   variant: hashed | table=<word-table.bin> | student=<student.bin> | use=<rows.f32> (online-centred
 *   encoder vectors of the file's rows, encode-rows.ts: the ceiling)
 * Env: SHARE, ASSIGN (comma lists).
 */
import { readFileSync } from 'node:fs';
import { HashedEmbedder, normalizeInPlace, SentenceStudent, WordTable } from '@oversight/scorers/embed';
import { ari, nmi } from '../../collector/src/eval/cluster-metrics.ts';
import { clusterRows, type IntentRow, readIntentRows } from '../../collector/src/eval/topics.ts';
import { intentHalves, retrievalGapAuroc } from '../topics/protocol.ts';

const [file, ...variants] = process.argv.slice(2);
if (!file || variants.length === 0) throw new Error('usage: student-harness.ts <file.jsonl> <variant>...');
const rows = await readIntentRows(file);
const list = (name: string, dflt: string) => (process.env[name] ?? dflt).split(',').map(Number);

/** An embedder factory per variant and share; `use` is handled apart (fixed vectors). */
function embedderFor(variant: string, share: number): HashedEmbedder {
  const [kind, path] = variant.split('=');
  if (kind === 'hashed') return new HashedEmbedder();
  if (kind === 'table')
    return new HashedEmbedder({
      wordTable: WordTable.parse(readFileSync(path as string), path),
      wordShare: share,
    });
  if (kind === 'student')
    return new HashedEmbedder({
      wordTable: SentenceStudent.parse(readFileSync(path as string), path),
      wordShare: share,
    });
  throw new Error(`unknown variant ${variant}`);
}

const useCache = new Map<string, Float32Array>();
function vectorsFor(variant: string, share: number, part: readonly IntentRow[]): Float32Array[] {
  const [kind, path] = variant.split('=');
  if (kind !== 'use') {
    const e = embedderFor(variant, share);
    return part.map((r) => e.embedOne(r.text));
  }
  // The encoder's vectors by row index of the file, centred online on the rows before.
  let raw = useCache.get(path as string);
  if (!raw) {
    raw = new Float32Array(new Uint8Array(readFileSync(path as string)).buffer);
    useCache.set(path as string, raw);
  }
  const at = new Map(rows.map((r, i) => [r, i]));
  const mu = new Float64Array(512);
  let seen = 0;
  const h = new HashedEmbedder();
  return part.map((r) => {
    const i = at.get(r) as number;
    const u = normalizeInPlace(raw.slice(i * 512, i * 512 + 512));
    const c = seen === 0 ? u : normalizeInPlace(u.map((x, j) => x - (mu[j] as number)));
    seen++;
    for (let j = 0; j < 512; j++) mu[j] = (mu[j] as number) + ((u[j] as number) - (mu[j] as number)) / seen;
    const hv = h.embedOne(r.text);
    const o = new Float32Array(hv.length + 512);
    o.set(
      hv.map((x) => x * Math.sqrt(1 - share)),
      0,
    );
    o.set(
      c.map((x) => x * Math.sqrt(share)),
      hv.length,
    );
    return o;
  });
}

/** NMI/ARI at each cut of the average-linkage merge of the micro-topics. */
function micro(part: readonly IntentRow[], vs: Float32Array[], assign: number) {
  const gold = part.map((r) => r.intent);
  const k0 = new Set(gold).size;
  const cuts = [2, 1.6, 1.3, 1].map((f) => Math.round(f * k0));
  const { topicIds } = clusterRows(
    part,
    // Taken as they are: the vectors arrive as app embeddings, which would otherwise be calibrated.
    { thresholdsFor: () => ({ assign, merge: 2 }), absorbThreshold: 2 },
    'p',
    {
      id: 'v',
      vector: (_, i) => vs[i] as Float32Array,
    },
  );
  const ids = [...new Set(topicIds)];
  const at = new Map(ids.map((t, i) => [t, i]));
  const m = ids.length;
  const D = (vs[0] as Float32Array).length;
  const sums = ids.map(() => new Float64Array(D));
  const n = new Float64Array(m);
  topicIds.forEach((t, i) => {
    const k = at.get(t) as number;
    n[k] = (n[k] as number) + 1;
    const v = vs[i] as Float32Array;
    const s = sums[k] as Float64Array;
    for (let d = 0; d < D; d++) s[d] = (s[d] as number) + (v[d] as number);
  });
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += (a[d] as number) * (b[d] as number);
    return s;
  };
  const M = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = i + 1; j < m; j++) {
      const v = dot(sums[i] as Float64Array, sums[j] as Float64Array) / ((n[i] as number) * (n[j] as number));
      M[i * m + j] = v;
      M[j * m + i] = v;
    }
  const alive = new Uint8Array(m).fill(1);
  const lab = Array.from({ length: m }, (_, i) => i);
  const out = new Map<number, { nmi: number; ari: number }>();
  const record = (k: number) => {
    const L = topicIds.map((t) => String(lab[at.get(t) as number]));
    out.set(k, { nmi: nmi(L, gold), ari: ari(L, gold) });
  };
  let k = m;
  for (const c of cuts) if (k <= c && !out.has(c)) record(c);
  while (k > k0) {
    let bi = -1;
    let bj = -1;
    let bv = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < m; i++)
      if (alive[i])
        for (let j = i + 1; j < m; j++)
          if (alive[j] && (M[i * m + j] as number) > bv) {
            bv = M[i * m + j] as number;
            bi = i;
            bj = j;
          }
    for (let j = 0; j < m; j++)
      if (alive[j] && j !== bi && j !== bj) {
        const v =
          ((M[bi * m + j] as number) * (n[bi] as number) + (M[bj * m + j] as number) * (n[bj] as number)) /
          ((n[bi] as number) + (n[bj] as number));
        M[bi * m + j] = v;
        M[j * m + bi] = v;
      }
    n[bi] = (n[bi] as number) + (n[bj] as number);
    alive[bj] = 0;
    for (let i = 0; i < m; i++) if (lab[i] === bj) lab[i] = bi;
    k--;
    if (cuts.includes(k)) record(k);
  }
  return { micro: m, cuts, at: out };
}

function gapAuroc(variant: string, share: number): number {
  if (variant.startsWith('use')) return Number.NaN;
  return retrievalGapAuroc(file as string, rows, embedderFor(variant, share));
}

const { tune, held } = intentHalves(rows);
const fmt = (res: ReturnType<typeof micro>) =>
  res.cuts.map((c) => `${c}: ${res.at.get(c)?.nmi.toFixed(3)}/${res.at.get(c)?.ari.toFixed(3)}`).join('  ');

for (const variant of variants) {
  let best: { share: number; assign: number; score: number; line: string } | undefined;
  const shares = variant === 'hashed' ? [0] : list('SHARE', '0.3,0.4,0.5,0.6');
  for (const share of shares)
    for (const assign of list('ASSIGN', '0.3,0.4,0.5')) {
      const res = micro(tune, vectorsFor(variant, share, tune), assign);
      const [c2, c16] = res.cuts;
      const a = res.at.get(c2 as number);
      const b = res.at.get(c16 as number);
      if (!a || !b) continue;
      const score = (a.nmi + a.ari + b.nmi + b.ari) / 2;
      const line = `share ${share} assign ${assign} micro ${res.micro}  ${fmt(res)}`;
      if (process.env.VERBOSE) console.log(`  ${variant} tune ${line}`);
      if (!best || score > best.score) best = { share, assign, score, line };
    }
  if (!best) continue;
  const h = micro(held, vectorsFor(variant, best.share, held), best.assign);
  const all = micro(rows, vectorsFor(variant, best.share, rows), best.assign);
  console.log(`${variant}\n  tune  ${best.line}\n  held  ${fmt(h)}\n  all   micro ${all.micro}  ${fmt(all)}`);
  console.log(`  gap auroc ${gapAuroc(variant, best.share).toFixed(3)}`);
}
