/**
 * The frame of a centred space: what its questions are centred on and scaled
 * by, kept so that topic sums stay exact sums of centred questions while the
 * mean moves.
 */
import { CALIBRATION_MIN, type Space } from './space.ts';

/**
 * Suffix of a calibrated space's id: its questions are centred on the
 * space's mean. An embedding model puts every question of one app in a
 * narrow cone (USE-lite: unrelated questions at cosine ≈ 0.41); the
 * calibrated bars move up that cone but keep the raw cosines' order, where
 * centring takes the shared direction out and compares what is left, as the
 * built-in student's part is compared (tools/topics/centring.ts). Spaces
 * named before it hold uncentred sums and keep them as they are.
 */
export const CENTRED = ':centred';
/** Questions after which a centred space's mean is first taken; it is retaken at twice as many, and so on. */
const FRAME_FIRST = CALIBRATION_MIN;
/** Past this many questions the mean is retaken every this many. */
const FRAME_EVERY = 10_000;

/**
 * A centred space's frame: its questions are q' = (q − mean) · scale, with
 * scale = 1 / √(1 − ‖mean‖²) so a question's expected ‖q'‖² stays 1, and a
 * topic's sum is the sum of its questions' q', not renormalised one by one:
 * sum' = (raw sum − size · mean) · scale, exactly. So the `topics` table
 * keeps raw sums (a restart takes the mean back from them, and rebuilds the
 * frame), and retaking the mean moves every sum at once (`reframe`). Before
 * FRAME_FIRST questions there is no mean (scale 1); it is taken then, and
 * retaken at twice as many questions each time, then every FRAME_EVERY. An
 * evicted topic's questions stay in the mean until a restart, which retakes
 * it from the topics kept.
 */
export interface Frame extends FrameAxes {
  /** Sum and count of every raw unit question the space has heard (restored topics' included). */
  rawTotal: Float64Array;
  rawCount: number;
  /** `rawCount` at which the mean is retaken. */
  next: number;
}

/** What a question is centred on and scaled by. */
interface FrameAxes {
  mean: Float32Array;
  scale: number;
}

export function newFrame(dimension: number): Frame {
  return {
    mean: new Float32Array(dimension),
    scale: 1,
    rawTotal: new Float64Array(dimension),
    rawCount: 0,
    next: FRAME_FIRST,
  };
}

/**
 * `size` raw questions summing to `raw`, in the frame: (raw − size · mean) ·
 * scale, not renormalised (sums must stay linear). Written to `out`, which
 * may be `raw`; returns its squared norm.
 */
export function intoFrame(f: FrameAxes, raw: ArrayLike<number>, size: number, out: Float32Array): number {
  let sq = 0;
  for (let i = 0; i < out.length; i++) {
    const v = ((raw[i] as number) - size * (f.mean[i] as number)) * f.scale;
    out[i] = v;
    sq += v * v;
  }
  return sq;
}

/** A topic's raw sum from its sum in the frame, written to `out`. */
export function rawSum(
  f: FrameAxes,
  t: { sum: Float32Array; size: number },
  out = new Float32Array(t.sum.length),
) {
  for (let i = 0; i < out.length; i++)
    out[i] = (t.sum[i] as number) / f.scale + t.size * (f.mean[i] as number);
  return out;
}

/** Counts `size` raw questions summing to `raw` into the frame's totals; `sign` −1 takes them out. */
export function hear(f: Frame, raw: ArrayLike<number>, size: number, sign: 1 | -1 = 1): void {
  for (let i = 0; i < raw.length; i++) f.rawTotal[i] = (f.rawTotal[i] as number) + sign * (raw[i] as number);
  f.rawCount += sign * size;
}

/** Below this, 1 − ‖mean‖² is taken as it: a space of one question over and over is not blown up. */
const MIN_SPREAD = 0.05;

/**
 * Retakes a centred space's mean from every raw question it has heard and
 * moves each topic's sum into the new frame; the index is rebuilt on its
 * next search and the calibration total is summed again.
 */
export function reframe(s: Space, f: Frame): void {
  const old: FrameAxes = { mean: f.mean, scale: f.scale };
  const mean = new Float32Array(f.mean.length);
  let sq = 0;
  for (let i = 0; i < mean.length; i++) {
    const m = f.rawCount > 0 ? (f.rawTotal[i] as number) / f.rawCount : 0;
    mean[i] = m;
    sq += m * m;
  }
  f.mean = mean;
  f.scale = 1 / Math.sqrt(Math.max(1 - sq, MIN_SPREAD));
  f.next = f.rawCount < FRAME_EVERY ? Math.max(FRAME_FIRST, 2 * f.rawCount) : f.rawCount + FRAME_EVERY;
  const raw = new Float32Array(mean.length);
  const total = new Float64Array(mean.length);
  for (const t of s.topics) {
    t.sqNorm = intoFrame(f, rawSum(old, t, raw), t.size, t.sum);
    for (let i = 0; i < total.length; i++) total[i] = (total[i] as number) + (t.sum[i] as number);
  }
  s.index = undefined;
  if (s.calibration) {
    let totalSq = 0;
    for (const x of total) totalSq += x * x;
    s.calibration.total = total;
    s.calibration.totalSq = totalSq;
  }
}
