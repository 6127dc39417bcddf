/**
 * BERT-style WordPiece tokenizer for (premise, hypothesis) pairs, read from a
 * model directory's `tokenizer.json` (Hugging Face format, model type
 * WordPiece) or `vocab.txt`. Other tokenizers (BPE, SentencePiece) plug in
 * through the NLI judge's `tokenizer` option.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export interface PairEncoding {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

export interface PairTokenizer {
  encodePair(premise: string, hypothesis: string, maxLength: number): PairEncoding;
  /** Tokens a text takes, without specials: for chunking a long premise. */
  count(text: string): number;
}

const tokenizerJsonSchema = z.object({
  model: z.object({
    type: z.literal('WordPiece'),
    vocab: z.record(z.string(), z.number().int()),
    unk_token: z.string().default('[UNK]'),
    continuing_subword_prefix: z.string().default('##'),
    max_input_chars_per_word: z.number().int().default(100),
  }),
  normalizer: z.object({ lowercase: z.boolean().optional() }).loose().nullable().optional(),
});

export class WordPieceTokenizer implements PairTokenizer {
  private readonly cls: number;
  private readonly sep: number;
  private readonly unk: number;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly options: { lowercase: boolean; prefix: string; unkToken: string; maxWordChars: number };

  constructor(
    vocab: ReadonlyMap<string, number>,
    options: { lowercase: boolean; prefix: string; unkToken: string; maxWordChars: number },
  ) {
    this.vocab = vocab;
    this.options = options;
    const id = (t: string) => {
      const v = vocab.get(t);
      if (v === undefined) throw new Error(`WordPiece vocabulary lacks ${t}`);
      return v;
    };
    this.cls = id('[CLS]');
    this.sep = id('[SEP]');
    this.unk = id(options.unkToken);
  }

  static async fromDirectory(dir: string): Promise<WordPieceTokenizer> {
    const json = join(dir, 'tokenizer.json');
    if (existsSync(json)) {
      const parsed = tokenizerJsonSchema.safeParse(JSON.parse(await readFile(json, 'utf8')));
      if (!parsed.success)
        throw new Error(
          `${json}: not a WordPiece tokenizer (${parsed.error.issues[0]?.message}); pass a tokenizer for BPE or SentencePiece models`,
        );
      const m = parsed.data.model;
      return new WordPieceTokenizer(new Map(Object.entries(m.vocab)), {
        lowercase: parsed.data.normalizer?.lowercase ?? true,
        prefix: m.continuing_subword_prefix,
        unkToken: m.unk_token,
        maxWordChars: m.max_input_chars_per_word,
      });
    }
    const txt = join(dir, 'vocab.txt');
    if (!existsSync(txt)) throw new Error(`${dir}: neither tokenizer.json nor vocab.txt`);
    const lines = (await readFile(txt, 'utf8')).split('\n');
    const vocab = new Map<string, number>();
    lines.forEach((l, i) => {
      const t = l.replace(/\r$/, '');
      if (t !== '' && !vocab.has(t)) vocab.set(t, i);
    });
    return new WordPieceTokenizer(vocab, {
      lowercase: true,
      prefix: '##',
      unkToken: '[UNK]',
      maxWordChars: 100,
    });
  }

  tokenize(text: string): number[] {
    let t = text;
    if (this.options.lowercase) t = t.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
    const out: number[] = [];
    for (const word of t.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []) {
      if (word.length > this.options.maxWordChars) {
        out.push(this.unk);
        continue;
      }
      const pieces: number[] = [];
      let start = 0;
      let bad = false;
      while (start < word.length) {
        let end = word.length;
        let found: number | undefined;
        while (start < end) {
          const sub = (start > 0 ? this.options.prefix : '') + word.slice(start, end);
          found = this.vocab.get(sub);
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          bad = true;
          break;
        }
        pieces.push(found);
        start = end;
      }
      if (bad) out.push(this.unk);
      else out.push(...pieces);
    }
    return out;
  }

  count(text: string): number {
    return this.tokenize(text).length;
  }

  /** [CLS] premise [SEP] hypothesis [SEP]; the premise is cut first when too long. */
  encodePair(premise: string, hypothesis: string, maxLength: number): PairEncoding {
    let p = this.tokenize(premise);
    let h = this.tokenize(hypothesis);
    const room = maxLength - 3;
    if (h.length > room / 2) h = h.slice(0, Math.max(Math.floor(room / 2), room - p.length));
    if (p.length + h.length > room) p = p.slice(0, room - h.length);
    const inputIds = [this.cls, ...p, this.sep, ...h, this.sep];
    const tokenTypeIds = inputIds.map((_, i) => (i < p.length + 2 ? 0 : 1));
    return { inputIds, attentionMask: inputIds.map(() => 1), tokenTypeIds };
  }
}
