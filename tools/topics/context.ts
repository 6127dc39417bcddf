/**
 * A copy of a `{text, intent}` set where some questions come after a
 * sentence of context that says nothing of what is asked ("I'm travelling
 * next week. Can I use my card in Spain?"), to measure how far a shared
 * context pulls questions of different intents together. Each question gets
 * one with probability RATE: with CONTEXT=fixed one of ten sentences, with
 * CONTEXT=varied (the default) one of 64 made of a person and a situation
 * ("My son just moved to a new city."). Seeded, so a set gets the same
 * contexts every run. Real contexts vary more, and often carry the subject
 * ("I lost my card. What should I do?"), which this copy never does: it
 * measures the harm, not the help.
 *
 * Usage: npx node tools/topics/context.ts <in.jsonl> <out.jsonl>
 * Env: CONTEXT (fixed | varied), RATE (0.5), SEED (7).
 *
 * Measured 2026-12-05 (NMI / ARI in the file's order, then the mean of ten
 * seeded orders and topics per intent), before and after topics read a
 * request that stands alone without its context (scorers/src/embed/request.ts):
 *                               before                               after
 *   banking77.dev, fixed        0.529/0.159 (126); 0.533/0.162 1.71×   0.579/0.223 (129); 0.580/0.218 1.72×
 *   banking77.dev, varied       0.454/0.094 (115); 0.462/0.095 1.60×   0.524/0.156 (128); 0.531/0.164 1.64×
 *   banking77.dev as it is      0.688/0.320 (117); 0.696/0.327 1.56×   0.691/0.326 (117); 0.696/0.331 1.56×
 *   chat-intents, varied        0.675/0.335 (30); 0.691/0.344 1.88×    the same: its requests do not ask with "?"
 *   chat-intents as it is       0.881/0.746 (24); 0.872/0.713 1.68×    the same
 * In the file's order, `hashed` and `use` (before → after): banking77 fixed
 * 0.455 → 0.510 and 0.564 → 0.617, varied 0.422 → 0.494 and 0.511 → 0.565,
 * as it is 0.666 → 0.665 and 0.724 → 0.720.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { seededRandom } from '@oversight/scorers';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: context.ts <in.jsonl> <out.jsonl>');
const kind = process.env.CONTEXT ?? 'varied';
if (kind !== 'fixed' && kind !== 'varied') throw new Error(`CONTEXT must be fixed or varied, got ${kind}`);
const rate = Number(process.env.RATE ?? 0.5);
const random = seededRandom(Number(process.env.SEED ?? 7));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

const FIXED = [
  "I'm travelling next week.",
  'I have a quick question.',
  'Sorry to bother you again.',
  "I've been a customer for years.",
  'My friend recommended you.',
  'I tried to figure this out myself.',
  "This is the second time I'm asking.",
  "I'm writing from my phone.",
  "I'm in a bit of a hurry.",
  'I read your help page already.',
];
const WHO = ['I', 'My husband', 'My wife', 'My son', 'My daughter', 'My colleague', 'My mother', 'My friend'];
const SITUATION = [
  'was on holiday last month',
  'just moved to a new city',
  'started a new job recently',
  'has been busy all week',
  'is travelling abroad right now',
  'got back from a trip yesterday',
  'was reading the website earlier',
  'spoke to someone on the phone before',
];
// "I has been": the person's verb agrees.
const agree = (who: string, situation: string) =>
  who === 'I' ? situation.replace(/^has /, 'have ').replace(/^is /, 'am ') : situation;

const lines = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
let told = 0;
const out = lines.map((line) => {
  const row = JSON.parse(line) as { text: string; intent: string };
  if (random() >= rate) return JSON.stringify({ text: row.text, intent: row.intent });
  told++;
  // Drawn in both modes, so both copies put a context before the same questions.
  const who = pick(WHO);
  const context = kind === 'fixed' ? pick(FIXED) : `${who} ${agree(who, pick(SITUATION))}.`;
  return JSON.stringify({ text: `${context} ${row.text}`, intent: row.intent });
});
writeFileSync(output, `${out.join('\n')}\n`);
console.log(`${out.length} rows, ${told} after a context → ${output}`);
