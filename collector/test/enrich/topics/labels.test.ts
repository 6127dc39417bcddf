import { describe, expect, it } from 'vitest';
import {
  contentTerms,
  countTopicTerms,
  forgetRarest,
  labelRoot,
  labelTerms,
  ProjectTerms,
  restoredTerms,
  topicLabel,
} from '../../../src/enrich/topics/labels.ts';

/** A project's counts over all its questions, and one topic's over `topic`, as the clusterer keeps them. */
function counted(topic: readonly string[], others: readonly string[]) {
  const project = new ProjectTerms();
  let counts = new Map<string, number>();
  for (const q of [...topic, ...others]) {
    const terms = contentTerms(q);
    project.countQuestion(terms);
    if (topic.includes(q)) counts = countTopicTerms(counts, terms);
  }
  return { project, counts };
}

describe('topic labels', () => {
  it('takes content words and adjacent pairs of them within a clause', () => {
    // "up" is a stop word, never a label word alone, but a particle a pair may end in ("top up").
    expect(contentTerms('Why was my Google Pay top-up declined? Card payment, again')).toEqual([
      'google',
      'google pay',
      'pay',
      'pay top',
      'top',
      'top up',
      'declined',
      'card',
      'card payment',
      'payment',
      'again',
    ]);
    // A contraction of two stop words is not a label word ("didn't", "what's" arrive without the
    // apostrophe); one that spells a word ("well") is.
    expect(contentTerms("Why didn't my card arrive? What's wrong, it worked well")).toEqual([
      'card',
      'card arrive',
      'arrive',
      'wrong',
      'worked',
      'worked well',
      'well',
    ]);
    // Nor is a pronoun the stop list leaves out.
    expect(contentTerms('Has my card been delivered to us or to him')).toEqual(['card', 'delivered']);
    // Stop words and numbers break a pair; a clause boundary does too.
    expect(contentTerms('send 20 euros to the bank, transfer fees')).toEqual([
      'send',
      'euros',
      'bank',
      'transfer',
      'transfer fees',
      'fees',
    ]);
  });

  it('pairs a word with a particle only where the particle is not a preposition', () => {
    const particlePairs = (q: string) => contentTerms(q).filter((t) => / (up|on|in|out)$/.test(t));
    // After a noun and before a noun phrase: a preposition, and "limit on" would end a label.
    expect(particlePairs('What is the storage limit on the Plus plan?')).toEqual([]);
    expect(particlePairs('Why did I get charged a fee on my card?')).toEqual([]);
    expect(particlePairs('Does it support handwriting recognition on tablets?')).toEqual([]);
    // A phrasal verb's or noun's particle, with or without an object after it.
    expect(particlePairs('How do I top up my card?')).toEqual(['top up']);
    expect(particlePairs('Why is my top up still pending')).toEqual(['top up']);
    expect(particlePairs("I can't log in")).toEqual(['log in']);
    expect(particlePairs('my card top up failed')).toEqual(['top up']);
    expect(particlePairs('a Google Pay top-up for tablets')).toEqual(['top up']);
    expect(particlePairs('where is the auto top up function')).toEqual(['top up']);
    // A clause's last word: "what does it run on" strands its preposition, which still names the subject.
    expect(particlePairs('Which platforms does it run on?')).toEqual(['run on']);
  });

  it('ends a clause at full-width punctuation, so no pair spans it', () => {
    // "什么时候" (when) is a function word, as "when" is: the clause after the comma names a courier.
    expect(contentTerms('银行卡还没有寄到，快递公司是哪家？')).toEqual([
      '银行',
      '没有',
      '没有 寄到',
      '寄到',
      '快递',
      '快递 公司',
      '公司',
    ]);
  });

  it('grows a word into its phrase only where most of its uses are that phrase', () => {
    const topic = new Map([
      ['virtual', 6],
      ['cards', 6],
      ['disposable', 5],
      ['virtual cards', 6],
      ['disposable virtual', 5],
      ['card', 2],
      ['fees', 4],
      ['fees apply', 1],
      ['apply', 1],
    ]);
    const ranked = [
      'disposable',
      'virtual',
      'fees',
      'cards',
      'card',
      'apply',
      'virtual cards',
      'disposable virtual',
      'fees apply',
    ];
    // Chained on both sides, word by word; "card" is the stem of a word the phrase holds.
    expect(labelTerms(ranked, topic, (w) => topic.get(w), 3)).toEqual([
      'disposable virtual cards',
      'fees',
      'apply',
    ]);
    // The same pair is rare for the project's own "virtual": not a phrase there.
    const project = new Map([...topic, ['virtual', 40], ['cards', 60], ['disposable', 30]]);
    expect(labelTerms(ranked, topic, (w) => project.get(w), 3)).toEqual(['disposable', 'virtual', 'fees']);
    // "card" is broader than "virtual card" and picked first: the phrase may not take it again.
    const broad = ['card', 'fees', 'virtual', 'virtual card'];
    const counts = new Map([
      ['card', 20],
      ['fees', 3],
      ['virtual', 6],
      ['virtual card', 6],
    ]);
    expect(labelTerms(broad, counts, (w) => counts.get(w), 3)).toEqual(['card', 'fees', 'virtual']);
  });

  it("bounds a project's label counts by forgetting the least used terms, the newer kept on ties", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) counts.set(`w${i}`, i % 10 === 0 ? 5 : i % 3 === 0 ? 2 : 1);
    forgetRarest(counts, 20);
    expect(counts.size).toBe(20);
    // The ten counted 5 times, then the last ten of those counted twice (none of those counted once).
    expect([...counts.values()].filter((c) => c === 5)).toHaveLength(10);
    expect([...counts.entries()].filter(([, c]) => c === 2).map(([w]) => w)).toEqual([
      'w69',
      'w72',
      'w75',
      'w78',
      'w81',
      'w84',
      'w87',
      'w93',
      'w96',
      'w99',
    ]);
  });

  it("bounds a topic's term table: past 64 terms its 32 most used stay", () => {
    let counts = new Map<string, number>();
    for (let i = 0; i < 64; i++) counts = countTopicTerms(counts, i < 10 ? [`w${i}`, `w${i}`] : [`w${i}`]);
    expect(counts.size).toBe(64);
    const before = counts;
    counts = countTopicTerms(counts, ['w0']);
    expect(counts).toBe(before);
    counts = countTopicTerms(counts, ['new']);
    expect(counts.size).toBe(32);
    expect(counts.get('w0')).toBe(3);
    for (let i = 1; i < 10; i++) expect(counts.get(`w${i}`)).toBe(2);
  });

  it("counts a project's words and pairs apart, each under its own cap", () => {
    const project = new ProjectTerms();
    project.countQuestions(
      5,
      new Map([
        ['google pay', 3],
        ['google', 5],
      ]),
    );
    for (let i = 0; i < 16_384; i++) project.countQuestion([`pair ${i}`]);
    expect(project.questions).toBe(16_389);
    // The pairs passed their cap (16,384): the most used three quarters stay, the words are untouched.
    expect(project.get('google pay')).toBe(3);
    expect(project.get('google')).toBe(5);
    expect(project.get('pair 0')).toBeUndefined();
    expect(project.get('pair 16383')).toBe(1);
  });

  it('grows a word into the phrasal verb its questions say ("top up"), and never labels with a particle', () => {
    const topic = [
      'my top up failed',
      'why did my top up fail',
      'top up by bank transfer',
      'how long does a top up take',
    ];
    const others = [
      'card payment declined',
      'exchange rate for euros',
      'where is my card',
      'sign in to the app',
    ];
    const { project, counts } = counted(topic, others);
    const label = topicLabel(counts, topic.length, project, 5);
    expect(label[0]).toBe('top up');
    expect(label).not.toContain('up');
    expect(label.some((t) => t.split(' ').includes('top') && t !== 'top up')).toBe(false);
    // Read back from the label alone (a row from before term_counts), the particle is no word.
    const restored = restoredTerms(label, topic.length);
    expect(restored.has('up')).toBe(false);
    const relabelled = topicLabel(restored, topic.length, project, 5);
    expect(relabelled).toContain('top up');
    expect(relabelled).not.toContain('up');
  });

  it("names a verb once, whatever its form: an irregular verb's past forms and a short plural share its root", () => {
    expect(['go', 'going', 'gone', 'went'].map(labelRoot)).toEqual(['go', 'go', 'go', 'go']);
    expect(['withdraw', 'withdrawn', 'withdrew', 'withdrawing'].map(labelRoot)).toEqual(
      Array(4).fill('withdraw'),
    );
    expect(labelRoot('paid')).toBe(labelRoot('pay'));
    expect(labelRoot('ups')).toBe('up');
    // A form that is another verb's base keeps its meaning ("lay" is not "lie"); regular words keep their stem.
    expect(labelRoot('lay')).toBe('lay');
    expect(labelRoot('transfers')).toBe('transfer');
    expect(labelRoot('gas')).toBe('ga');
    expect(labelRoot('bus')).not.toBe(labelRoot('but'));

    const topic = [
      'my transfer did not go through',
      'why has my transfer not gone through',
      'what is going on with my transfer',
      'the transfer went nowhere and did not go through',
      'my money has gone',
      'my top ups went through but transfers have not gone through',
    ];
    const others = ['card payment declined', 'exchange rate for euros', 'where is my card', 'top up by card'];
    const { project, counts } = counted(topic, others);
    const label = topicLabel(counts, topic.length, project, 4);
    const roots = label.flatMap((t) =>
      t
        .split(' ')
        .filter((w) => w !== 'through' && w !== 'on')
        .map(labelRoot),
    );
    // "go", "gone", "going" and "went" are the topic's most frequent word and count as one.
    expect(roots.filter((r) => r === 'go')).toHaveLength(1);
    expect(new Set(roots).size).toBe(roots.length);
  });

  it('ranks words by tf × idf and grows them into phrases; restored counts give the label back', () => {
    const { project, counts } = counted(
      ['google pay is not working', 'can i use google pay abroad', 'google pay rejected my card'],
      ['card declined abroad', 'card payment declined', 'my card was declined'],
    );
    const label = topicLabel(counts, 3, project, 3);
    // "google" and "pay" are the topic's in every question, and always side by side.
    expect(label[0]).toBe('google pay');
    // "abroad" is said by two of the project's six questions, "rejected" and "use" by one.
    expect(label.slice(1).sort()).toEqual(['rejected', 'use']);
    // Restored ranks stand in for the counts: the same terms, the phrase grown again.
    const restored = restoredTerms(label, 3);
    expect(restored.get('google pay')).toBe(3);
    expect(topicLabel(restored, 3, project, 3).sort()).toEqual([...label].sort());
  });

  it('labels a topic of another language in an English project by its content words, not its function words', () => {
    const english = [
      'how do I get a refund',
      'when will my refund arrive',
      'I forgot my password',
      'where is my parcel',
      'cancel my subscription',
      'my card payment was declined',
    ];
    const label = (topic: string[]) => {
      const { project, counts } = counted(topic, [...english, ...english]);
      return topicLabel(counts, topic.length, project, 3);
    };
    // Rare in the project, "mi", "ich", "habe", "怎么" and "した" ranked first, and grew phrases.
    expect(
      label(['olvidé mi contraseña', '¿cómo cambio mi contraseña?', 'no puedo restablecer mi contraseña']),
    ).toEqual(['contraseña', 'cambio', 'olvidé']);
    const german = label([
      'Ich habe mein Passwort vergessen',
      'Wie kann ich mein Passwort ändern?',
      'Ich habe das Passwort vergessen',
    ]);
    expect(german).toEqual(['passwort vergessen', 'ändern']);
    expect(label(['我的转账失败了', '转账为什么失败', '转账失败怎么办'])).toEqual(['转账 失败']);
    expect(
      label(['パスワードを忘れました', 'パスワードをリセットしたい', 'パスワードを忘れた']),
    ).not.toContain('した');
    for (const l of [
      german,
      label(['パスワードを忘れました', 'パスワードをリセットしたい', 'パスワードを忘れた']),
    ])
      expect(l.join(' ').split(' ')).not.toEqual(expect.arrayContaining(['ich', 'habe', 'mein', 'した']));
    // A topic's row restored from before holds such terms: they still name nothing.
    const { project } = counted([], english);
    const stored = new Map([
      ['mi', 3],
      ['mi contraseña', 3],
      ['contraseña', 3],
      ['olvidé', 1],
    ]);
    expect(topicLabel(stored, 3, project, 3)).toEqual(['contraseña', 'olvidé']);
  });

  it("keeps English content words that are another language's function words in an English topic's label", () => {
    const others = [
      'how do I get a refund',
      'when will my refund arrive',
      'I forgot my password',
      'where is my parcel',
      'cancel my subscription',
    ];
    const label = (topic: string[]) => {
      const { project, counts } = counted(topic, [...others, ...others]);
      return topicLabel(counts, topic.length, project, 3).join(' ').split(' ');
    };
    // "sim" is Portuguese for yes, "plus" and "ai" French, "bin" and "den" German, "con" Spanish.
    expect(label(['my sim card is blocked', 'new sim card please', 'sim card not working'])).toContain('sim');
    expect(label(['upgrade to the plus plan', 'what does plus include', 'cancel my plus plan'])).toContain(
      'plus',
    );
    expect(
      label(['turn off the ai assistant', 'is the ai feature free', 'the ai gives wrong answers']),
    ).toContain('ai');
  });

  it('reads a vocabulary back from its state: every label the same, terms said once left out of the row', () => {
    const topic = ['google pay is not working', 'can i use google pay abroad', 'google pay rejected my card'];
    const others = ['card declined abroad', 'card payment declined', 'my card was declined'];
    const { project, counts } = counted(topic, others);
    const state = project.state();
    expect(state.questions).toBe(6);
    expect(state.termCounts.google).toBe(3);
    expect(state.termCounts['google pay']).toBe(3);
    expect(state.termCounts.abroad).toBe(2);
    // Said once: its topic's own count stands in for it.
    expect(state.termCounts).not.toHaveProperty('rejected');
    const back = ProjectTerms.from(JSON.parse(JSON.stringify(state)));
    expect(back.questions).toBe(6);
    expect(back.get('card')).toBe(project.get('card'));
    expect(topicLabel(counts, 3, back, 3)).toEqual(topicLabel(counts, 3, project, 3));
    // Summed from the topics' tables, as a restart did before, it lacks what no table kept (here: the other topics').
    const summed = new ProjectTerms();
    summed.countQuestions(3, counts);
    expect(summed.get('card')).toBe(1);
    expect(back.get('card')).toBe(4);
  });
});
