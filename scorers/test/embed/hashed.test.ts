import { describe, expect, it } from 'vitest';
import { HashedEmbedder, stem, words } from '../../src/embed/hashed.ts';
import { cosine } from '../../src/embed/types.ts';

describe('HashedEmbedder (built-in)', () => {
  it('gives unit vectors of the configured width, deterministically', () => {
    const a = new HashedEmbedder({ dimension: 256, learn: false });
    const b = new HashedEmbedder({ dimension: 256, learn: false });
    const v = a.embedOne('How do I reset my password?');
    expect(v).toHaveLength(256);
    expect(cosine(v, v)).toBeCloseTo(1, 5);
    expect(Array.from(b.embedOne('How do I reset my password?'))).toEqual(Array.from(v));
    expect(a.id).toBe('builtin:hashed-v1:256');
  });

  it('puts paraphrases closer than unrelated questions', () => {
    const e = new HashedEmbedder({ learn: false });
    const q = e.embedOne('my card payment was declined');
    const para = e.embedOne('why was my card payment declined at the shop');
    const other = e.embedOne('what is the exchange rate for euros');
    expect(cosine(q, para)).toBeGreaterThan(0.4);
    expect(cosine(q, para)).toBeGreaterThan(cosine(q, other) + 0.3);
  });

  it('learns IDF: a word every text has stops dominating', () => {
    const e = new HashedEmbedder();
    for (let i = 0; i < 200; i++) e.observe(`acme question number ${i % 7} about billing`);
    expect(e.documents).toBe(200);
    const fresh = new HashedEmbedder({ learn: false });
    const x = 'acme refund';
    const y = 'acme shipping';
    // With the learned table "acme" is common, so the two differ more than with uniform weights.
    expect(cosine(e.embedOne(x, false), e.embedOne(y, false))).toBeLessThan(
      cosine(fresh.embedOne(x), fresh.embedOne(y)),
    );
  });

  it('embeds empty and symbol-only text as the zero vector instead of throwing', async () => {
    const e = new HashedEmbedder();
    const [v] = await e.embed(['  ?! ']);
    expect(v?.every((x) => x === 0)).toBe(true);
  });

  it('tokenises and stems', () => {
    expect(words("I don't get it, Transfers!")).toEqual(['i', 'dont', 'get', 'it', 'transfers']);
    expect(stem('transfers')).toBe('transfer');
    expect(stem('charges')).toBe('charge');
    expect(stem('verifying')).toBe('verify');
    expect(stem('topped')).toBe('topp');
  });

  it('rejects a width too small to be useful', () => {
    expect(() => new HashedEmbedder({ dimension: 4 })).toThrow(/dimension/);
  });
});
