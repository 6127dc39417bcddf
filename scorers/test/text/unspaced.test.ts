import { afterEach, describe, expect, it } from 'vitest';
import { hasUnspaced, isUnspacedUnit, unspacedWords } from '../../src/text/unspaced.ts';

// Intl's members are read-only to TypeScript, not to the runtime.
const intl = Intl as { Segmenter: unknown };
const Segmenter = intl.Segmenter;
afterEach(() => {
  intl.Segmenter = Segmenter;
});

describe('scripts written without spaces', () => {
  it('tells their letters from those of spaced scripts', () => {
    expect([...'我パカบ'].map((c) => isUnspacedUnit(c.charCodeAt(0)))).toEqual([true, true, true, true]);
    expect([...'aé카Жم'].map((c) => isUnspacedUnit(c.charCodeAt(0)))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(hasUnspaced('my card 卡')).toBe(true);
    expect(hasUnspaced('내 카드는 언제 도착하나요? Моя карта')).toBe(false);
  });

  it('cuts a run into its words with their offsets', () => {
    expect([...unspacedWords('我的转账，失败了')]).toEqual([
      { word: '我的', index: 0 },
      { word: '转账', index: 2 },
      { word: '失败', index: 5 },
      { word: '了', index: 7 },
    ]);
  });

  it('reads a run as one word where Node has no word breaker', () => {
    intl.Segmenter = undefined;
    expect([...unspacedWords('我的转账')]).toEqual([{ word: '我的转账', index: 0 }]);
  });
});
