import fc from 'fast-check';

/**
 * Byte-level mutations of a valid request (bit flips, truncations, splices),
 * the fuzzers' way of reaching inputs a well-formed generator never makes.
 */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; remove: number; insert: Uint8Array };

export function mutationArbitrary(maxSpliceBytes: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('splice' as const),
      at: fc.nat(),
      remove: fc.nat({ max: maxSpliceBytes }),
      insert: fc.uint8Array({ maxLength: maxSpliceBytes }),
    }),
  );
}

export function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Buffer.from(original);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    if (m.kind === 'flip') bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else bytes = Buffer.concat([bytes.subarray(0, at), m.insert, bytes.subarray(at + m.remove)]);
  }
  return bytes;
}
