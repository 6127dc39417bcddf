// Dev harness: AUROC by half (even/odd item) for choosing constants without fitting to all rows.
import { readFileSync } from 'node:fs';
import { auroc } from '../../collector/src/eval/metrics.ts';
import { groundedness } from '../src/groundedness/index.ts';

for (const f of process.argv.slice(2)) {
  const rows = readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const halves: [number[], boolean[]][] = [[[], []], [[], []]];
  const t0 = performance.now();
  rows.forEach((r: any, i: number) => {
    const g = groundedness(r.answer, r.context, { question: r.question });
    const h = halves[(String(r.item_id ?? r.id).charCodeAt(String(r.item_id ?? r.id).length - 1) + i * 0) % 2]!;
    h[0].push(1 - g.score);
    h[1].push(r.label === 'hallucinated');
  });
  const ms = performance.now() - t0;
  console.log(f.split('/').pop(), 'A', auroc(...halves[0]).toFixed(3), 'B', auroc(...halves[1]).toFixed(3), `${(ms / rows.length).toFixed(2)} ms/row`);
}
