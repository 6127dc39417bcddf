import { describe, expect, it } from 'vitest';
import { HashedEmbedder } from '../../src/embed/hashed.ts';
import { followsUp, namesItsSubject, requestOf } from '../../src/embed/request.ts';
import { STUDENT_TOPIC_THRESHOLDS } from '../../src/embed/topic-thresholds.ts';
import { cosine, questionReading, questionText } from '../../src/embed/types.ts';

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

  it('tells a text that names its subject from one that leans on what came before', () => {
    expect(namesItsSubject('Can I use my debit card abroad?')).toBe(true);
    expect(namesItsSubject('How do I change my postal address?')).toBe(true);
    expect(namesItsSubject('What about France?')).toBe(false);
    expect(namesItsSubject('Can I use it in France and Germany?')).toBe(false);
    expect(namesItsSubject('')).toBe(false);
  });
});

describe('followsUp', () => {
  it.each([
    'is that free?',
    'how long does that take?',
    'can I do it online?',
    'does that apply to my partner too?',
    'and on weekends?',
    'ok, and then what?',
    'What about France?',
    'why?',
    'How much?',
  ])('reads %j as about what was said before', (text) => {
    expect(followsUp(text)).toBe(true);
  });

  it.each([
    // Two words of its own and no pointer: a new question, however short.
    'Can I connect Slack?',
    'Is there a student discount?',
    'Who founded the company and when?',
    // "it" is the product here, and the question names its own subject.
    'Does it support handwriting recognition on tablets?',
    'How do I change my postal address?',
  ])('reads %j as a question of its own', (text) => {
    expect(followsUp(text)).toBe(false);
  });
});

describe('questionText with the message before', () => {
  const spain = 'Hi! Can I use my debit card abroad in Spain? Thanks';
  it.each([
    ['Thanks! And how do I do that?', 'Can I use my debit card abroad in Spain? And how do I do that?'],
    ['What about France?', 'Can I use my debit card abroad in Spain? What about France?'],
    // Nothing of its own that asks: read with the message before, as one message.
    ['and in france', 'Can I use my debit card abroad in Spain?'],
    // A follow-up that names its subject is read as it is.
    ['How do I change my postal address?', 'How do I change my postal address?'],
    // So is a new question in two words of its own: read after the question before, the two
    // unrelated subjects met in one topic.
    ['Is there a student discount?', 'Is there a student discount?'],
  ])('%j after the question reads as %j', (followUp, read) => {
    expect(questionText(followUp, spain)).toBe(read);
  });

  it('reads what it read the same way again, as the clusterer and the encoder read it after the enricher', () => {
    for (const [text, earlier] of [
      ['What about France?', spain],
      ['and in france', spain],
      ['Hello, is there any way to double check my card? It was declined this morning.', undefined],
      ["I'm moving next month. Hi, how do I change my postal address?", undefined],
      ['Why?', 'I entered a wrong PIN too many times. How can I fix this?'],
    ] as const) {
      const once = questionText(text, earlier);
      expect(questionText(once)).toBe(once);
    }
  });

  it('reads a follow-up of a follow-up after the question both follow', () => {
    const earlier = [
      'is that free?',
      'Can I use my debit card abroad in Spain?',
      'How do I change my address?',
    ];
    expect(questionText('and on weekends?', earlier)).toBe(
      'Can I use my debit card abroad in Spain? and on weekends?',
    );
    // The question it follows may be short: one that stands alone is the subject.
    expect(questionText('is that free?', ['Can I connect Slack?', spain])).toBe(
      'Can I connect Slack? is that free?',
    );
    // With no earlier message that names a subject, the latest.
    expect(questionText('and on weekends?', ['is that free?', 'why?'])).toBe(
      'is that free? and on weekends?',
    );
  });

  it('names the earlier message a follow-up was read after, as that message reads alone', () => {
    const earlier = ['is that free?', spain];
    expect(questionReading('and on weekends?', earlier)).toEqual({
      text: 'Can I use my debit card abroad in Spain? and on weekends?',
      followUp: true,
      after: questionText(spain),
    });
    expect(questionReading('How do I change my postal address?', earlier)).toEqual({
      text: 'How do I change my postal address?',
      followUp: false,
    });
    expect(questionReading('Thanks!', earlier)).toEqual({ text: 'Thanks!', followUp: false });
  });

  it('reads a message of courtesy alone as it is, not as a follow-up', () => {
    expect(questionText('Thanks!', spain)).toBe('Thanks!');
    expect(questionText('ok great, thank you', [spain])).toBe('thank you');
    // Courtesy with words of its own about the answer is a follow-up, about the question before
    // (which, as it does not ask, is all that is read of it).
    expect(questionText('thanks, but that did not work', spain)).toBe(
      'Can I use my debit card abroad in Spain?',
    );
  });

  it('reads a first message, or one after nothing of substance, as it is', () => {
    expect(questionText('What about France?')).toBe('What about France?');
    // Courtesy alone says nothing a follow-up could be about.
    expect(questionText('What about France?', 'thanks!')).toBe('What about France?');
    expect(questionText('What about France?', '   ')).toBe('What about France?');
  });
});

