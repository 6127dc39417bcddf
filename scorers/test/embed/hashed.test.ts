import { describe, expect, it } from 'vitest';
import { HashedEmbedder, stem, words } from '../../src/embed/hashed.ts';
import { builtinHashedWidth } from '../../src/embed/topic-thresholds.ts';
import { cosine } from '../../src/embed/types.ts';
import { UseEmbedder } from '../../src/embed/use.ts';
import { encodeWordTable, WordTable } from '../../src/embed/word-table.ts';

describe('HashedEmbedder (built-in)', () => {
  it('gives unit vectors of the configured width, deterministically', () => {
    const a = new HashedEmbedder({ dimension: 256, learn: false });
    const b = new HashedEmbedder({ dimension: 256, learn: false });
    const v = a.embedOne('How do I reset my password?');
    expect(v).toHaveLength(256);
    expect(cosine(v, v)).toBeCloseTo(1, 5);
    expect(Array.from(b.embedOne('How do I reset my password?'))).toEqual(Array.from(v));
    expect(a.id).toBe('builtin:hashed-v1:256');
  });

  it('puts paraphrases closer than unrelated questions', () => {
    const e = new HashedEmbedder({ learn: false });
    const q = e.embedOne('my card payment was declined');
    const para = e.embedOne('why was my card payment declined at the shop');
    const other = e.embedOne('what is the exchange rate for euros');
    expect(cosine(q, para)).toBeGreaterThan(0.4);
    expect(cosine(q, para)).toBeGreaterThan(cosine(q, other) + 0.3);
  });

  it('learns IDF: a word every text has stops dominating', () => {
    const e = new HashedEmbedder();
    for (let i = 0; i < 200; i++) e.observe(`acme question number ${i % 7} about billing`);
    expect(e.documents).toBe(200);
    const fresh = new HashedEmbedder({ learn: false });
    const x = 'acme refund';
    const y = 'acme shipping';
    // With the learned table "acme" is common, so the two differ more than with uniform weights.
    expect(cosine(e.embedOne(x, false), e.embedOne(y, false))).toBeLessThan(
      cosine(fresh.embedOne(x), fresh.embedOne(y)),
    );
  });

  it('embeds empty and symbol-only text as the zero vector instead of throwing', async () => {
    const e = new HashedEmbedder();
    const [v] = await e.embed(['  ?! ']);
    expect(v?.every((x) => x === 0)).toBe(true);
  });

  it('tokenises and stems', () => {
    expect(words("I don't get it, Transfers!")).toEqual(['i', 'dont', 'get', 'it', 'transfers']);
    expect(stem('transfers')).toBe('transfer');
    expect(stem('charges')).toBe('charge');
    expect(stem('verifying')).toBe('verify');
    expect(stem('topped')).toBe('topp');
  });

  it('splits scripts written without spaces into their words, and leaves spaced text as it was', () => {
    expect(words('我的银行卡还没有寄到？')).toEqual(['我的', '银行', '卡', '还', '没有', '寄到']);
    expect(words('パスワードを変更したい')).toEqual(['パスワード', 'を', '変更', 'した', 'い']);
    expect(words('บัตรของฉันจะมาถึงเมื่อไหร่')).toEqual(['บัตร', 'ของ', 'ฉัน', 'จะ', 'มา', 'ถึง', 'เมื่อ', 'ไหร่']);
    // Mixed text: the Latin words stay whole, in place.
    expect(words('我的Apple Pay不能用')).toEqual(['我的', 'apple', 'pay', '不能', '用']);
    expect(words('내 카드는 언제 도착하나요?')).toEqual(['내', '카드는', '언제', '도착하나요']);
    // Vowel signs are marks, not letters: they stay inside their words.
    expect(words('मेरा कार्ड कब आएगा?')).toEqual(['मेरा', 'कार्ड', 'कब', 'आएगा']);
    expect(words('Wann kommt meine Karte an?')).toEqual(['wann', 'kommt', 'meine', 'karte', 'an']);
  });

  it('gives paraphrases in an unspaced script a cosine from the words they share', () => {
    const e = new HashedEmbedder({ learn: false });
    const a = e.embedOne('我的转账失败了');
    // Shares 转账 and 失败 with the first; before words were split there, no feature but the n-grams inside one "word".
    expect(cosine(a, e.embedOne('转账为什么失败'))).toBeGreaterThan(0.4);
    expect(cosine(a, e.embedOne('今天的汇率是多少'))).toBeLessThan(0.1);
  });

  it('rejects a width too small to be useful, and a word share outside 0..1', () => {
    expect(() => new HashedEmbedder({ dimension: 4 })).toThrow(/dimension/);
    expect(() => new HashedEmbedder({ wordShare: 1.5 })).toThrow(/wordShare/);
    expect(() => new HashedEmbedder({ wordShare: Number.NaN })).toThrow(/wordShare/);
  });
});

