/**
 * A copy of a `{text, intent}` set where some questions are asked again
 * right after, word for word, as users retry a question or tap the same
 * suggested one: each with probability RATE. Seeded. The file keeps the
 * name it is given, so a copy named banking77.*.jsonl keeps BANKING77's gap
 * intents for `oversight eval --task kb-gaps`.
 *
 * Usage: npx node tools/topics/repeats.ts <in.jsonl> <out.jsonl>
 * Env: RATE (0.3), SEED (3).
 *
 * Measured 2026-12-05 with the student: docs/topics.md, "The gap score"
 * (repeats).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { seededRandom } from '@oversight/scorers';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: repeats.ts <in.jsonl> <out.jsonl>');
const rate = Number(process.env.RATE ?? 0.3);
const random = seededRandom(Number(process.env.SEED ?? 3));

const lines = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
let repeated = 0;
const out = lines.flatMap((line) => {
  const { text, intent } = JSON.parse(line) as { text: string; intent: string };
  const row = JSON.stringify({ text, intent });
  if (random() >= rate) return [row];
  repeated++;
  return [row, row];
});
writeFileSync(output, `${out.join('\n')}\n`);
console.log(`${lines.length} rows, ${repeated} asked again → ${output}`);
