/**
 * The 95 % Wilson score interval of a rate: what the gap tracker ranks topics
 * by and the feedback report quotes, so that 1 of 1 does not outrank 40 of 50.
 * Grafana's panels compute the same in SQL (grafana/src/clickhouse.ts).
 */
export function wilson(k: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n);
  return {
    low: Math.max(0, (centre - half) / (1 + z2 / n)),
    high: Math.min(1, (centre + half) / (1 + z2 / n)),
  };
}
