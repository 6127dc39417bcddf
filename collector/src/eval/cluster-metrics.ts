/** Agreement between a clustering and gold labels: NMI (arithmetic-mean normalisation, as scikit-learn) and ARI. */

function contingency(pred: readonly string[], gold: readonly string[]) {
  if (pred.length !== gold.length) throw new Error(`${pred.length} predictions for ${gold.length} labels`);
  const cells = new Map<string, number>();
  const rows = new Map<string, number>();
  const cols = new Map<string, number>();
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] as string;
    const g = gold[i] as string;
    cells.set(`${p}\u0000${g}`, (cells.get(`${p}\u0000${g}`) ?? 0) + 1);
    rows.set(p, (rows.get(p) ?? 0) + 1);
    cols.set(g, (cols.get(g) ?? 0) + 1);
  }
  return { cells, rows, cols, n: pred.length };
}

function entropy(counts: Iterable<number>, n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

export function nmi(pred: readonly string[], gold: readonly string[]): number {
  const { cells, rows, cols, n } = contingency(pred, gold);
  if (n === 0) return Number.NaN;
  let mi = 0;
  for (const [key, c] of cells) {
    const [p, g] = key.split('\u0000') as [string, string];
    mi += (c / n) * Math.log((c * n) / ((rows.get(p) as number) * (cols.get(g) as number)));
  }
  const hp = entropy(rows.values(), n);
  const hg = entropy(cols.values(), n);
  if (hp === 0 && hg === 0) return 1;
  const denom = (hp + hg) / 2;
  return denom > 0 ? Math.max(0, mi / denom) : 0;
}

const pairs = (x: number) => (x * (x - 1)) / 2;

export function ari(pred: readonly string[], gold: readonly string[]): number {
  const { cells, rows, cols, n } = contingency(pred, gold);
  let index = 0;
  for (const c of cells.values()) index += pairs(c);
  let a = 0;
  for (const c of rows.values()) a += pairs(c);
  let b = 0;
  for (const c of cols.values()) b += pairs(c);
  const expected = (a * b) / pairs(n);
  const max = (a + b) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
