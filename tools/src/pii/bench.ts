/**
 * Dev tool: latency of piiScorer.score on ~2 KB texts built from a JSONL file's `text` fields.
 *
 *   npx node tools/src/pii/bench.ts ../shared/eval/pii.dev.jsonl
 */
import { readFileSync } from 'node:fs';
import { piiScorer } from '@oversight/scorers';

const file = process.argv[2] ?? '../shared/eval/pii.dev.jsonl';
const texts: string[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l).text as string);
const docs: string[] = [];
let current = '';
for (const t of texts) {
  current += `${t}\n`;
  if (current.length >= 2048) {
    docs.push(current.slice(0, 2048));
    current = '';
  }
}
// Enough warm-up for the JIT to settle: the request path runs in a long-lived process.
for (let i = 0; i < 40; i++) for (const d of docs) piiScorer.score(d);
const times: number[] = [];
for (let round = 0; round < 20; round++) {
  for (const d of docs) {
    const t0 = performance.now();
    piiScorer.score(d);
    times.push(performance.now() - t0);
  }
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]?.toFixed(3);
console.log(
  `docs=${docs.length} samples=${times.length} median=${q(0.5)} ms p90=${q(0.9)} ms p99=${q(0.99)} ms`,
);
