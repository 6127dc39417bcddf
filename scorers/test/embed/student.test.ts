import { describe, expect, it } from 'vitest';
import { HashedEmbedder, isStopword, stem, words } from '../../src/embed/hashed.ts';
import { encodeStudent, pairBucket, SentenceStudent, type StudentWeights } from '../../src/embed/student.ts';
import { seededRandom } from '../../src/linear/train.ts';

const tokenizer = { words, stem, isStopword };

/** card = e0, lost = e1; one tanh unit reading both; output 0 = 2·tanh + x0, output 1 = x1 + 0.5. */
function tiny(overrides: Partial<StudentWeights> = {}, buckets = 0): StudentWeights {
  return {
    shape: { words: 2, input: 2, hidden: 1, output: 2, buckets, stopWeight: 0 },
    words: ['card', 'lost'],
    gates: new Array(2 + buckets).fill(1),
    rows: [1, 0, 0, 1, ...new Array(2 * buckets).fill(0)],
    w1: [1, 1],
    b1: [0],
    w2: [2, 0],
    b2: [0, 0.5],
    p: [1, 0, 0, 1],
    ...overrides,
  };
}

describe('SentenceStudent', () => {
  it('computes mean → tanh layer + linear path, after the stem fallback', () => {
    const s = SentenceStudent.parse(encodeStudent(tiny()));
    expect(s.components).toBe(2);
    const out = new Float32Array(4);
    // "the" is a stop word at weight 0, "cards" falls back to its stem.
    expect(s.encodeInto('Lost the cards', tokenizer, out, 1)).toBe(true);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(2 * Math.tanh(1) + 0.5, 5);
    expect(out[2]).toBeCloseTo(1, 5);
    expect(out[3]).toBe(0);
  });

  it('weighs each row by its gate', () => {
    const s = SentenceStudent.parse(encodeStudent(tiny({ gates: [3, 1] })));
    const out = new Float32Array(2);
    s.encodeInto('lost card', tokenizer, out);
    // x = (3·e0 + e1) / 4
    expect(out[0]).toBeCloseTo(2 * Math.tanh(1) + 0.75, 5);
    expect(out[1]).toBeCloseTo(0.25 + 0.5, 5);
  });

  it('writes nothing for a text without a known word', () => {
    const s = SentenceStudent.parse(encodeStudent(tiny()));
    const out = new Float32Array(2).fill(7);
    expect(s.encodeInto('what about the weather', tokenizer, out)).toBe(false);
    expect(Array.from(out)).toEqual([7, 7]);
  });

  it('counts the content words it knows', () => {
    const s = SentenceStudent.parse(encodeStudent(tiny()));
    const coverage = { content: -1, known: -1 };
    // Stop words ("the", "and", "a") do not count; "cards" is known by its stem, "wallet" is not.
    s.encodeInto('the lost cards and a wallet', tokenizer, new Float32Array(2), 0, coverage);
    expect(coverage).toEqual({ content: 3, known: 2 });
    s.tokens('what about the weather', tokenizer, coverage);
    expect(coverage).toEqual({ content: 1, known: 0 });
  });

  it('adds the row of a pair of adjacent content words', () => {
    const buckets = 8;
    const weights = tiny({}, buckets);
    const rows = Array.from(weights.rows);
    const b = pairBucket('lost', 'card', buckets);
    rows[(2 + b) * 2] = 1;
    const s = SentenceStudent.parse(encodeStudent({ ...weights, rows }));
    expect(s.tokens('lost card', tokenizer)).toEqual([
      { row: 1, weight: 1 },
      { row: 0, weight: 1 },
      { row: 2 + b, weight: 1 },
    ]);
    const out = new Float32Array(2);
    s.encodeInto('lost card', tokenizer, out);
    // x = (e1 + e0 + e0) / 3
    expect(out[1]).toBeCloseTo(1 / 3 + 0.5, 5);
    expect(out[0]).toBeCloseTo(2 * Math.tanh(1) + 2 / 3, 5);
  });

  it('multiplies as the network does at any width (the kernel steps 16, then 4, then 1 value at a time)', () => {
    const r = seededRandom(9);
    const shape = { words: 3, input: 21, hidden: 37, output: 6, buckets: 0, stopWeight: 0 };
    const { input: E, hidden: H, output: O } = shape;
    const values = (n: number) => Array.from({ length: n }, () => r() * 2 - 1);
    const weights: StudentWeights = {
      shape,
      words: ['card', 'lost', 'pin'],
      gates: [1, 2, 0.5],
      rows: values(3 * E),
      w1: values(H * E),
      b1: values(H),
      w2: values(O * H),
      b2: values(O),
      p: values(O * E),
    };
    const s = SentenceStudent.parse(encodeStudent(weights));
    // The reference in doubles, from the rows as stored (int8, one scale a row).
    const rows = s.weights().rows;
    const x = Array.from(
      { length: E },
      (_, c) => (2 * (rows[E + c] as number) + 0.5 * (rows[2 * E + c] as number)) / 2.5,
    );
    const dot = (m: ArrayLike<number>, at: number, v: number[]) =>
      v.reduce((a, vi, c) => a + (m[at + c] as number) * vi, 0);
    const h = Array.from({ length: H }, (_, j) =>
      Math.tanh((weights.b1[j] as number) + dot(weights.w1, j * E, x)),
    );
    const want = Array.from(
      { length: O },
      (_, o) => (weights.b2[o] as number) + dot(weights.w2, o * H, h) + dot(weights.p, o * E, x),
    );
    const out = new Float32Array(O);
    expect(s.encodeInto('lost pin', tokenizer, out)).toBe(true);
    const worst = Math.max(...Array.from(out, (v, o) => Math.abs(v - (want[o] as number))));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0.5);
  });

  it('gives back its weights, which encode to the same bytes', () => {
    const bytes = encodeStudent(tiny({ gates: [3, 0.5], rows: [0.25, -1, 2, 0.5] }));
    const w = SentenceStudent.parse(bytes).weights();
    expect(w.words).toEqual(['card', 'lost']);
    expect(Array.from(w.gates)).toEqual([3, 0.5]);
    // int8 rows with one scale each: the largest value of a row comes back exactly.
    expect(w.rows[1]).toBe(-1);
    expect(w.rows[2]).toBe(2);
    expect(encodeStudent(w)).toEqual(bytes);
  });

  it('rejects bad, truncated and inconsistent input with a clear error', () => {
    const good = encodeStudent(tiny());
    const bad = good.slice();
    bad[0] = 0;
    expect(() => SentenceStudent.parse(bad, 's.bin')).toThrow(/s\.bin: not a sentence student/);
    expect(() => SentenceStudent.parse(good.subarray(0, 40), 's.bin')).toThrow(/truncated/);
    expect(() => SentenceStudent.parse(new Uint8Array(8))).toThrow(/too short/);
    expect(() => encodeStudent(tiny({ w1: [1] }))).toThrow(/w1 has 1 values, expected 2/);
    expect(() => encodeStudent(tiny({ words: ['card', 'lo\nst'] }))).toThrow(/bad word/);
    expect(() => SentenceStudent.parse(encodeStudent(tiny({ b2: [0, Number.NaN] })))).toThrow(
      /non-finite value in b2/,
    );
  });

  it('names its weights in the hashed embedder id and widens its vectors', () => {
    const a = SentenceStudent.parse(encodeStudent(tiny()));
    const b = SentenceStudent.parse(encodeStudent(tiny({ b2: [0, 0.25] })));
    const ea = new HashedEmbedder({ dimension: 64, wordTable: a, wordShare: 0.4 });
    const eb = new HashedEmbedder({ dimension: 64, wordTable: b, wordShare: 0.4 });
    expect(ea.dimension).toBe(66);
    expect(ea.id).toMatch(/^builtin:hashed-student-v1:64\+2:0\.4:[0-9a-f]{8}$/);
    expect(ea.id).not.toBe(eb.id);
    const v = ea.embedOne('lost card');
    expect(v).toHaveLength(66);
    let n = 0;
    for (const x of v) n += x * x;
    expect(n).toBeCloseTo(1, 5);
  });
});

