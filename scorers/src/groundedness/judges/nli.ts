/**
 * NLI / hallucination cross-encoder judge: a local model directory holding
 * `model.onnx` (or `onnx/model.onnx`), a tokenizer and optionally `config.json`,
 * run with onnxruntime-node (an optional dependency, loaded on first use). It
 * takes HHEM- or MiniCheck-style (premise, hypothesis) pairs: each claim of the
 * answer is the hypothesis, each context chunk that fits the model a premise;
 * a claim's support is its best chunk (as MiniCheck does), the answer's score
 * its weakest claim. Nothing is downloaded: the directory is what the user put there.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { claims, sentences } from '../text.ts';
import { type PairEncoding, type PairTokenizer, WordPieceTokenizer } from './wordpiece.ts';

export interface NliJudgeOptions {
  /** Directory with the model and tokenizer files. */
  modelDir: string;
  /** Longest input the model takes, in tokens (default: config `max_position_embeddings`, else 512). */
  maxLength?: number;
  /** For tokenizers other than WordPiece. */
  tokenizer?: PairTokenizer;
  /** Index of the "supported" class in the model output; default from config `id2label`, else the last. */
  supportIndex?: number;
  threshold?: number;
}

export interface NliClaimVerdict {
  claim: string;
  /** Probability the best context chunk supports the claim. */
  support: number;
}

export interface NliVerdict {
  score: number;
  label: 'grounded' | 'hallucinated';
  claims: NliClaimVerdict[];
  /** Model calls made (claims × chunks). */
  pairs: number;
  version: string;
}

export interface NliJudge {
  readonly version: string;
  judge(answer: string, context: readonly string[]): Promise<NliVerdict>;
  close(): Promise<void>;
}

const configSchema = z
  .object({
    id2label: z.record(z.string(), z.string()).optional(),
    max_position_embeddings: z.number().int().optional(),
  })
  .loose();

const SUPPORT_LABEL = /entail|consistent|support|factual|grounded|^label_1$/i;

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Context cut into premises of at most `budget` tokens, on sentence boundaries. */
export function chunkContext(context: readonly string[], tokenizer: PairTokenizer, budget: number): string[] {
  const out: string[] = [];
  for (const doc of context) {
    let chunk = '';
    let used = 0;
    for (const s of sentences(doc)) {
      const n = tokenizer.count(s);
      if (used + n > budget && chunk !== '') {
        out.push(chunk);
        chunk = '';
        used = 0;
      }
      chunk = chunk === '' ? s : `${chunk} ${s}`;
      used += n;
    }
    if (chunk !== '') out.push(chunk);
  }
  return out;
}

export async function createNliJudge(options: NliJudgeOptions): Promise<NliJudge> {
  const dir = options.modelDir;
  const modelPath = [join(dir, 'model.onnx'), join(dir, 'onnx', 'model.onnx')].find((p) => existsSync(p));
  if (modelPath === undefined) throw new Error(`${dir}: no model.onnx (or onnx/model.onnx)`);
  const configPath = join(dir, 'config.json');
  const config = existsSync(configPath)
    ? configSchema.parse(JSON.parse(await readFile(configPath, 'utf8')))
    : { id2label: undefined, max_position_embeddings: undefined };
  const tokenizer = options.tokenizer ?? (await WordPieceTokenizer.fromDirectory(dir));
  const maxLength = options.maxLength ?? Math.min(config.max_position_embeddings ?? 512, 512);
  let supportIndex = options.supportIndex;
  if (supportIndex === undefined && config.id2label) {
    const hit = Object.entries(config.id2label).find(([, label]) => SUPPORT_LABEL.test(label));
    if (hit) supportIndex = Number(hit[0]);
  }
  const threshold = options.threshold ?? 0.5;
  const version = `nli:${dir.split('/').filter(Boolean).pop()}`;

  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (err) {
    throw new Error(`NLI judge needs the optional dependency onnxruntime-node (${(err as Error).message})`);
  }
  const session: Session = await ort.InferenceSession.create(modelPath);

  function feeds(enc: PairEncoding) {
    const n = enc.inputIds.length;
    const t = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, n]);
    const all: Record<string, InstanceType<Ort['Tensor']>> = {
      input_ids: t(enc.inputIds),
      attention_mask: t(enc.attentionMask),
      token_type_ids: t(enc.tokenTypeIds),
    };
    // Feed only what the graph declares: RoBERTa/DeBERTa exports have no token_type_ids.
    const out: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const name of session.inputNames) {
      const tensor = all[name];
      if (tensor === undefined)
        throw new Error(`${version}: model input ${name} is not one a tokenizer provides`);
      out[name] = tensor;
    }
    return out;
  }

  async function support(premise: string, hypothesis: string): Promise<number> {
    const outputs = await session.run(feeds(tokenizer.encodePair(premise, hypothesis, maxLength)));
    const out = outputs[session.outputNames[0] as string];
    if (out === undefined) throw new Error(`${version}: model has no output`);
    const values = Array.from(out.data as Float32Array, Number);
    if (values.length === 1) {
      const v = values[0] as number;
      // HHEM emits one consistency score: a probability already, or a logit.
      return v >= 0 && v <= 1 ? v : 1 / (1 + Math.exp(-v));
    }
    const probs = softmax(values);
    return probs[supportIndex ?? probs.length - 1] as number;
  }

  return {
    version,
    async judge(answer: string, context: readonly string[]): Promise<NliVerdict> {
      const parts = claims(answer);
      const budget = Math.max(16, maxLength - 3 - Math.max(0, ...parts.map((c) => tokenizer.count(c))));
      const chunks = chunkContext(context, tokenizer, budget);
      const verdicts: NliClaimVerdict[] = [];
      let pairs = 0;
      for (const claim of parts) {
        let best = 0;
        for (const chunk of chunks) {
          best = Math.max(best, await support(chunk, claim));
          pairs++;
        }
        verdicts.push({ claim, support: best });
      }
      const score = verdicts.length === 0 ? 1 : Math.min(...verdicts.map((v) => v.support));
      return {
        score,
        label: score < threshold ? 'hallucinated' : 'grounded',
        claims: verdicts,
        pairs,
        version,
      };
    },
    async close() {
      await session.release();
    },
  };
}
