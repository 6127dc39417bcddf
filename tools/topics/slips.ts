/**
 * A copy of a `{text, intent}` set with typing slips, to measure what the
 * built-in embedders make of questions typed fast ("csot", "paymnet",
 * "withdrawl"): each alphabetic word of four letters or more is slipped with
 * probability RATE, by one letter dropped, two swapped or one added (a third
 * each), never at the first letter. Seeded, so a set slips the same way
 * every run.
 *
 * Usage: npx node tools/topics/slips.ts <in.jsonl> <out.jsonl>
 * Env: RATE (0.15), SEED (5).
 *
 * tools/data/topics/chat-intents.slips.jsonl is this on chat-intents.jsonl
 * with the defaults (`npm run eval` clusters it; 52 of its 128 questions have
 * a slip). Measured 2026-12-05 (NMI / ARI in the file's order, then the mean
 * of ten seeded orders and topics per intent), the student before and after
 * it read a slip as the known word one slip away that the project says most
 * (scorers/src/embed/student.ts, `respelled`):
 *                               before                             after
 *   banking77.dev, slipped      0.663/0.284 (156); 0.668/0.288 2.02×   0.681/0.312 (138); 0.688/0.321 1.83×
 *   chat-intents, slipped       0.852/0.670 (27); 0.856/0.662 1.86×    0.895/0.755 (27); 0.867/0.694 1.79×
 *   banking77.dev as it is      0.698/0.328 (120); 0.696/0.330 1.54×   0.688/0.320 (117); 0.696/0.327 1.56×
 * `hashed`, which respells nothing (it has no vocabulary): slipped
 * banking77 0.655 / 0.277 at 188 topics (2.44×), chat-intents 0.750 / 0.342
 * at 55 (3.4×).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { seededRandom } from '@oversight/scorers';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: slips.ts <in.jsonl> <out.jsonl>');
const rate = Number(process.env.RATE ?? 0.15);
const random = seededRandom(Number(process.env.SEED ?? 5));
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function slip(word: string): string {
  const i = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 1 / 3) return word.slice(0, i) + word.slice(i + 1);
  if (kind < 2 / 3) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  return word.slice(0, i) + LETTERS[Math.floor(random() * LETTERS.length)] + word.slice(i);
}

const lines = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const out = lines.map((line) => {
  const row = JSON.parse(line) as { text: string; intent: string };
  const text = row.text
    .split(' ')
    .map((w) => (w.length >= 4 && /^[A-Za-z]+$/.test(w) && random() < rate ? slip(w) : w))
    .join(' ');
  return JSON.stringify({ text, intent: row.intent });
});
writeFileSync(output, `${out.join('\n')}\n`);
console.log(`${out.length} rows → ${output}`);