describe('respelling a slip', () => {
  // card, care, lost: "cari" is one changed letter from both card and care.
  const s = SentenceStudent.parse(
    encodeStudent(
      tiny({
        shape: { words: 4, input: 2, hidden: 1, output: 2, buckets: 0, stopWeight: 0 },
        words: ['card', 'care', 'lost', 'counterrevolutionaries'],
        gates: [1, 1, 1, 1],
        rows: [1, 0, 0.5, 0.5, 0, 1, 1, 1],
      }),
    ),
  );
  const counts = (said: Record<string, number>) => ({ ...tokenizer, frequency: (w: string) => said[w] ?? 0 });

  it('finds the known words one swap, drop, addition or change away, swaps first', () => {
    expect(s.neighbours('crad')).toEqual(['card']);
    expect(s.neighbours('lots')).toEqual(['lost']);
    expect(s.neighbours('carde')).toEqual(['care', 'card']);
    expect(s.neighbours('cari')).toEqual(['card', 'care']);
    expect(s.neighbours('cxyz')).toEqual([]);
  });

  it('takes the one the project says most, and leaves alone what it should', () => {
    expect(s.respelled('cari', counts({}))).toBe('card');
    expect(s.respelled('cari', counts({ care: 2 }))).toBe('care');
    expect(s.respelled('cari', counts({ card: 3, care: 2 }))).toBe('card');
    // Without counts, under four letters, with digits, a function word, or a spelling
    // the project keeps using (a brand, a product): as written.
    expect(s.respelled('cari', tokenizer)).toBeUndefined();
    expect(s.respelled('car', counts({}))).toBeUndefined();
    expect(s.respelled('car1', counts({}))).toBeUndefined();
    expect(s.respelled('cari', { ...counts({}), isFunctionWord: () => true })).toBeUndefined();
    expect(s.respelled('cari', counts({ cari: 3 }))).toBeUndefined();
    expect(s.respelled('cari', counts({ cari: 2 }))).toBe('card');
    // Nor a word over twenty letters, whose search costs 54 lookups a letter: even one swap
    // from a known word, as here.
    expect(s.neighbours('counterrevolutionaires')).toEqual(['counterrevolutionaries']);
    expect(s.respelled('counterrevolutionaires', counts({}))).toBeUndefined();
  });

  it('searches at most four unknown words of a text', () => {
    const t = counts({});
    const many = ['lost', 'lost', 'lost', 'lost', 'lost', 'crad', 'crad', 'crad', 'crad', 'crad'];
    expect(s.spellings(many, t)).toEqual([
      ...new Array(5).fill(undefined),
      'card',
      'card',
      'card',
      'card',
      undefined,
    ]);
  });

  it('reads a slip as its word only in a text it mostly reads, and counts it unknown', () => {
    const t = counts({});
    const coverage = { content: 0, known: 0 };
    expect(s.tokens('lost crad', t, coverage)).toEqual(s.tokens('lost card', t));
    expect(coverage).toEqual({ content: 2, known: 1 });
    // Without counts there is nothing to respell by.
    expect(s.tokens('lost crad', tokenizer)).toEqual(s.tokens('lost', tokenizer));
    // Most words unknown: another language, not a slip.
    expect(s.tokens('lost crad xyzzy', t)).toEqual(s.tokens('lost', t));
    expect(s.spellings(['lost', 'crad', 'xyzzy'], t)).toBeUndefined();
    expect(s.spellings(['lost', 'card'], t)).toBeUndefined();
    expect(s.spellings(['the', 'lost', 'crad'], t)).toEqual([undefined, undefined, 'card']);
  });
});

