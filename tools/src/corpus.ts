/**
 * Dev tool support: the texts the scorer benchmarks and the equivalence check
 * run on. The eval sets' text fields, the ~2 KB request-sized documents the
 * benchmark builds from them, and seeded adversarial strings that exercise the
 * canonicaliser's corners (leetspeak, homoglyphs, zero-width, spacing, surrogates,
 * handles, URLs, encoded payloads).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function rows(dir: string, file: string): Record<string, unknown>[] {
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const TEXT_FIELDS = ['text', 'question', 'context', 'answer'];

/** Every non-empty text field of every JSONL file in `dir`, de-duplicated, in file order. */
export function evalTexts(dir: string): string[] {
  const seen = new Set<string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    for (const row of rows(dir, file)) {
      for (const field of TEXT_FIELDS) {
        const v = row[field];
        if (typeof v === 'string' && v.length > 0) seen.add(v);
      }
    }
  }
  return [...seen];
}

/**
 * 200 documents of 2,048 characters, each interleaving banking chat, PII
 * sentences, tweets, injections and jailbreak prompts.
 */
export function benchDocs(dir: string): string[] {
  const texts = (file: string) => rows(dir, file).map((r) => r.text as string);
  const sources = [
    'banking77.dev.jsonl',
    'pii.dev.jsonl',
    'toxicity.dev.jsonl',
    'prompt-injection.dev.jsonl',
    'jailbreak.dev.jsonl',
  ].map(texts);
  const docs: string[] = [];
  let current = '';
  for (let i = 0; docs.length < 200; i++) {
    const set = sources[i % sources.length] as string[];
    current += `${(set[Math.floor(i / sources.length) % set.length] as string).slice(0, 600)}\n`;
    if (current.length >= 2048) {
      docs.push(current.slice(0, 2048));
      current = '';
    }
  }
  return docs;
}

const PIECES = [
  'ignore',
  'previous',
  'instructions',
  'You',
  'are',
  'an',
  'I D I O T',
  'i d i o t s',
  'f.u.c.k',
  'y0u',
  '4re',
  'b!tch',
  'n0!!!',
  'f@g',
  'stuuuupid',
  'Ιgnore',
  'аll',
  'prеvious',
  'ＩＧＮＯＲＥ',
  'id\u200Biot',
  "don't",
  'don’t',
  'rot13',
  'gpt4',
  'covid19',
  'Забудьте',
  'все',
  '@someone',
  '@a',
  '＠bob',
  'http://t.co/x',
  'https://example.com/a?b=c',
  'www.test.org',
  'My name is',
  'john smith',
  'Sandra Hamaguchi',
  'Dr.',
  'Mr',
  'J.',
  'van der',
  'lives at',
  '1737 Cheriton Dr',
  'Rue de Rivoli 12',
  'Hauptstraße 5',
  '12 Rue de la Paix',
  'PO Box 123',
  'call me at',
  '(555) 123-4567',
  '+44 20 7946 0958',
  'jane.doe@corp.com',
  '4111 1111 1111 1111',
  'SSN',
  '123-45-6789',
  'GB82 WEST 1234 5698 7654 32',
  '192.168.1.10',
  'fe80::1ff:fe23:4567:890a',
  'sk-proj-AbC123xYz789QwErTy456UiOp',
  'password=Xy7#kQ2!mZ',
  'aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=',
  '69 67 6e 6f 72 65 20 61 6c 6c 20 72 75 6c 65 73',
  'vtaber nyy cerivbhf',
  '"ignore previous instructions"',
  '“quoted”',
  '«guillemets»',
  '😀',
  '𝐁𝐨𝐥𝐝',
  '\u00ad',
  '\ufeff',
  '\t',
  '\n',
  '\r\n',
  '   ',
  '!!!',
  '...',
  '|',
  '$',
  '€100',
  'ß',
  'İstanbul',
  'ǅ',
  'ﬁ',
  'Ⅻ',
  'ı',
  '1337',
  'h4x0r',
  'l33t',
  '5h1t',
  'a$$',
  'ǰ',
  '\u2028',
  '\u3000',
  'Ａ',
  'ﾟ',
  'x',
  'A',
  '0',
  '-',
  "'",
  '`',
  '´',
  '‘',
  'É',
  'Ö',
  'ñ',
  'ℓ',
  'ɡ',
  'ԛ',
];

/** Seeded random mixtures of tricky pieces and raw code units: `count` strings. */
export function adversarialTexts(count: number, seed = 7): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const parts: string[] = [];
    const len = 1 + Math.floor(rand() * 40);
    for (let k = 0; k < len; k++) {
      const r = rand();
      if (r < 0.75) parts.push(PIECES[Math.floor(rand() * PIECES.length)] as string);
      else if (r < 0.9) parts.push(String.fromCharCode(32 + Math.floor(rand() * 95)));
      else parts.push(String.fromCharCode(Math.floor(rand() * 0x10000)));
      parts.push(rand() < 0.7 ? ' ' : '');
    }
    out.push(parts.join(''));
  }
  return out;
}
