/**
 * What the two topic indexes (centroid-index.ts for sparse spaces,
 * projected-index.ts for dense ones) share: adding columns of per-slot
 * values into the partial scores, raising the bar by probing the best
 * partials exactly, and listing the slots that can still reach it, best first.
 */

/** Slots probed (exactly scored) to raise the bar. */
export const PROBE = 4;
/** How many times PROBE slots a probe looks at, in partial order, to find PROBE the caller would pick. */
const PROBE_SPAN = 4;

/** The `k` slots of best score among the first `n`, best first (ties by slot). */
export function bestSlots(scores: Float64Array, n: number, k: number): number[] {
  const top: number[] = [];
  let low = -Infinity;
  for (let slot = 0; slot < n; slot++) {
    const p = scores[slot] as number;
    if (p <= low) continue;
    // A short sorted list, best first; most slots fail the test above.
    let i = top.length < k ? top.length : k - 1;
    while (i > 0 && (scores[top[i - 1] as number] as number) < p) i--;
    top.splice(i, 0, slot);
    if (top.length > k) top.pop();
    if (top.length === k) low = scores[top[k - 1] as number] as number;
  }
  return top;
}

/**
 * The `places`-th best `exact` cosine among the PROBE slots of best partial
 * that the caller would pick (−Infinity when fewer than `places`). When it
 * would not pick some (`exact` −Infinity: a search among eligible topics
 * only), the next best partials stand in, up to PROBE × PROBE_SPAN slots
 * looked at: with few eligible topics, the first PROBE are often none.
 */
export function probe(
  scores: Float64Array,
  n: number,
  exact: (slot: number) => number,
  places: 1 | 2,
): number {
  let best = -Infinity;
  let second = -Infinity;
  let scored = 0;
  let looked = 0;
  for (const span of [PROBE, PROBE * PROBE_SPAN]) {
    const top = bestSlots(scores, n, span);
    for (const slot of top.slice(looked)) {
      const c = exact(slot);
      if (c === -Infinity) continue;
      if (c > best) {
        second = best;
        best = c;
      } else if (c > second) second = c;
      if (++scored === PROBE) break;
    }
    if (scored === PROBE || top.length < span) break;
    looked = top.length;
  }
  return places === 1 ? best : second;
}

/**
 * Writes to `listed` the live slots among the first `n` whose score reaches
 * `need` (every live slot when `need` ≤ 0), best score first, ties by slot;
 * returns how many.
 */
export function listReaching(
  scores: Float64Array,
  sqNorms: Float64Array,
  n: number,
  need: number,
  listed: Int32Array,
): number {
  let count = 0;
  if (need <= 0) {
    for (let slot = 0; slot < n; slot++) if ((sqNorms[slot] as number) > 0) listed[count++] = slot;
  } else for (let slot = 0; slot < n; slot++) if ((scores[slot] as number) >= need) listed[count++] = slot;
  listed.subarray(0, count).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return count;
}

/**
 * scores[slot] += Σ wᵢ colᵢ[slot] over four columns for the first `n` slots,
 * in one pass: each score is loaded and stored once per four columns.
 */
export function addColumns4(
  scores: Float64Array,
  n: number,
  cols: readonly [Float32Array, Float32Array, Float32Array, Float32Array],
  ws: readonly [number, number, number, number],
): void {
  const [c0, c1, c2, c3] = cols;
  const [w0, w1, w2, w3] = ws;
  for (let slot = 0; slot < n; slot++)
    scores[slot] =
      (scores[slot] as number) +
      (w0 * (c0[slot] as number) +
        w1 * (c1[slot] as number) +
        w2 * (c2[slot] as number) +
        w3 * (c3[slot] as number));
}

/** scores[slot] += w col[slot] for the first `n` slots. */
export function addColumn(scores: Float64Array, n: number, col: Float32Array, w: number): void {
  for (let slot = 0; slot < n; slot++) scores[slot] = (scores[slot] as number) + w * (col[slot] as number);
}