describe('HashedEmbedder with word vectors appended', () => {
  // Two words with identical vectors: only the hashed part tells them apart.
  const table = WordTable.parse(encodeWordTable(['alpha', 'omega', 'refund'], [1, 2, 1, 2, -2, 1], 2));

  it('appends the table after the hashed slots and names the space after both', () => {
    const e = new HashedEmbedder({ learn: false, wordTable: table, wordShare: 0.4 });
    expect(e.dimension).toBe(1026);
    expect(e.hashedDimension).toBe(1024);
    expect(e.id).toBe('builtin:hashed-words-v1:1024+2:0.4');
    const v = e.embedOne('alpha refund');
    expect(cosine(v, v)).toBeCloseTo(1, 5);
    expect(v.subarray(1024).some((x) => x !== 0)).toBe(true);
  });

  it('splits the cosine between the parts by wordShare', () => {
    const cos = (share: number) => {
      const e = new HashedEmbedder({ learn: false, wordTable: table, wordShare: share });
      return cosine(e.embedOne('alpha'), e.embedOne('omega'));
    };
    const hashedOnly = new HashedEmbedder({ learn: false });
    const h = cosine(hashedOnly.embedOne('alpha'), hashedOnly.embedOne('omega'));
    expect(cos(0.3)).toBeCloseTo(0.3 + 0.7 * h, 4);
    expect(cos(1)).toBeCloseTo(1, 4);
  });

  it('falls back to the stem, and to the hashed part alone when no word is known', () => {
    const e = new HashedEmbedder({ learn: false, wordTable: table });
    const stemmed = e.embedOne('refunds');
    expect(stemmed[1024]).toBeLessThan(0);
    expect(stemmed[1025]).toBeGreaterThan(0);
    const unknown = e.embedOne('zzyzx qwerty');
    expect(Array.from(unknown.subarray(1024))).toEqual([0, 0]);
    expect(cosine(unknown, unknown)).toBeCloseTo(1, 5);
  });
});

describe('HashedEmbedder word-part centring', () => {
  // Two words dominated by one shared direction, as a domain's words are.
  const table = WordTable.parse(encodeWordTable(['alpha', 'omega'], [10, 1, 10, -1], 2));

  it('removes the direction every text shares, learned from the texts seen', () => {
    const centred = new HashedEmbedder({ wordTable: table, wordShare: 1 });
    const raw = new HashedEmbedder({ wordTable: table, wordShare: 1, centreWords: false });
    for (const e of [centred, raw]) {
      e.observe('alpha');
      e.observe('omega');
    }
    expect(cosine(raw.embedOne('alpha', false), raw.embedOne('omega', false))).toBeGreaterThan(0.97);
    expect(cosine(centred.embedOne('alpha', false), centred.embedOne('omega', false))).toBeCloseTo(-1, 3);
    expect(raw.id).toBe('builtin:hashed-words-v1:1024+2:1:raw');
  });
});

describe('HashedEmbedder feature weights', () => {
  it('keeps the v1 id at the default weights and names other weightings', () => {
    expect(new HashedEmbedder({ charWeight: 0.25, bigramWeight: 0.5 }).id).toBe('builtin:hashed-v1:1024');
    expect(new HashedEmbedder({ charWeight: 0.1, bigramWeight: 1 }).id).toBe('builtin:hashed-v1:1024:c0.1b1');
    expect(() => new HashedEmbedder({ charWeight: -1 })).toThrow(/charWeight/);
    expect(() => new HashedEmbedder({ bigramWeight: Number.POSITIVE_INFINITY })).toThrow(/bigramWeight/);
  });

  it('character n-grams are what tie inflections the stemmer misses', () => {
    // "topped" stems to "topp", so only the character n-grams link it to "top".
    const sim = (charWeight: number) => {
      const e = new HashedEmbedder({ learn: false, charWeight });
      return cosine(e.embedOne('topped up'), e.embedOne('top up'));
    };
    expect(sim(0.5)).toBeGreaterThan(sim(0));
  });

  it('names the width of its hashed part in its id, for the topic index', async () => {
    const use = new UseEmbedder({ dimension: 512 });
    try {
      const cases = [
        [new HashedEmbedder().id, 1024],
        [new HashedEmbedder({ dimension: 256 }).id, 256],
        [HashedEmbedder.withStudent().id, 1024],
        [use.id, 512],
        ['app:512', undefined],
        ['openai:text-embedding-3-small', undefined],
      ] as const;
      expect(cases.map(([id]) => builtinHashedWidth(id))).toEqual(cases.map(([, width]) => width));
    } finally {
      await use.close();
    }
  });
});