describe('the shipped sentence student', () => {
  const student = SentenceStudent.shipped();
  const vec = (text: string) => {
    const out = new Float32Array(student.components);
    expect(student.encodeInto(text, tokenizer, out)).toBe(true);
    return out;
  };
  const cos = (a: Float32Array, b: Float32Array) => {
    let d = 0;
    let x = 0;
    let y = 0;
    for (let i = 0; i < a.length; i++) {
      d += (a[i] as number) * (b[i] as number);
      x += (a[i] as number) ** 2;
      y += (b[i] as number) ** 2;
    }
    return d / Math.sqrt(x * y);
  };

  it('loads once, 96 components wide, and widens the hashed embedder by as much', () => {
    expect(SentenceStudent.shipped()).toBe(student);
    expect(student.components).toBe(96);
    expect(student.shape.words).toBeGreaterThan(40_000);
    const e = new HashedEmbedder({ wordTable: student });
    expect(e.dimension).toBe(1024 + 96);
    expect(e.id).toBe(`builtin:hashed-student-v1:1024+96:0.5:${student.tag}`);
  });

  it('is the --topics-embedder student embedder through HashedEmbedder.withStudent (share 0.4)', () => {
    const e = HashedEmbedder.withStudent();
    expect(e.id).toBe(`builtin:hashed-student-v1:1024+96:0.4:${student.tag}`);
    const narrow = HashedEmbedder.withStudent({ dimension: 256, learn: false });
    expect([narrow.hashedDimension, narrow.dimension]).toEqual([256, 256 + 96]);
    // The student carries 0.4 of the cosine: its part of a unit vector has norm² 0.4
    // (once the running mean it is centred on has seen another text).
    e.embedOne('where is my delivery');
    const v = e.embedOne('how do i ask for a refund');
    let tail = 0;
    for (let i = 1024; i < v.length; i++) tail += (v[i] as number) ** 2;
    expect(tail).toBeCloseTo(0.4, 5);
  });

  it('reads a question with a slip as the question without it, once the project has said the word', () => {
    const e = HashedEmbedder.withStudent();
    for (const q of ['my payment was declined', 'a card payment failed', 'payment pending for days'])
      e.embedOne(q);
    const hd = e.hashedDimension;
    const clean = e.embedOne('why was my payment declined', false);
    const slip = e.embedOne('why was my paymnet declined', false);
    // The student's part is the same; of the hashed part, only the character n-grams differ.
    const student = (v: Float32Array) => Array.from(v.subarray(hd), (x) => Number(x.toFixed(6)));
    expect(student(slip)).toEqual(student(clean));
    const plain = new HashedEmbedder();
    for (const q of ['my payment was declined', 'a card payment failed', 'payment pending for days'])
      plain.embedOne(q);
    const cosine = (a: Float32Array, b: Float32Array) => a.reduce((d, x, i) => d + x * (b[i] as number), 0);
    const asWritten = cosine(
      plain.embedOne('why was my paymnet declined', false),
      plain.embedOne('why was my payment declined', false),
    );
    expect(cosine(slip, clean)).toBeGreaterThan(asWritten + 0.1);
  });

  // Words of current English that SCOWL and WordNet lack (tools/embed/extend-vocabulary.ts):
  // known, so the sentence part of a question about them is not its other words alone.
  it('knows current words and puts them near their meaning', () => {
    for (const w of ['app', 'online', 'login', 'smartphone', 'website'])
      expect(student.tokens(w, tokenizer).length, w).toBe(1);
    const phone = vec('the app on my smartphone');
    expect(cos(phone, vec('the program on my mobile phone'))).toBeGreaterThan(
      cos(phone, vec('the apple in my lunch box')) + 0.1,
    );
  });

  // Paraphrases share no content word with each other, so only the student's
  // meaning (not the hashed words) can bring them together.
  it.each([
    ['i want my money back for this order', 'how do i ask for a refund', 'what is the weather like in paris'],
    ['my parcel has not arrived yet', 'where is my delivery', 'can i change the colour of my profile'],
    [
      'i forgot my password',
      'how do i reset my login credentials',
      'which dog breeds are good with children',
    ],
  ])('puts "%s" nearer its paraphrase than an unrelated question', (text, paraphrase, unrelated) => {
    const v = vec(text);
    expect(cos(v, vec(paraphrase))).toBeGreaterThan(cos(v, vec(unrelated)) + 0.2);
  });
});

