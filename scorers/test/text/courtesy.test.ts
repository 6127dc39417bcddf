import { describe, expect, it } from 'vitest';
import { questionText } from '../../src/embed/types.ts';
import { trimCourtesy } from '../../src/text/courtesy.ts';

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
});
