import { describe, expect, it } from 'vitest';
import { indexContext } from '../../src/groundedness/index.ts';
import { answerRelevance, contextRelevance } from '../../src/relevance/index.ts';

const DOCS = [
  'To reset your password, open Settings, choose Security and press Reset password. A link is emailed to you.',
  'Our offices are closed on public holidays. Support is available by chat every weekday.',
];

describe('contextRelevance', () => {
  it('scores retrieval that matches the question above retrieval that does not', () => {
    const on = contextRelevance('How do I reset my password?', DOCS);
    const off = contextRelevance('What is the fee for an international wire transfer?', DOCS);
    expect(on.label).toBe('relevant');
    expect(off.label).toBe('irrelevant');
    expect(on.score).toBeGreaterThan(off.score + 0.4);
    expect(off.missing).toEqual(expect.arrayContaining(['fee', 'wire', 'transfer']));
  });

  it('reads a script written without spaces (Chinese) by its words', () => {
    const docs = ['转账失败通常是因为账户余额不足或收款信息错误。', '国际转账需要一到三个工作日到账。'];
    const on = contextRelevance('我的转账为什么失败了？', docs);
    const off = contextRelevance('我的转账为什么失败了？', [
      '今天的汇率是多少，欧元兑换美元。',
      '新卡需要五个工作日寄到。',
    ]);
    // A question read as one word matched nothing: every Chinese question's retrieval was irrelevant.
    expect(on.label).toBe('relevant');
    expect(on.missing).not.toContain('转账');
    expect(off.label).toBe('irrelevant');
    expect(off.missing).toEqual(expect.arrayContaining(['转账', '失败']));
  });

  it('reads what a question asks, not the masks of its redacted PII nor its greeting', () => {
    const asked = contextRelevance('How do I reset my password?', DOCS);
    const redacted = contextRelevance(
      'Hi, I am <PERSON>, my email is <EMAIL_ADDRESS>. How do I reset my password? Thanks!',
      DOCS,
    );
    // As written it scored 0.22, "irrelevant", missing hi, person, email, address and thanks.
    expect(redacted.missing).toEqual(['email']);
    expect(redacted.label).toBe('relevant');
    expect(redacted.score).toBeCloseTo(2 / 3, 9);
    expect(asked.score).toBe(1);
    // A question about a person is still about one when the name is written out.
    expect(contextRelevance('Who is Maria Lopez?', DOCS).missing).toEqual(['maria', 'lopez']);
  });

  it('gives 0 for no documents and accepts a prebuilt index', () => {
    expect(contextRelevance('How do I reset my password?', []).score).toBe(0);
    const index = indexContext(DOCS);
    expect(contextRelevance('How do I reset my password?', index)).toEqual(
      contextRelevance('How do I reset my password?', DOCS),
    );
  });
});

describe('answerRelevance', () => {
  it('scores an answer on topic above one that is not', () => {
    const on = answerRelevance(
      'How do I reset my password?',
      'Open Settings, then Security, and press Reset password.',
    );
    const off = answerRelevance(
      'How do I reset my password?',
      'Our offices are closed on public holidays, and chat support runs on weekdays.',
    );
    expect(on.label).toBe('relevant');
    expect(off.label).toBe('irrelevant');
  });

  it('treats a refusal or an empty answer as not addressing the question', () => {
    expect(answerRelevance('How do I reset my password?', "I don't know.").score).toBe(0);
    expect(answerRelevance('How do I reset my password?', '').label).toBe('irrelevant');
  });
});
