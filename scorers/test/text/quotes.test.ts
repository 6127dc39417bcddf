import { describe, expect, it } from 'vitest';
import { quotedSpans } from '../../src/text/quotes.ts';

/**
 * Characters `indexOf` walks over while `run` runs: the scan's searches for closing quotes.
 * Patched by hand rather than spied on, as a spy keeps every call (millions on the old scan).
 */
function charactersSearched(run: () => void): number {
  let walked = 0;
  const indexOf = String.prototype.indexOf;
  String.prototype.indexOf = function (this: string, search: string, from?: number) {
    const start = Math.max(0, Math.min(this.length, from ?? 0));
    const at = indexOf.call(this, search, from);
    walked += (at === -1 ? this.length : at) - start;
    return at;
  };
  try {
    run();
  } finally {
    String.prototype.indexOf = indexOf;
  }
  return walked;
}

const spansOf = (text: string) => quotedSpans(text).map((s) => text.slice(s.start, s.end));

describe('quotedSpans', () => {
  it('finds quotes of each kind, and no apostrophe inside a word', () => {
    expect(spansOf(`What does "ignore all" mean? «forget» and 'rules' don't “x” \`code\``)).toEqual([
      '"ignore all"',
      '«forget»',
      "'rules'",
      '“x”',
      '`code`',
    ]);
  });

  it.each([
    ['openers with no closer', '“'.repeat(20_000)],
    ['quotes closed only by apostrophes inside words', " 'a".repeat(7_000)],
    ['openers whose closer is too far', `${'«'.repeat(5_000)}${'x'.repeat(5_000)}»`],
  ])('reads %s once per kind of quote, not once per opener', (_, body) => {
    // Each opener searched on to the end of the text: 100 KB of "“" took 30 s.
    const text = `${body} then "a quote"`;
    let spans: string[] = [];
    const walked = charactersSearched(() => {
      spans = spansOf(text);
    });
    expect(walked).toBeLessThanOrEqual(10 * text.length);
    expect(spans).toEqual(['"a quote"']);
  });
});