describe('HashedEmbedder state', () => {
  const history = [
    'how do i top up my card',
    'my card payment was declined',
    'where is my new card, it has not arrived',
    'can i change my pin at an atm',
    'why was i charged a fee for this transfer',
    'my transfer has not arrived yet',
    'is there a fee for topping up by bank transfer',
    'i want to cancel a transfer i made by mistake',
  ];
  const probes = [
    'my new card still has not come',
    'transfer fee charged twice',
    'paymnet declined at the shop',
  ];

  it('carries what a project taught it over a restart, through JSON, to the bit', () => {
    const live = HashedEmbedder.withStudent();
    for (let i = 0; i < 5; i++) for (const t of history) live.embedOne(`${t} ${i}`);
    const stored = JSON.parse(JSON.stringify(live.state()));
    expect(stored.documents).toBe(40);
    expect(stored.slots.length).toBe(stored.counts.length);
    expect(stored.slots.length).toBeGreaterThan(100);
    const restarted = HashedEmbedder.withStudent();
    restarted.load(stored);
    // One question each: what a restart without the state teaches (a representative per topic).
    const rebuilt = HashedEmbedder.withStudent();
    for (const t of history) rebuilt.observe(t);
    for (const p of probes) {
      // Both go on learning from the same texts, and stay equal.
      const a = live.embedOne(p);
      expect([...restarted.embedOne(p)]).toEqual([...a]);
      expect(cosine(rebuilt.embedOne(p), a)).toBeLessThan(0.999);
    }
    expect(restarted.state()).toEqual(live.state());
  });

  it('refuses a state that is not its own and keeps what it had', () => {
    const e = HashedEmbedder.withStudent();
    for (const t of history) e.observe(t);
    const before = e.state();
    const wrongWidth = { ...before, mean: before.mean.slice(1) };
    expect(() => e.load(wrongWidth)).toThrow(/a mean of 95 components, this embedder has 96/);
    expect(() => e.load({ ...before, slots: [1 << 16], counts: [1] })).toThrow(/IDF slot 65536/);
    expect(() => e.load({ ...before, counts: before.counts.slice(1) })).toThrow(/slots but/);
    // The plain hashed embedder has no student mean to take.
    expect(() => new HashedEmbedder().load(before)).toThrow(/this embedder has 0/);
    expect(e.state()).toEqual(before);
  });
});

describe('HashedEmbedder topic space', () => {
  it('keeps an English project in the student space when its first questions name things the student lacks', () => {
    const e = HashedEmbedder.withStudent();
    // PayPal, PDF and Slack are names the student has no row for: in an English sentence.
    for (const q of ['Can I pay with PayPal?', 'How do I export a notebook to PDF?', 'Can I connect Slack?'])
      expect(e.embedTopic(q).id).toBe(e.id);
  });

  it('reads a question of another language in an English project by its hashed part alone', () => {
    const e = HashedEmbedder.withStudent();
    for (const q of [
      'how do I get a refund',
      'I forgot my password',
      'where is my parcel',
      'cancel my subscription',
      'my card payment was declined',
      'what is the exchange rate',
    ])
      for (let i = 0; i < 4; i++) e.embedTopic(q);
    const hashedPart = (v: Float32Array) => v.slice(0, 1024);
    // Unrelated Spanish questions that share "mi", the one word of them the student knows: its
    // part, the same for both, lifted their cosine from the hashed part's 0.2 to 0.52.
    const password = e.embedTopic('olvidé mi contraseña', false);
    const parcel = e.embedTopic('¿dónde está mi paquete?', false);
    expect(password.id).toBe(e.id);
    expect(cosine(password.vector, parcel.vector)).toBeCloseTo(
      cosine(hashedPart(password.vector), hashedPart(parcel.vector)),
      5,
    );
    expect(cosine(password.vector, parcel.vector)).toBeLessThan(0.3);
    // An English question whose words the student lacks but reads as English keeps its part.
    const paypal = e.embedTopic('Can I pay with PayPal?', false).vector;
    expect(cosine(paypal.slice(1024), paypal.slice(1024))).toBeCloseTo(1, 5);
  });

  it('moves a project whose questions are in a language the student cannot read to the hashed space', () => {
    const e = HashedEmbedder.withStudent();
    expect(e.embedTopic('Wann kommt meine neue Karte an?').id).toBe(new HashedEmbedder().id);
  });
});
