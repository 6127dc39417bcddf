import { describe, expect, it } from 'vitest';
import { groundedness, indexContext, isRefusal } from '../../src/groundedness/index.ts';
import { bigramKey, claims, sentences, tokenize } from '../../src/groundedness/text.ts';

const CONTEXT = [
  'Acme Corp reported revenue of $4.2 billion for 2023, an increase of 12 percent over the prior year. ' +
    'The company was founded in 1987 by Maria Lopez in Austin, Texas. ' +
    'Its chief executive, John Park, said the board approved a dividend of $0.13 per share.',
  'Acme does not sell directly to consumers. Its products are distributed through regional partners in Europe and Asia.',
];

describe('groundedness', () => {
  it('scores an answer restating the context as grounded', () => {
    const r = groundedness('Acme Corp was founded in 1987 by Maria Lopez in Austin, Texas.', CONTEXT);
    expect(r.label).toBe('grounded');
    expect(r.score).toBeGreaterThan(0.8);
    expect(r.unsupported).toEqual([]);
    expect(r.refusal).toBe(false);
  });

  it('flags a changed number and names it in the explanation', () => {
    const r = groundedness('Acme Corp was founded in 1991 by Maria Lopez in Austin, Texas.', CONTEXT);
    expect(r.label).toBe('hallucinated');
    expect(r.unsupported[0]?.reasons).toContain('number_missing');
    expect(r.unsupported[0]?.missing).toContain('1991');
  });

  it('flags a changed dividend amount', () => {
    const ok = groundedness('The board approved a dividend of $0.13 per share.', CONTEXT);
    const bad = groundedness('The board approved a dividend of $0.14 per share.', CONTEXT);
    expect(ok.label).toBe('grounded');
    expect(bad.score).toBeLessThan(ok.score - 0.3);
  });

  it('flags a negation the context does not make', () => {
    const ok = groundedness(
      'Its products are distributed through regional partners in Europe and Asia.',
      CONTEXT,
    );
    const bad = groundedness(
      'Its products are not distributed through regional partners in Europe and Asia.',
      CONTEXT,
    );
    expect(ok.label).toBe('grounded');
    expect(bad.label).toBe('hallucinated');
    expect(bad.unsupported[0]?.reasons).toContain('negation_mismatch');
  });

  it('flags a negation added to a sentence that already negates something else', () => {
    const ctx = ['Acme does not sell directly to consumers, and its partners handle returns in Europe.'];
    const ok = groundedness(
      'Acme does not sell directly to consumers, and its partners handle returns.',
      ctx,
    );
    const bad = groundedness(
      "Acme does not sell directly to consumers, and its partners don't handle returns.",
      ctx,
    );
    expect(ok.label).toBe('grounded');
    expect(bad.unsupported[0]?.reasons).toContain('negation_mismatch');
  });

  it('flags a flipped direction (increase → decrease)', () => {
    const ok = groundedness('Revenue for 2023 was an increase of 12 percent over the prior year.', CONTEXT);
    const bad = groundedness('Revenue for 2023 was a decrease of 12 percent over the prior year.', CONTEXT);
    expect(bad.unsupported[0]?.reasons).toContain('opposite');
    expect(bad.score).toBeLessThan(ok.score - 0.3);
  });

  it('flags two real entities put in a relation the context does not state', () => {
    // Both names occur in the context, but Park is the chief executive, not the founder.
    const ok = groundedness('Maria Lopez founded the company in 1987.', CONTEXT);
    const bad = groundedness('Maria Lopez founded the company in Asia.', CONTEXT);
    expect(ok.label).toBe('grounded');
    expect(bad.unsupported[0]?.reasons).toContain('entity_relation');
    expect(bad.score).toBeLessThan(ok.score);
  });

  it('flags a name taken from the neighbouring sentence of a short context', () => {
    const ctx = [
      'Nordwind was founded in 1998 by Clara Weiss in Hamburg. Its chief executive since 2004 has been Jonas Berg.',
    ];
    const ok = groundedness('Nordwind was founded in 1998 by Clara Weiss in Hamburg.', ctx);
    const bad = groundedness('Nordwind was founded in 1998 by Jonas Berg in Hamburg.', ctx, { threshold: 1 });
    expect(ok.label).toBe('grounded');
    expect(bad.score).toBeLessThan(ok.score - 0.15);
    expect(bad.unsupported[0]?.reasons).toContain('entity_elsewhere');
  });

  it('flags two names of one sentence put in reverse roles', () => {
    const ctx = ['In March, Halden Systems acquired Brightwater Labs for an undisclosed sum.'];
    const ok = groundedness('Halden Systems acquired Brightwater Labs in March.', ctx);
    const bad = groundedness('Brightwater Labs acquired Halden Systems in March.', ctx, { threshold: 1 });
    // Mild on its own: a passive paraphrase reverses names too.
    expect(bad.score).toBeLessThan(ok.score);
    expect(bad.unsupported[0]?.reasons).toContain('entity_relation');
  });

  it('checks the order of many names in one long claim without trying every pair', () => {
    // Every pair of names, and every word between them, was tried: cubic in the claim's names.
    const ctx = ['Halden Systems acquired Brightwater Labs.'];
    const names = `${'Brightwater and Halden and '.repeat(300)}Brightwater and Halden Systems`;
    const read = (answer: string) => {
      let lookups = 0;
      const get = Map.prototype.get;
      Map.prototype.get = function (this: Map<unknown, unknown>, key: unknown) {
        lookups++;
        return get.call(this, key);
      };
      try {
        const reasons = groundedness(answer, ctx, { threshold: 1 }).unsupported[0]?.reasons;
        return { lookups, reasons };
      } finally {
        Map.prototype.get = get;
      }
    };
    // No word of the sentence between them: reversed names alone are no swap.
    const plain = read(`${names}.`);
    expect(plain.lookups).toBeLessThan(100 * 1_200);
    expect(plain.reasons ?? []).not.toContain('entity_relation');
    // Around "acquired" they are.
    expect(read(`${names} and Brightwater acquired Halden Systems.`).reasons).toContain('entity_relation');
  });

  it('flags an invented name', () => {
    const r = groundedness('The company was founded in 1987 by Peter Novak.', CONTEXT);
    expect(r.label).toBe('hallucinated');
    expect(r.unsupported[0]?.reasons).toContain('entity_missing');
  });

  it('scores the worst claim of a long answer, not the average of all', () => {
    const good =
      'Acme Corp reported revenue of $4.2 billion for 2023. The company was founded in 1987 by Maria Lopez.';
    const r = groundedness(`${good} Acme also owns a fleet of 300 cargo ships based in Rotterdam.`, CONTEXT);
    expect(r.label).toBe('hallucinated');
    expect(r.claims).toBe(3);
    expect(r.unsupported).toHaveLength(1);
    expect(r.unsupported[0]?.claim).toMatch(/Rotterdam/);
  });

  it('treats refusals as a gap signal, not a hallucination', () => {
    for (const a of [
      "I don't know.",
      'The provided context does not mention the CFO.',
      "I'm sorry, but I cannot find that in the documents.",
    ]) {
      const r = groundedness(a, CONTEXT);
      expect(r, a).toMatchObject({ refusal: true, label: 'grounded', score: 1 });
    }
    expect(isRefusal('Acme was founded in 1987.')).toBe(false);
  });

  it('scores the claims of an answer that hedges only part of it', () => {
    const context = [
      'Refunds are accepted within 30 days of purchase at any store. Gift cards are sold at the till.',
    ];
    const answer = 'The refund window is 90 days at every store.';
    const plain = groundedness(answer, context);
    const hedged = groundedness(`${answer} I'm not sure about gift cards.`, context);
    expect(plain).toMatchObject({ label: 'hallucinated', refusal: false, hedged: false });
    expect(hedged).toMatchObject({ label: 'hallucinated', refusal: false, hedged: true, claims: 1 });
    expect(hedged.score).toBeCloseTo(plain.score, 6);
    expect(hedged.unsupported[0]?.missing).toContain('90');
    // Within one sentence too, and a supported answer stays grounded with its hedge left out.
    expect(isRefusal("I can't confirm the date, but the store opened in 1995.")).toBe(false);
    const ok = groundedness("Refunds are accepted within 30 days. I'm not sure about gift cards.", context);
    expect(ok).toMatchObject({ label: 'grounded', refusal: false, hedged: true, claims: 1, unsupported: [] });
    // A clause cut before its hedge stays its own claim, as written in the answer.
    const cut = groundedness(
      "Refunds are accepted within 30 days at any store, but I'm not sure about gift cards. Shipping is free in Berlin.",
      context,
    );
    expect(cut).toMatchObject({ hedged: true, refusal: false, claims: 2 });
    expect(cut.unsupported.map((u) => u.claim)).toEqual(['Shipping is free in Berlin.']);
  });

  it('still reads a refusal with courtesies or a pointer elsewhere as a refusal', () => {
    for (const a of [
      "I don't know. Please contact our support team for help.",
      "I'm sorry, but I cannot find that in the documents. Is there anything else I can help with?",
      'Unfortunately, the provided context does not mention gift cards. You may want to contact the store directly.',
      "I'm not sure. Try the help center.",
      'Lo siento. No lo sé.',
    ]) {
      expect(isRefusal(a), a).toBe(true);
      expect(groundedness(a, CONTEXT), a).toMatchObject({ refusal: true, hedged: true, score: 1, claims: 0 });
    }
    expect(isRefusal("I'm not sure. Maria Lopez founded Acme in 1987.")).toBe(false);
    // A claim beside the refusal stays a claim: with "might" and a name, after a bare "but",
    // and after a refusal whose words reach into it.
    for (const a of [
      "I don't know the founding date. Acme might have been founded by John Smith in Paris.",
      "I can't confirm the date but the store opened in 1875 in Paris.",
      'There is no information about gift cards. The context says refunds take 90 days at the Paris store.',
    ]) {
      expect(isRefusal(a), a).toBe(false);
      expect(groundedness(a, CONTEXT), a).toMatchObject({ refusal: false, hedged: true });
      expect(groundedness(a, CONTEXT).claims, a).toBe(1);
    }
    expect(isRefusal("I can't help with fake reviews. Generating them would mislead shoppers.")).toBe(true);
    expect(groundedness('Acme was founded in 1987.', CONTEXT).hedged).toBe(false);
  });

  it('knows a refusal in other languages, and an answer that only sounds like one', () => {
    for (const a of [
      'Lo siento, no lo sé.',
      'No hay información sobre el director financiero en los documentos.',
      'Não sei.',
      'Je ne peux pas répondre à cette question avec ce contexte.',
      "Ce n'est pas mentionné dans les documents.",
      'Ich weiß es nicht.',
      'Dazu gibt es keine Informationen in den bereitgestellten Dokumenten.',
      'Non lo so.',
      '抱歉，我不知道。',
      '文档中没有提到首席财务官。',
      '申し訳ありませんが、わかりません。',
      '資料には記載されていません。',
    ])
      expect(isRefusal(a), a).toBe(true);
    for (const a of [
      'No sé si te ayuda, pero el límite diario es de 500 €.',
      'Wir speichern keine Daten über Ihre Zahlungen.',
      '我们不能提供退款，但可以更换商品。',
      'La tarjeta llega en cinco días hábiles.',
      '新卡将在五个工作日内寄到。',
    ])
      expect(isRefusal(a), a).toBe(false);
  });

  it('checks a bare yes against what the question asked', () => {
    const ok = groundedness('Yes', CONTEXT, { question: 'Was Acme founded in Austin by Maria Lopez?' });
    const bad = groundedness('Yes', CONTEXT, { question: 'Was Acme founded in Seattle by Bill Gates?' });
    expect(ok.score).toBeGreaterThan(bad.score + 0.4);
  });

  it('accepts a prebuilt context index and gives the same result', () => {
    const index = indexContext(CONTEXT);
    const a = 'John Park said the board approved a dividend.';
    expect(groundedness(a, index)).toEqual(groundedness(a, CONTEXT));
  });

  it('keeps multi-word names in order', () => {
    const ctx = ['Her best-selling novel is Between Shades of Gray, published in 2011.'];
    const ok = groundedness('Her best-seller is Between Shades of Gray.', ctx);
    // threshold 1 lists every claim with any risk, so the reason is visible even when mild.
    const bad = groundedness('Her best-seller is The Gray Shades.', ctx, { threshold: 1 });
    expect(bad.score).toBeLessThan(ok.score - 0.2);
    expect(bad.unsupported[0]?.reasons).toContain('name_order');
  });

  it('flags a figure moved to a word the context gives another figure', () => {
    const ctx = ['The Tier 1 capital ratio was 13.8 percent. Tier 2 capital was not reported.'];
    const ok = groundedness('The Tier 1 capital ratio was 13.8 percent.', ctx);
    const bad = groundedness('The Tier 1 capital ratio was 12.8 percent.', ctx);
    const ordinal = groundedness('Revenue rose in the third quarter.', [
      'Revenue rose in the second quarter.',
    ]);
    expect(ok.label).toBe('grounded');
    expect(bad.label).toBe('hallucinated');
    expect(bad.unsupported[0]?.reasons).toEqual(
      expect.arrayContaining(['number_missing', 'number_mismatch']),
    );
    expect(ordinal.unsupported[0]?.reasons).toContain('number_mismatch');
  });

  it('does not read words like "constructor" as numbers', () => {
    const t = tokenize('The constructor calls toString and valueOf.');
    expect(t.every((x) => x.number === undefined)).toBe(true);
  });

  it('handles empty and degenerate input without throwing', () => {
    expect(groundedness('', CONTEXT)).toMatchObject({ score: 1, claims: 0 });
    expect(groundedness('Acme was founded in 1987.', []).label).toBe('hallucinated');
    expect(groundedness('...', '').claims).toBe(0);
  });
});