describe('HashedEmbedder.embedTopic with the shipped student', () => {
  // Two of a German bank's questions in five words the English student knows
  // (it knows "ich", "ist", "die": the shares below 0.6 that matter here).
  const GERMAN = [
    'Wann wird meine Karte zugestellt?',
    'Warum wurde meine Überweisung abgelehnt?',
    'Ich habe meine Karte verloren.',
    'Meine Überweisung ist fehlgeschlagen.',
    'Welcher Wechselkurs gilt heute?',
    'Der Wechselkurs war falsch berechnet.',
  ];
  const ENGLISH = [
    'when will my new card arrive',
    'why was my transfer declined',
    'i lost my card',
    'what is the exchange rate today',
  ];
  const maxDiff = (a: Float32Array, b: Float32Array) =>
    a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

  it("keeps a project the student reads in its own space, with embedOne's vectors", () => {
    const e = HashedEmbedder.withStudent();
    const twin = HashedEmbedder.withStudent();
    expect(e.topicSpaces).toEqual([e.id, new HashedEmbedder().id]);
    for (const q of [...ENGLISH, 'kyc aml ffs', ...ENGLISH]) {
      const { id, vector } = e.embedTopic(q);
      expect(id).toBe(e.id);
      expect(Array.from(vector)).toEqual(Array.from(twin.embedOne(q)));
    }
  });

  it("moves a project it cannot read to the plain hashed space, with that embedder's vectors", () => {
    const e = HashedEmbedder.withStudent();
    const plain = new HashedEmbedder();
    for (const q of [...GERMAN, ...GERMAN]) {
      const { id, vector } = e.embedTopic(q);
      expect(id).toBe(plain.id);
      expect(vector.length).toBe(1024);
      expect(maxDiff(vector, plain.embedOne(q))).toBeLessThan(1e-6);
    }
  });

  it('moves back only once most of the traffic is readable again (no flapping on a mixed stream)', () => {
    const e = HashedEmbedder.withStudent();
    const spaces = (qs: string[]) => qs.map((q) => (e.embedTopic(q).id === e.id ? 'student' : 'hashed'));
    // English first: a German question or two do not move the project.
    expect(spaces([...ENGLISH, ...GERMAN.slice(0, 2)])).toEqual([
      ...ENGLISH.map(() => 'student'),
      'student',
      'student',
    ]);
    // A run of German does (the average of the shares falls below 0.6).
    const run = spaces([...GERMAN, ...GERMAN]);
    expect(run.at(-1)).toBe('hashed');
    const left = run.indexOf('hashed');
    expect(run.slice(left).every((s) => s === 'hashed')).toBe(true);
    // Two readable questions to one unreadable (an average near 0.73) keep it where it is: one bar
    // between the two would move it back and forth.
    const mixed = spaces(
      Array.from({ length: 300 }, (_, i) => (i % 3 === 2 ? GERMAN[i % 6] : ENGLISH[i % 4]) as string),
    );
    expect(new Set(mixed)).toEqual(new Set(['hashed']));
    // English alone brings it back, once the average passes 0.8.
    const back = spaces(Array.from({ length: 200 }, (_, i) => ENGLISH[i % 4] as string));
    const returned = back.indexOf('student');
    expect(returned).toBeGreaterThan(3);
    expect(back.slice(returned).every((s) => s === 'student')).toBe(true);
  });
});
