/**
 * A scorer backed by a local ONNX classifier, run with onnxruntime-node (an
 * optional dependency, loaded on first use so apps that never use it pay
 * nothing). By default the text becomes the same hashed n-gram vector the linear
 * scorers use, folded into the model's input width; pass a tokenizer for
 * anything else (token ids for a transformer, for example).
 */
import { textFeatures } from '../linear/features.ts';
import { featureScale } from '../linear/model.ts';
import type { AsyncTextScorer, ScoreResult } from '../types.ts';

export interface OnnxInput {
  type: 'float32' | 'int64' | 'int32';
  data: Float32Array | BigInt64Array | Int32Array;
  dims: number[];
}

export interface OnnxScorerOptions {
  name: string;
  modelPath: string;
  threshold: number;
  /** Text → named model inputs; defaults to `hashedVector` over the first input. */
  tokenizer?: (text: string) => Record<string, OnnxInput>;
  /** Width of the default hashed input vector (default 1024). */
  featureSize?: number;
  /** Output to read (default: the first). One value is a probability (or a logit, squashed); two are [negative, positive]. */
  outputName?: string;
  positiveLabel?: string;
  negativeLabel?: string;
  version?: string;
}

/** Hashed n-gram vector of a text, `size` wide, scaled like the linear models' inputs. */
export function hashedVector(text: string, size: number): Float32Array {
  const { hashes, count } = textFeatures(text);
  const v = new Float32Array(size);
  const scale = featureScale(count);
  for (let i = 0; i < count; i++) {
    const h = hashes[i] as number;
    const bucket = (h >>> 0) % size;
    v[bucket] = (v[bucket] as number) + (h < 0 ? -scale : scale);
  }
  return v;
}

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

export function createOnnxScorer(options: OnnxScorerOptions): AsyncTextScorer {
  const featureSize = options.featureSize ?? 1024;
  const positive = options.positiveLabel ?? 'flagged';
  const negative = options.negativeLabel ?? 'ok';
  const version = options.version ?? `onnx:${options.modelPath.split('/').pop()}`;
  let ready: Promise<{ ort: Ort; session: Session }> | undefined;

  function load() {
    ready ??= (async () => {
      const ort = await import('onnxruntime-node').catch((error: unknown) => {
        // An optional peer: say what to install instead of a bare module-not-found.
        throw new Error(
          `${options.name}: ONNX scorers need onnxruntime-node (npm install onnxruntime-node)`,
          {
            cause: error,
          },
        );
      });
      const session = await ort.InferenceSession.create(options.modelPath);
      return { ort, session };
    })();
    return ready;
  }

  return {
    name: options.name,
    version,
    threshold: options.threshold,
    async score(text: string): Promise<ScoreResult> {
      const { ort, session } = await load();
      const inputs = options.tokenizer
        ? options.tokenizer(text)
        : {
            [session.inputNames[0] as string]: {
              type: 'float32' as const,
              data: hashedVector(text, featureSize),
              dims: [1, featureSize],
            },
          };
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const [name, input] of Object.entries(inputs))
        feeds[name] = new ort.Tensor(input.type, input.data, input.dims);
      const outputs = await session.run(feeds);
      const out = outputs[options.outputName ?? (session.outputNames[0] as string)];
      if (out === undefined) throw new Error(`${options.name}: model has no output ${options.outputName}`);
      const values = Array.from(out.data as Float32Array, Number);
      let score = values.length >= 2 ? (values[values.length - 1] as number) : (values[0] as number);
      if (!(score >= 0 && score <= 1)) score = 1 / (1 + Math.exp(-score));
      const flagged = score >= options.threshold;
      return {
        name: options.name,
        score,
        label: flagged ? positive : negative,
        flagged,
        threshold: options.threshold,
        evidence: [{ kind: 'onnx_model', weight: score }],
        explanation: `${options.name} ${score.toFixed(2)} ${flagged ? '≥' : '<'} ${options.threshold} (ONNX model ${version})`,
        version,
      };
    },
    async close() {
      if (ready) await (await ready).session.release();
      ready = undefined;
    },
  };
}
