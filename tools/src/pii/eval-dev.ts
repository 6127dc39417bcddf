/**
 * Dev tool: row-level precision/recall/F1 of piiScorer on a presidio-style JSONL file and
 * per-entity recall (an entity counts as found when a finding above the threshold overlaps it).
 *
 *   npx node tools/src/pii/eval-dev.ts ../shared/eval/pii.dev.jsonl [--errors]
 */
import { readFileSync } from 'node:fs';
import { piiScorer } from '@oversight/scorers';

interface Row {
  id: string;
  text: string;
  label: string;
  spans?: { start: number; end: number; entity_type: string }[];
}

const [file = '../shared/eval/pii.dev.jsonl', ...flags] = process.argv.slice(2);
const rows: Row[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
let tp = 0;
let fp = 0;
let fn = 0;
const perType = new Map<string, { found: number; total: number }>();
for (const row of rows) {
  const r = piiScorer.score(row.text);
  const gold = row.label === 'pii';
  if (r.flagged && gold) tp++;
  else if (r.flagged) fp++;
  else if (gold) fn++;
  const hits = r.evidence.filter((e) => (e.weight ?? 0) >= piiScorer.threshold);
  for (const s of row.spans ?? []) {
    const t = perType.get(s.entity_type) ?? { found: 0, total: 0 };
    t.total++;
    if (hits.some((e) => (e.start ?? 0) < s.end && (e.end ?? 0) > s.start)) t.found++;
    perType.set(s.entity_type, t);
  }
  if (flags.includes('--errors') && r.flagged !== gold) {
    console.log(
      gold ? 'FN' : 'FP',
      JSON.stringify(row.text.slice(0, 160)),
      r.explanation,
      JSON.stringify(r.evidence.map((e) => e.text)),
    );
  }
}
const precision = tp / (tp + fp);
const recall = tp / (tp + fn);
console.log(
  `rows=${rows.length} tp=${tp} fp=${fp} fn=${fn} precision=${precision.toFixed(3)} recall=${recall.toFixed(3)} f1=${((2 * precision * recall) / (precision + recall)).toFixed(3)}`,
);
for (const [type, t] of [...perType].sort((a, b) => b[1].total - a[1].total)) {
  console.log(`  ${type.padEnd(18)} ${t.found}/${t.total} = ${(t.found / t.total).toFixed(2)}`);
}
