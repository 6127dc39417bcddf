/**
 * Grouped, label-stratified k-fold splits. Rows linked by an explicit
 * `item_id`/`template_id` or by near-duplicate text land in the same fold, and
 * so does everything linked to them in turn, so a held-out fold never contains
 * a near copy of a training row.
 */
import { seededRandom } from '@oversight/scorers';
import type { LabelledRow } from './dataset.ts';

function shingles(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  if (words.length < 3) {
    out.add(words.join(' '));
    return out;
  }
  for (let i = 0; i + 3 <= words.length; i++) out.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let inter = 0;
  for (const s of small) if (large.has(s)) inter++;
  return inter / (a.size + b.size - inter);
}

/**
 * Group key per row: its connected component when rows sharing an explicit
 * group and rows whose word-3-gram Jaccard is ≥ threshold are linked. An id
 * alone cannot stand for the group: datasets give copies of one text different
 * ids (or none), and those copies must not straddle a split either.
 */
export function groupKeys(rows: readonly LabelledRow[], threshold = 0.5): string[] {
  const parent = rows.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const firstOfGroup = new Map<string, number>();
  rows.forEach((r, i) => {
    if (r.group === undefined) return;
    const first = firstOfGroup.get(r.group);
    if (first === undefined) firstOfGroup.set(r.group, i);
    else parent[find(i)] = find(first);
  });
  const sets = rows.map((r) => shingles(r.text));
  for (let i = 0; i < rows.length; i++) {
    const si = sets[i] as Set<string>;
    for (let j = i + 1; j < rows.length; j++) {
      const sj = sets[j] as Set<string>;
      // Jaccard ≥ t needs the smaller set to be at least t times the larger.
      if (Math.min(si.size, sj.size) < threshold * Math.max(si.size, sj.size)) continue;
      if (find(i) !== find(j) && jaccard(si, sj) >= threshold) parent[find(i)] = find(j);
    }
  }
  return rows.map((_, i) => `c:${find(i)}`);
}

/**
 * Fold index (0..k-1) per row, every fold holding some. Throws when the rows
 * form fewer than k groups (few rows, or a chain of overlapping texts that
 * links them): a fold would score nothing, and the figures would mean
 * nothing.
 */
export function assignFolds(rows: readonly LabelledRow[], k: number, seed = 20250101): number[] {
  const keys = groupKeys(rows);
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  const random = seededRandom(seed);
  const order = [...groups.values()].map((members) => ({ members, r: random() }));
  // Big groups first, so the greedy fill stays balanced.
  order.sort((a, b) => b.members.length - a.members.length || a.r - b.r);
  const posCount = new Array<number>(k).fill(0);
  const negCount = new Array<number>(k).fill(0);
  const folds = new Array<number>(rows.length).fill(0);
  for (const { members } of order) {
    const pos = members.filter((i) => rows[i]?.positive).length;
    const counts = pos * 2 >= members.length ? posCount : negCount;
    let best = 0;
    for (let f = 1; f < k; f++) if ((counts[f] as number) < (counts[best] as number)) best = f;
    for (const i of members) folds[i] = best;
    posCount[best] = (posCount[best] as number) + pos;
    negCount[best] = (negCount[best] as number) + members.length - pos;
  }
  if (groups.size < k) {
    const largest = order[0]?.members.length ?? 0;
    throw new Error(
      `cross-validation needs ${k} folds, but the ${rows.length} rows form ${groups.size} groups (rows sharing an id or near-duplicate text stay together; the largest holds ${largest})`,
    );
  }
  // Few groups of a label fill the same first folds: a fold left empty takes the smallest group
  // of the fold holding the most, so every fold trains on less and scores something.
  const groupsIn = (f: number) => order.filter((g) => folds[g.members[0] as number] === f);
  for (let f = 0; f < k; f++) {
    if ((posCount[f] as number) + (negCount[f] as number) > 0) continue;
    let donor = 0;
    for (let d = 1; d < k; d++) if (groupsIn(d).length > groupsIn(donor).length) donor = d;
    const moved = groupsIn(donor).at(-1)?.members ?? [];
    const pos = moved.filter((i) => rows[i]?.positive).length;
    for (const i of moved) folds[i] = f;
    posCount[f] = pos;
    negCount[f] = moved.length - pos;
    posCount[donor] = (posCount[donor] as number) - pos;
    negCount[donor] = (negCount[donor] as number) - (moved.length - pos);
  }
  return folds;
}
