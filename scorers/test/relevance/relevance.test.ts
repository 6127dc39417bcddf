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