describe('text helpers', () => {
  it('splits sentences across missing spaces, abbreviations and decimals', () => {
    expect(sentences('It was 1993.The film starred Dr. Smith. Revenue rose 3.5 percent.')).toEqual([
      'It was 1993.',
      'The film starred Dr. Smith.',
      'Revenue rose 3.5 percent.',
    ]);
  });

  it('splits sentences at CJK full stops, which no space follows', () => {
    expect(sentences('我的卡丢了。请帮我冻结！谢谢。 OK. Done')).toEqual([
      '我的卡丢了。',
      '请帮我冻结！',
      '谢谢。',
      'OK.',
      'Done',
    ]);
  });

  it('cuts a run of an unspaced script into its words, and words of other scripts around it', () => {
    expect(tokenize('我的转账为什么失败了？').map((x) => x.lower)).toEqual([
      '我的',
      '转账',
      '为什么',
      '失败',
      '了',
    ]);
    expect(tokenize('パスワードを変更したい').map((x) => x.lower)).toEqual([
      'パスワード',
      'を',
      '変更',
      'した',
      'い',
    ]);
    expect(tokenize('บัตรของฉันจะมาถึงเมื่อไหร่').map((x) => x.lower)).toEqual([
      'บัตร',
      'ของ',
      'ฉัน',
      'จะ',
      'มา',
      'ถึง',
      'เมื่อ',
      'ไหร่',
    ]);
    expect(tokenize('iPhone手机坏了').map((x) => x.lower)).toEqual(['iphone', '手机', '坏', '了']);
    // Numbers and names around a run keep what the scanner reads of them.
    const t = tokenize('I paid 5 million yuan to 张三 on Monday');
    expect(t.map((x) => x.lower)).toEqual(['i', 'paid', '5', 'yuan', 'to', '张三', 'on', 'monday']);
    expect(t[2]?.number).toBe(5e6);
    expect(t.at(-1)?.entity).toBe(true);
    // Twice, so the second scan reads the words from the word table.
    expect(tokenize('我的转账为什么失败了？').map((x) => x.stem)).toEqual([
      '我的',
      '转账',
      '为什么',
      '失败',
      '了',
    ]);
  });

  it('folds scale words into numbers and parses number words', () => {
    const t = tokenize('It raised 5 million dollars from twelve investors and 1,200 users.');
    expect(t.filter((x) => x.number !== undefined).map((x) => x.number)).toEqual([5e6, 12, 1200]);
  });

  it('folds a scale word into a number of any size', () => {
    const t = tokenize('It booked 4,213 million dollars and 1,200 thousand units.');
    expect(t.filter((x) => x.number !== undefined).map((x) => x.number)).toEqual([4.213e9, 1.2e6]);
  });

  it('folds only a scale word right after its number, not one across punctuation or a compound', () => {
    const numbers = (text: string) =>
      tokenize(text).flatMap((x) => (x.number === undefined ? [] : [x.number]));
    expect(numbers('In 2021, billion-dollar deals rose 20%.')).toEqual([2021, 1e9, 20]);
    expect(numbers('By 2030 billion-dollar rounds were rare.')).toEqual([2030, 1e9]);
    expect(numbers('It raised 3\u00a0million.')).toEqual([3e6]);
    expect(numbers('a $4.2-billion contract, a 3 million-dollar grant, 3\u2009million euros')).toEqual([
      4.2e9, 3e6, 3e6,
    ]);
    const r = groundedness('In 2021, billion-dollar deals rose 20%.', [
      'Billion-dollar deals rose 20% in 2021.',
    ]);
    expect(r).toMatchObject({ label: 'grounded', unsupported: [] });
  });

  it('takes a rounded large figure in other units as support, a changed one not', () => {
    const context = ['Revenue was $4.2 billion.'];
    for (const answer of ['Revenue was 4,213 million dollars.', 'Revenue was 4,200 million dollars.']) {
      const r = groundedness(answer, context);
      expect(r.label).toBe('grounded');
      expect(r.unsupported).toEqual([]);
    }
    expect(
      groundedness('Revenue was $4.2 billion.', ['Revenue was 4,213 million dollars.']).unsupported,
    ).toEqual([]);
    const changed = groundedness('Revenue was 4,800 million dollars.', context);
    expect(changed.label).toBe('hallucinated');
    expect(changed.unsupported[0]?.reasons).toContain('number_missing');
    expect(changed.unsupported[0]?.missing).toContain('4,800');
  });

  it('cuts words as the word pattern does: ordinals, decades, decimals, apostrophes', () => {
    const t = tokenize("In the 1990s O’Brien's 3rd bid rose 2.5 percent to 1,200.75; it didn't.");
    expect(t.map((x) => x.lower)).toEqual([
      'in',
      'the',
      '1990s',
      "o’brien's",
      '3rd',
      'bid',
      'rose',
      '2.5',
      'percent',
      'to',
      '1,200.75',
      'it',
      "didn't",
    ]);
    expect(t.map((x) => x.number).filter((n) => n !== undefined)).toEqual([1990, 3, 2.5, 1200.75]);
    expect(t.find((x) => x.lower === "didn't")?.negation).toBe(true);
    expect(t.find((x) => x.lower === "o’brien's")?.entity).toBe(true);
  });

  it('analyses words the same after its word table has filled and restarted', () => {
    const before = tokenize('Maria Lopez founded Acme in Austin.');
    // Far more distinct words than the table holds, so it starts over at least once.
    const letters = (i: number) =>
      i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));
    tokenize(Array.from({ length: 80_000 }, (_, i) => `q${letters(i)}`).join(' '));
    expect(tokenize('Maria Lopez founded Acme in Austin.')).toEqual(before);
  });

  it('cuts long sentences into clauses', () => {
    const long =
      'The committee reviewed the quarterly budget proposal in great detail over several long meetings held in March, ' +
      'but the final vote on the remaining items was postponed until the following month for further review.';
    expect(claims(long).length).toBe(2);
  });
});

