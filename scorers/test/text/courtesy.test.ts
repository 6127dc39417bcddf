import { afterEach, describe, expect, it, vi } from 'vitest';
import { questionText } from '../../src/embed/types.ts';
import { trimCourtesy } from '../../src/text/courtesy.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Regex matches tried while `run` runs: every pass over a text runs its word and boundary patterns. */
function regexExecs(run: () => void): number {
  let calls = 0;
  const exec = RegExp.prototype.exec;
  vi.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, s: string) {
    calls++;
    return exec.call(this, s);
  });
  run();
  vi.restoreAllMocks();
  return calls;
}

describe('trimCourtesy', () => {
  it.each([
    ['hi, what is the weather like today?', 'what is the weather like today?'],
    ['Good morning team, how do I reset my password?', 'how do I reset my password?'],
    ['hey quick question: where is my package? thank you so much!', 'where is my package?'],
    ['sorry to bother you but my card was declined', 'my card was declined'],
    ['I hope you are well. Can you help? My card was declined.', 'My card was declined.'],
    ['hello there how do I close my account', 'how do I close my account'],
    ['ok so why was I charged twice', 'why was I charged twice'],
    ['why was I charged twice thanks', 'why was I charged twice'],
    ['has my order shipped many thanks', 'has my order shipped'],
    ['settle my phone bill appreciate it', 'settle my phone bill'],
    ['is my flight delayed :)', 'is my flight delayed'],
    ['cancel my plan 🙏', 'cancel my plan'],
    ['cancel my plan :)', 'cancel my plan'],
    ['cancel my plan :D', 'cancel my plan'],
  ])('%j reads as %j', (message, question) => {
    expect(trimCourtesy(message)).toBe(question);
  });

  it.each([
    'I have a question about my bill',
    'help me recover access to my account',
    'how do you say thank you in japanese',
    'thanks!',
    'hi',
    'Hello?',
    'why is it declined? thanks, the card is new',
    'Meine Karte wurde abgelehnt, danke für die Hilfe',
    '我的卡被拒绝了，谢谢',
    'Re:Dinner plans tonight',
  ])('keeps %j whole: nothing at its edges is only courtesy', (message) => {
    expect(trimCourtesy(message)).toBe(message);
  });

  it('leaves the middle of a message alone', () => {
    expect(trimCourtesy('Hi! my card, thanks to the app, is frozen. please unfreeze it. Cheers')).toBe(
      'my card, thanks to the app, is frozen. please unfreeze it.',
    );
  });

  it('is idempotent', () => {
    for (const m of [
      'ok, hi, um what is this charge? thx!',
      'Hello, I was wondering: when will my card arrive? Many thanks in advance :)',
      '   thanks, ok.  ',
    ])
      expect(trimCourtesy(trimCourtesy(m))).toBe(trimCourtesy(m));
  });

  it('is what topics read of a question, after its opening is cut', () => {
    expect(questionText('Hello! Why was my transfer returned? Thanks')).toBe('Why was my transfer returned?');
    const long = `hi, ${'word '.repeat(1_000)}`;
    expect(questionText(long).startsWith('word word')).toBe(true);
    expect(questionText(long).length).toBeLessThan(2_000);
  });

  it('reads a run of courtesy at an edge in a bounded number of passes', () => {
    // One pass cuts one "hi" and rereads the whole text: 1,000 of them took 1,000 passes, and a
    // 100 KB run of "sorry, " in a question held answer relevance for 20 seconds.
    const words = 1_003;
    const long = `${'hi '.repeat(1_000)}what is x`;
    let out = '';
    const execs = regexExecs(() => {
      out = trimCourtesy(long);
    });
    expect(execs).toBeLessThan(100 * words);
    // So much courtesy reads as no question: kept whole, so reading it again changes nothing.
    expect(out).toBe(long);
    expect(trimCourtesy(`${'hi '.repeat(10)}what is x`)).toBe('what is x');
    expect(trimCourtesy(`${'sorry, '.repeat(5)}what is x? ${'thanks! '.repeat(5)}`)).toBe('what is x?');
  });
});