describe('questionText of a redacted message', () => {
  const card = 'Hi, I am <PERSON>, my email is <EMAIL_ADDRESS>. Why was my card declined?';
  const password = 'Hi, I am <PERSON>, my email is <EMAIL_ADDRESS>. How do I reset my password?';

  it('reads it without the masks, which stand for values, not for what is asked', () => {
    expect(questionText(card)).toBe('I am, my email is. Why was my card declined?');
    expect(questionText('<PERSON> here. Can I get a refund?')).not.toMatch(/PERSON|[<>]/);
    // Angle brackets that are no mask stay.
    expect(questionText('Is <b>bold</b> allowed in notes?')).toBe('Is <b>bold</b> allowed in notes?');
  });

  it('keeps two unrelated questions that carry the same masks apart', () => {
    // A project's traffic so far, which the embedder's IDF and centring learn from.
    const e = HashedEmbedder.withStudent();
    for (const q of [
      'my card payment was declined',
      'how do I top up my account',
      'why was I charged a fee',
      'where is my new card',
      'I forgot my password',
      'can I change my pin',
      'my transfer has not arrived',
      'what is the exchange rate',
      'how do I close my account',
      'is there a fee for transfers abroad',
    ])
      e.embedOne(q);
    const similarity = (a: string, b: string) => cosine(e.embedOne(a, false), e.embedOne(b, false));
    const { assign } = STUDENT_TOPIC_THRESHOLDS;
    // The masks read as words: over the bar that joins a question to a topic.
    expect(similarity(card.slice(4), password.slice(4))).toBeGreaterThan(assign);
    expect(similarity(questionText(card), questionText(password))).toBeLessThan(assign);
  });
});

describe('questionText of a message the app did not redact', () => {
  it('reads it as the same message masked by the SDK would read', () => {
    // What topics read becomes a topic's representative question and label words, kept in the
    // topics table past llm_spans' retention: an address, a card or a key must not be among them.
    const plain = [
      'my email is john.smith@example.com and I cannot log in',
      'my card 4111 1111 1111 1111 was charged twice',
      'the key sk-proj-abcdefghijklmnopqrstuvwxyz123456 returns 401',
      'call me at +1 415 555 0134 about my refund',
    ];
    const masked = [
      'my email is <EMAIL_ADDRESS> and I cannot log in',
      'my card <CREDIT_CARD> was charged twice',
      'the key <SECRET> returns 401',
      'call me at <PHONE_NUMBER> about my refund',
    ];
    expect(plain.map((q) => questionText(q))).toEqual(masked.map((q) => questionText(q)));
    expect(questionText(plain[0] as string)).toBe('my email is and I cannot log in');
    // A follow-up's earlier message too: its reading is the follow-up's text.
    const reading = questionReading('is that free?', 'can I send money to jane.doe@example.org?');
    expect(reading.text).not.toContain('example.org');
    expect(reading.after).not.toContain('example.org');
  });
});