describe('context index', () => {
  const letters = (i: number) =>
    i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));

  it('indexes equal documents once, and keeps different documents and splits apart', () => {
    const a = indexContext(['Acme was founded in 1987.', 'Maria Lopez leads it.']);
    expect(indexContext(['Acme was founded in 1987.', 'Maria Lopez leads it.'])).toBe(a);
    // The same text cut into documents differently: windows never cross documents, so not the same index.
    const joined = indexContext(['Acme was founded in 1987. Maria Lopez leads it.']);
    expect(joined).not.toBe(a);
    expect([...a.docOf]).toEqual([0, 1]);
    expect([...joined.docOf]).toEqual([0, 0]);
    expect(indexContext(['ab', 'c'])).not.toBe(indexContext(['a', 'bc']));
  });

  it('does not hand back a stale index when the caller reuses its array', () => {
    // A long document with one figure changed in its middle: most of its characters, and so its
    // cache key, are the same.
    const filler = 'The partners met every spring to review the accounts and plan the next season. '.repeat(
      12,
    );
    const docs = [`${filler}Acme was founded in 1987 in Austin. ${filler}`];
    const first = indexContext(docs);
    docs[0] = (docs[0] as string).replace('1987', '1991');
    const second = indexContext(docs);
    expect(second).not.toBe(first);
    expect(second.postings.has('1991')).toBe(true);
    expect(second.postings.has('1987')).toBe(false);
    expect(groundedness('Acme was founded in 1991.', docs).label).toBe('grounded');
  });

  it('keeps posting lists right when the word table starts over in the middle of a context', () => {
    // 40,000 new distinct words between two sentences about Maria Lopez: the word table (32,768
    // words) starts over while this context is indexed, renumbering the stems the index uses.
    const flood: string[] = [];
    for (let s = 0; s < 2_000; s++)
      flood.push(`${Array.from({ length: 20 }, (_, w) => `zq${letters(s * 20 + w)}`).join(' ')}.`);
    const context = [
      'Acme Corp was founded in 1987 by Maria Lopez.',
      ...flood,
      'Maria Lopez later moved the company to Austin.',
    ].join(' ');
    const index = indexContext(context);
    const last = index.sentences.length - 1;
    expect(index.sentences[last]?.text).toBe('Maria Lopez later moved the company to Austin.');
    expect(index.postings.get('maria')).toEqual([0, last]);
    expect(index.postings.get('austin')).toEqual([last]);
    expect(index.postings.get('acme')).toEqual([0]);
    // No flood word's list picked up a sentence it is not in.
    for (const [stem, ids] of index.postings)
      if (stem.startsWith('zq')) expect(ids.every((id) => id >= 1 && id < last)).toBe(true);
    expect(groundedness('Maria Lopez moved the company to Austin.', index).label).toBe('grounded');
    expect(groundedness('Maria Lopez moved the company to Dallas.', index).label).toBe('hallucinated');
  });

  it('records every adjacent pair of words, however many a short-worded text has', () => {
    // One-character words (CJK) in a scrambled order: more distinct word pairs per character than
    // the bigram set is first sized for, so it has to grow past its first capacity.
    const names = Array.from({ length: 3_000 }, (_, i) => String.fromCharCode(0x4e00 + i));
    let seed = 12_345;
    const next = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed >>> 8;
    };
    const words = Array.from({ length: 12_000 }, () => names[next() % names.length] as string);
    const index = indexContext(`The list: ${words.join(' ')}.`);
    const key = (a: string, b: string) =>
      bigramKey(tokenize(`x ${a}`)[1]?.key ?? 0, tokenize(`x ${b}`)[1]?.key ?? 0);
    const pairs = new Set<string>();
    const keys = new Set<number>();
    for (let i = 1; i < words.length; i++) {
      pairs.add(`${words[i - 1]} ${words[i]}`);
      keys.add(key(words[i - 1] as string, words[i] as string));
    }
    expect(keys.size).toBeGreaterThan(8_192);
    // And "list" before the first name ("The" is a stop word).
    expect(index.bigrams.size).toBe(keys.size + 1);
    for (const pair of pairs) {
      const [a, b] = pair.split(' ') as [string, string];
      expect(index.bigrams.has(key(a, b))).toBe(true);
      // Absent unless some present pair shares its 30-bit key (`bigramKey` accepts rare collisions).
      if (!keys.has(key(b, a))) expect(index.bigrams.has(key(b, a))).toBe(false);
    }
  });
});
