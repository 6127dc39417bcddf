/**
 * `toxicity=0.7,pii=0.6`: per-evaluator decision thresholds from the
 * collector config. Unknown names and values outside [0, 1] are refused at
 * start, so a typo cannot silently leave the shipped threshold in place.
 */
export function parseEvaluatorThresholds(spec: string, known: readonly string[]): Record<string, number> {
  const thresholds: Record<string, number> = {};
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = (eq === -1 ? entry : entry.slice(0, eq)).trim().toLowerCase();
    const valueText = eq === -1 ? '' : entry.slice(eq + 1).trim();
    if (!known.includes(name))
      throw new Error(`evaluator threshold for unknown evaluator "${name}"; known: ${known.join(', ')}`);
    const value = valueText === '' ? Number.NaN : Number(valueText);
    if (!(value >= 0 && value <= 1))
      throw new Error(`evaluator threshold ${name}=${valueText} must be a number in [0, 1]`);
    thresholds[name] = value;
  }
  return thresholds;
}
