import { describe, expect, it } from 'vitest';
import { requestOf } from '../../src/embed/request.ts';
import { questionText } from '../../src/embed/types.ts';

describe('requestOf', () => {
  it.each([
    ["I'm travelling next week. Can I use my debit card in Spain?", 'Can I use my debit card in Spain?'],
    // The request first, the telling after it.
    [
      'How long do transfers from abroad take? I sent money from France two days ago.',
      'How long do transfers from abroad take?',
    ],
    // The last sentence that asks, not the first.
    [
      'Is anyone there? My wife changed her address. How do I update the billing address?',
      'How do I update the billing address?',
    ],
    // A closing quote after the question mark still asks.
    [
      'My friend sent me this. "Why was my transfer returned to the sender?"',
      '"Why was my transfer returned to the sender?"',
    ],
    // A decimal point ends no sentence.
    [
      'I was charged 4.50 euros twice. Why was my coffee charged twice today?',
      'Why was my coffee charged twice today?',
    ],
  ])('%j asks %j', (message, request) => {
    expect(requestOf(message)).toBe(request);
  });

  it.each([
    // The request points back at the telling.
    'I entered a wrong PIN too many times. How can I fix this?',
    'My card was stolen yesterday. Can you block it for me?',
    'I lost my card on the train. Will they charge me for a new one?',
    // It names too little of its own: the subject is in the telling.
    'My top-up failed twice this morning. What should I do?',
    'Somebody used my card in another country. Why?',
    // Nothing asks: a statement may be the request or the context.
    'My wallet was stolen on the train. Block my card please.',
    // One sentence.
    'Can I use my debit card in Spain?',
    // Not English: its pointers would not be ours.
    'Ich habe meine Karte im Zug verloren. Wie kann ich eine neue Karte bestellen?',
    '',
  ])('%j is read whole', (message) => {
    expect(requestOf(message)).toBe(message);
  });

  it('is what topics read, after the greeting and the thanks go', () => {
    expect(questionText("Hi! I'm moving house next month. How do I change my postal address? Thanks")).toBe(
      'How do I change my postal address?',
    );
  });
});
