/**
 * How near a question is to a topic (the cosine to its centroid) and two
 * topics are to each other (average linkage, against their own cohesion),
 * and the best two topics a search keeps.
 */
import type { Topic } from './space.ts';

/** Sparse queries (the hashed embedder's) touch only their non-zero slots. */
export function nonZero(q: Float32Array): { nz: number[]; sparse: boolean } {
  const nz: number[] = [];
  for (let i = 0; i < q.length; i++) if (q[i] !== 0) nz.push(i);
  return { nz, sparse: nz.length < q.length / 4 };
}

/** Cosine between a unit query and a topic's centroid (its running sum), over `dims` when the query is sparse. */
export function similarity(q: Float32Array, t: Topic, dims: number[] | undefined): number {
  if (t.sqNorm <= 0) return 0;
  const sum = t.sum;
  let dot = 0;
  if (dims) for (const i of dims) dot += (q[i] as number) * (sum[i] as number);
  else for (let i = 0; i < q.length; i++) dot += (q[i] as number) * (sum[i] as number);
  return dot / Math.sqrt(t.sqNorm);
}

/**
 * Share of two topics' own cohesion their linkage must reach to merge. Picked
 * on half of banking77's intents (tools/topics/experiment.ts: 0.3 over 0 and
 * 0.5); it is what keeps two tight topics that share a word ("card payment
 * declined", "change card pin") apart while a project's vocabulary is young.
 * For the student's geometry (judge-student.ts, 2026-12-05) 0.2 ties with
 * 0.3 (tune score 1.168) and 0.4 scores 1.146, so one share serves both.
 */
const COHESION_SHARE = 0.3;

/**
 * Average linkage: the mean cosine between a question of one topic and a
 * question of the other, from the running sums alone (questions are unit
 * vectors). Unlike the cosine of the two centroids, it stays low for a pair
 * of loose topics, so merging does not chain diffuse topics together. Two
 * topics whose questions are far more alike within each than across score
 * -1: they are distinct however high the plain linkage.
 */
export function linkage(a: Topic, b: Topic, base = 0): number {
  let dot = 0;
  const x = a.sum;
  const y = b.sum;
  for (let i = 0; i < x.length; i++) dot += (x[i] as number) * (y[i] as number);
  const between = dot / (a.size * b.size);
  if (a.size > 1 && b.size > 1) {
    // Mean cosine between two different questions of one topic: ‖sum‖² counts
    // each question with itself once. Cohesion is compared above the space's baseline.
    const within = (t: Topic) => (t.sqNorm - t.size) / (t.size * (t.size - 1)) - base;
    const wa = within(a);
    const wb = within(b);
    if (wa > 0 && wb > 0 && between - base < COHESION_SHARE * Math.sqrt(wa * wb)) return -1;
  }
  return between;
}

export interface Nearest {
  best: Topic | undefined;
  bestSim: number;
  second: Topic | undefined;
  secondSim: number;
}

/**
 * Keeps the best two; ties go to the lower slot, the order a scan of the list
 * meets them in, so every search path picks what the linear scan picks.
 */
export function consider(top: Nearest, t: Topic, sim: number): void {
  if (sim > top.bestSim || (sim === top.bestSim && t.slot < (top.best as Topic).slot)) {
    top.second = top.best;
    top.secondSim = top.bestSim;
    top.best = t;
    top.bestSim = sim;
  } else if (sim > top.secondSim || (sim === top.secondSim && t.slot < (top.second as Topic).slot)) {
    top.second = t;
    top.secondSim = sim;
  }
}
