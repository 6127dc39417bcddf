import { seededRandom } from '@oversight/scorers';

/** A standard normal draw from `r` (Box–Muller). */
export const gaussian = (r: () => number) => () =>
  Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/**
 * Dense vectors as sentence encoders make them, unnormalised: a shared
 * offset, most of the rest in `rank` directions, `noise` everywhere else.
 */
export function encoderLike(seed: number, width: number, rank: number) {
  const r = seededRandom(seed);
  const gauss = gaussian(r);
  const offset = Float64Array.from({ length: width }, () => gauss() / Math.sqrt(width));
  const basis = Array.from({ length: rank }, () =>
    Float64Array.from({ length: width }, () => gauss() / Math.sqrt(width)),
  );
  const point = (noise = 0.3) => {
    const v = new Float32Array(width);
    for (const b of basis) {
      const w = gauss() / Math.sqrt(rank);
      for (let j = 0; j < width; j++) v[j] = (v[j] as number) + w * (b[j] as number);
    }
    for (let j = 0; j < width; j++)
      v[j] = (v[j] as number) + 0.6 * (offset[j] as number) + (noise * gauss()) / Math.sqrt(width);
    return v;
  };
  return { r, point };
}
