import { describe, expect, it } from 'vitest';
import { textFeatures } from '../../src/linear/features.ts';
import { canonicalizeToScratch } from '../../src/text/canonicalize.ts';
import { codeUnitReader } from '../../src/text/code-units.ts';

describe('reused buffers', () => {
  it('let go of what a huge text needed once a small one comes', () => {
    // The guard scores whatever the app hands it: a 5 MB prompt left 450 MB of buffers behind for good.
    const huge = 'word @user http://x.y '.repeat(100_000);
    const read = codeUnitReader();
    expect(read(huge).length).toBeGreaterThanOrEqual(huge.length);
    expect(read('small').length).toBe(4096);

    expect(canonicalizeToScratch(huge).chars.length).toBeGreaterThanOrEqual(3 * huge.length);
    const small = canonicalizeToScratch('a small text');
    expect(small.chars.length).toBe(4096);
    expect(String.fromCharCode(...small.chars.subarray(0, small.length))).toBe('a small text');

    textFeatures(huge);
    // Each of the cache's entries (four) is reused once, the huge text's too.
    const later = ['one', 'two', 'three', 'four'].map((t) => textFeatures(`${t} more words`));
    for (const f of later) expect(f.hashes.buffer.byteLength).toBeLessThanOrEqual(4 * 4096);
    expect(later[3]?.norm.text).toBe('four more words');
  });

  it('keep a buffer a text of collector size needed', () => {
    // Up to a million entries stay, so texts of 100 KB and short ones in turn reallocate nothing.
    const read = codeUnitReader();
    const units = read('x'.repeat(100_000));
    expect(read('small')).toBe(units);
  });
});
