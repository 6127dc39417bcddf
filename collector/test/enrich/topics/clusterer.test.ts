import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@oversight/scorers';
import { HashedEmbedder, questionReading, questionText } from '@oversight/scorers/embed';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUILTIN_EMBEDDER,
  ESTABLISHED_SHARE,
  ESTABLISHED_SIZE,
  TopicClusterer,
} from '../../../src/enrich/topics/clusterer.ts';
import { CENTRED } from '../../../src/enrich/topics/frame.ts';
import { GapTracker, gapSignals, RetrievalCalibrator } from '../../../src/enrich/topics/gaps.ts';
import type { TopicRow } from '../../../src/enrich/topics/types.ts';
import { readIntentRows } from '../../../src/eval/topics.ts';
import { encoderLike, gaussian } from './encoder-like.ts';

const CARD = [
  'my card payment was declined',
  'why was my card payment declined',
  'card payment declined at the shop',
  'the shop declined my card payment',
  'card payment keeps getting declined',
];
const FX = [
  'what exchange rate do you use for euros',
  'exchange rate for euros to dollars',
  'is the euro exchange rate fair',
  'which exchange rate applies to euros',
];

/** Thresholds taken as they are, in every space (no calibration). */
const CHAT_INTENTS = '../../../../tools/data/topics/chat-intents.jsonl';
const literal = (assign: number, merge: number) => () => ({ assign, merge });

function fixedClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return () => {
    t += 1000;
    return new Date(t);
  };
}

describe('TopicClusterer', () => {
  it('groups paraphrases, separates unrelated questions, and labels topics readably', () => {
    const c = new TopicClusterer({ now: fixedClock() });
    const card = CARD.map((q) => c.assign('p1', q));
    const fx = FX.map((q) => c.assign('p1', q));
    expect(new Set(card).size).toBe(1);
    expect(new Set(fx).size).toBe(1);
    expect(card[0]).not.toBe(fx[0]);
    const topics = c.topics('p1');
    const cardTopic = topics.find((t) => t.topicId === card[0]);
    expect(cardTopic?.size).toBe(CARD.length);
    // Every question says "card payment", and "card" only in it: the label names the phrase.
    expect(cardTopic?.topTerms).toEqual(expect.arrayContaining(['card payment', 'declined']));
    expect(cardTopic?.topTerms).not.toContain('card');
    expect(cardTopic?.topTerms).not.toContain('payment');
    expect(cardTopic?.label.split(', ').slice(0, 2).sort()).toEqual(['card payment', 'declined']);
    expect(CARD).toContain(cardTopic?.representative);
  });

  it('clusters questions told after a shared context by what they ask, not by the context', () => {
    const contexts = [
      'My husband and I are flying to Madrid for our anniversary next week.',
      'I have been a loyal customer of yours for over ten years now.',
      'My daughter is starting university in September and moving out.',
    ];
    const asks = {
      abroad: ['Can I use my debit card abroad in Spain?', 'Can I use my debit card abroad in France?'],
      address: [
        'How do I change the postal address on my account?',
        'How do I change the home address on my account?',
      ],
    };
    const c = new TopicClusterer({ now: fixedClock() });
    const seen = new Map<string, Set<string>>();
    for (const context of contexts)
      for (const [intent, questions] of Object.entries(asks))
        for (const q of questions) {
          const id = c.assign('p1', `${context} ${q}`);
          seen.set(intent, (seen.get(intent) ?? new Set()).add(id));
        }
    c.maintain({ final: true });
    const topicsOf = (intent: string) =>
      new Set([...(seen.get(intent) ?? [])].map((id) => c.resolve('p1', id) ?? id));
    expect(topicsOf('abroad').size).toBe(1);
    expect(topicsOf('address').size).toBe(1);
    // Read whole, the shared contexts made all twelve one topic.
    expect([...topicsOf('abroad')]).not.toEqual([...topicsOf('address')]);
    // A request that leans on its context is read whole: the context's words reach its topic's label.
    const whole = c.assign('p1', `${contexts[0]} Can I use it there?`);
    expect(
      c.topics('p1').find((t) => t.topicId === (c.resolve('p1', whole) ?? whole))?.representative,
    ).toContain('Madrid');
  });

  it('clusters and labels questions in a script written without spaces (Chinese) by their words', () => {
    const intents = {
      arrival: [
        '我的卡什么时候到？',
        '我的新卡什么时候能寄到？',
        '卡片什么时候寄到',
        '银行卡还没有寄到，什么时候到？',
        '新卡多久能寄到',
      ],
      password: ['如何修改密码？', '我想修改我的密码', '密码修改失败', '怎么修改登录密码', '修改密码在哪里'],
      rate: ['今天的汇率是多少？', '美元汇率是多少', '汇率为什么变了', '换钱的汇率怎么算', '欧元兑换汇率'],
      transfer: ['我的转账失败了', '转账为什么失败', '转账没有到账', '给朋友转账失败怎么办', '转账一直失败'],
    };
    const rows = Object.entries(intents).flatMap(([intent, qs]) => qs.map((q) => ({ intent, q })));
    // Interleaved, as traffic arrives.
    const order = rows.map((_, i) => rows[(i * 7) % rows.length] as (typeof rows)[number]);
    const c = new TopicClusterer({ now: fixedClock() });
    const ids = order.map(({ q }) => c.assign('p1', q));
    c.maintain({ final: true });
    const topicOf = new Map<string, string>();
    order.forEach(({ intent }, i) => {
      const id = c.resolve('p1', ids[i] as string) ?? (ids[i] as string);
      // One topic per intent, none shared.
      expect(topicOf.get(intent) ?? id).toBe(id);
      topicOf.set(intent, id);
    });
    expect(new Set(topicOf.values()).size).toBe(4);
    const label = (intent: string) =>
      c.topics('p1').find((t) => t.topicId === topicOf.get(intent))?.topTerms ?? [];
    // Labels are the intents' words (汇率: exchange rate; 转账, 失败: transfer, failed), not whole questions.
    expect(label('rate')[0]).toBe('汇率');
    expect(label('transfer').slice(0, 2).sort()).toEqual(['失败', '转账']);
    expect(label('password').join(' ')).toContain('修改');
    for (const terms of Object.keys(intents).map(label))
      for (const t of terms)
        expect(rows.map((r) => r.q.replace(/[？，]/g, ''))).not.toContain(t.replaceAll(' ', ''));
  });

  it('clusters a language the student cannot read as the hashed embedder does, across a restart', () => {
    const intents = {
      arrival: [
        'Wann kommt meine neue Karte an?',
        'Wann wird meine Karte zugestellt?',
        'Wo bleibt meine bestellte Karte?',
        'Meine Karte ist noch nicht angekommen.',
        'Die neue Bankkarte wurde noch nicht geliefert.',
      ],
      rate: [
        'Welcher Wechselkurs gilt heute?',
        'Der Wechselkurs war falsch berechnet.',
        'Warum ist der Wechselkurs so schlecht?',
        'Wie wird der Wechselkurs bestimmt?',
        'Welchen Kurs bekomme ich beim Umtausch in Euro?',
      ],
      transfer: [
        'Meine Überweisung ist fehlgeschlagen.',
        'Warum wurde meine Überweisung abgelehnt?',
        'Warum scheitert meine Überweisung immer?',
        'Überweisung fehlgeschlagen, was nun?',
        'Meine Überweisung ist nicht angekommen.',
      ],
      lost: [
        'Ich habe meine Karte verloren.',
        'Jemand hat meine Karte gestohlen.',
        'Karte verloren, bitte sperren.',
        'Wie sperre ich meine verlorene Karte?',
        'Ich finde meine Bankkarte nicht mehr.',
      ],
    };
    const qs = Object.values(intents).flat();
    const order = qs.map((_, i) => qs[(i * 7) % qs.length] as string);
    const student = new TopicClusterer({
      builtinEmbedder: (d) => HashedEmbedder.withStudent({ dimension: d }),
      now: fixedClock(),
    });
    const hashed = new TopicClusterer({ now: fixedClock() });
    const run = (c: TopicClusterer) => {
      const ids = order.map((q) => c.assign('p1', q));
      c.maintain({ final: true });
      return ids.map((id) => c.resolve('p1', id) ?? id);
    };
    // The same space (ids hash the embedder id), so the same topic ids for the same partition.
    const final = run(student);
    expect(final).toEqual(run(hashed));
    const rows = student.snapshot();
    expect(new Set(rows.map((r) => r.embedder))).toEqual(new Set([new HashedEmbedder().id]));
    // A restart gives the project's embedder its vocabulary back from the hashed space's topics too.
    const restarted = new TopicClusterer({
      builtinEmbedder: (d) => HashedEmbedder.withStudent({ dimension: d }),
    });
    const live = new Set(final).size;
    expect(restarted.restore(JSON.parse(JSON.stringify(rows))).restored).toBe(live);
    expect(restarted.builtinEmbedder('p1').documents).toBe(live);
    expect(restarted.assign('p1', 'Meine Überweisung wurde abgelehnt.')).toBe(
      hashed.assign('p1', 'Meine Überweisung wurde abgelehnt.'),
    );
  });

  it('labels with the phrases a topic repeats, not with words that merely sit side by side', () => {
    const c = new TopicClusterer({ thresholdsFor: literal(0.2, 2), now: fixedClock() });
    // The project's other subjects, so what the pay questions share is what sets them apart.
    for (const q of [...FX, ...FX, ...CARD]) c.assign('p1', q);
    const pay = [
      'how do I add my card to google pay',
      'google pay is not working for me',
      'can I use google pay abroad',
      'google pay keeps rejecting my card',
      'is google pay supported in shops',
    ];
    const ids = pay.map((q) => c.assign('p1', q));
    expect(new Set(ids).size).toBe(1);
    const topic = c.topics('p1').find((t) => t.topicId === ids[0]);
    expect(topic?.label.startsWith('google pay')).toBe(true);
    // "keeps rejecting" is said once: a coincidence, not a phrase (PHRASE_MIN).
    expect(topic?.topTerms).toContain('rejecting');
    expect(topic?.topTerms.some((t) => t.includes(' ') && t !== 'google pay')).toBe(false);
  });

  it('names the topic a question is in when the pass it set off merged that topic away', () => {
    // Every second question runs a merge pass; the second founds a topic of its own, which the pass folds
    // into the first's. Its gap counts must go to the survivor, so its id is the survivor's.
    const c = new TopicClusterer({ assignThreshold: 0.99, mergeThreshold: 0.1, mergeEvery: 2 });
    const first = c.assignDetailed('p', 'my card was declined at the shop');
    const second = c.assignDetailed('p', 'my card got declined at a shop today');
    expect(second.created).toBe(true);
    expect(second.topicId).toBe(first.topicId);
    expect(c.topics('p').map((t) => [t.topicId, t.size])).toEqual([[first.topicId, 2]]);
  });

  it('derives ids from project and founding question, so a replay names topics identically', () => {
    const a = new TopicClusterer();
    const b = new TopicClusterer();
    expect(a.assign('p1', CARD[0] as string)).toBe(b.assign('p1', CARD[0] as string));
    expect(a.assign('p2', CARD[0] as string)).not.toBe(a.assign('p1', CARD[0] as string));
    expect(a.assign('p1', CARD[0] as string)).toMatch(/^[1-9][0-9]*$/);
  });

  it('keeps topic ids across a restart through snapshot() and restore(), and the gap counts it was given', () => {
    // The gap tracker owns the counts; the clusterer writes them in the topic's row and hands them back.
    const gaps = new GapTracker();
    const before = new TopicClusterer({ now: fixedClock(), gapColumns: (p, t) => gaps.columns(p, t) });
    const cardId = CARD.map((q) => before.assign('p1', q))[0] as string;
    const fxId = FX.map((q) => before.assign('p1', q))[0] as string;
    gaps.record('p1', fxId, FX[0] as string, { kbGap: true, signals: ['low_retrieval_score'], score: 0.75 });
    gaps.record('p1', fxId, FX[1] as string, { kbGap: false, signals: [], score: 0.25 });
    // Through JSON, as the rows go to and come back from ClickHouse.
    const rows = JSON.parse(JSON.stringify(before.snapshot()));
    expect(rows).toHaveLength(2);
    const fxColumns = { gap_count: 1, graded: 2, gap_score_sum: 1 };
    expect(rows.find((r: { topic_id: string }) => r.topic_id === fxId)).toMatchObject({
      project_id: 'p1',
      size: FX.length,
      ...fxColumns,
      embedder: 'builtin:hashed-v1:1024',
    });
    expect(rows.find((r: { topic_id: string }) => r.topic_id === cardId)).toMatchObject({
      gap_count: 0,
      graded: 0,
      gap_score_sum: 0,
    });
    // A regrade marks the row changed: the next snapshot of changes carries it.
    gaps.regrade('p1', fxId, -1);
    expect(before.snapshot({ changedOnly: true })).toEqual([]);
    before.gapsChanged('p1', fxId);
    expect(before.snapshot({ changedOnly: true })).toEqual([
      expect.objectContaining({ topic_id: fxId, gap_count: 0, graded: 2 }),
    ]);

    const after = new TopicClusterer();
    expect(after.restore(rows)).toEqual({
      restored: 2,
      errors: [],
      gaps: [{ projectId: 'p1', topicId: fxId, columns: fxColumns }],
    });
    expect(after.assign('p1', 'my card payment got declined again')).toBe(cardId);
    expect(after.assign('p1', 'euro exchange rate please')).toBe(fxId);
    const fx = after.topics('p1').find((t) => t.topicId === fxId);
    expect(fx?.size).toBe(FX.length + 1);
    // Without a tracker to own them, the restarted clusterer writes zeros.
    expect(after.snapshot().find((r) => r.topic_id === fxId)).toMatchObject({ gap_count: 0, graded: 0 });
  });

  it('merges after a restart what it would have merged without one', async () => {
    // Pairs wait between merge passes and are not stored: the restarted clusterer names them again.
    const rows = await readIntentRows(fileURLToPath(new URL(CHAT_INTENTS, import.meta.url)));
    const live = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    for (const r of rows.slice(0, 64)) live.assign('p1', r.text);
    const restarted = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    const snapshot = live.snapshot();
    restarted.restore(JSON.parse(JSON.stringify(snapshot)));
    const before = restarted.topics('p1').length;
    live.maintain();
    restarted.maintain();
    const merged = live.topics('p1').length;
    expect(merged).toBeLessThan(before - 10);
    expect(restarted.topics('p1').length).toBeLessThanOrEqual(merged + 1);
    // Named at once (what the bench times as a start cost), the pass merges the same.
    const eager = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    eager.restore(JSON.parse(JSON.stringify(snapshot)));
    eager.nameRestored();
    eager.maintain();
    expect(eager.topics('p1').length).toBe(restarted.topics('p1').length);
  });

  it('keeps label phrases across a restart', () => {
    const before = new TopicClusterer({ thresholdsFor: literal(0.2, 2), now: fixedClock() });
    const ids = [
      'can I get a disposable virtual card',
      'how many disposable virtual cards can I have',
      'where do I find my disposable virtual card',
    ].map((q) => before.assign('p1', q));
    for (const q of FX) before.assign('p1', q);
    const label = before.topics('p1').find((t) => t.topicId === ids[0])?.label;
    expect(label).toMatch(/^disposable virtual card/);
    const after = new TopicClusterer({ thresholdsFor: literal(0.2, 2) });
    // A row written before term_counts was stored: the label's terms by rank stand in for the counts.
    const rows = JSON.parse(JSON.stringify(before.snapshot()));
    for (const r of rows) delete r.term_counts;
    after.restore(rows);
    expect(after.topics('p1').find((t) => t.topicId === ids[0])?.label).toBe(label);
  });

  it('labels every topic after a restart as before it, from the stored term counts', () => {
    // Subjects sharing a pool of words, so a label's order rests on the counts and the project's idf.
    const rand = seededRandom(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
    const subjects = [
      ['card', 'delivery'],
      ['exchange', 'rate'],
      ['top', 'up'],
      ['refund', 'merchant'],
      ['pin', 'blocked'],
      ['transfer', 'pending'],
      ['atm', 'cash'],
      ['virtual', 'card'],
      ['account', 'verify'],
      ['fee', 'charged'],
    ];
    const shared = ['status', 'wrong', 'still', 'again', 'late', 'failed', 'missing', 'app', 'today', 'help'];
    const before = new TopicClusterer({ now: fixedClock() });
    for (let i = 0; i < 600; i++) {
      const [a, b] = pick(subjects);
      before.assign('p1', `${a} ${b} ${pick(shared)} ${pick(shared)} ${rand() < 0.5 ? pick(shared) : ''}`);
    }
    before.maintain({ final: true });
    const labels = new Map(before.topics('p1').map((t) => [t.topicId, t.topTerms]));
    expect(labels.size).toBeGreaterThan(5);
    const after = new TopicClusterer();
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    expect(new Map(after.topics('p1').map((t) => [t.topicId, t.topTerms]))).toEqual(labels);
    // And on from there: the same questions label the same topics alike.
    for (let i = 0; i < 50; i++) {
      const [a, b] = pick(subjects);
      const q = `${a} ${b} ${pick(shared)} ${pick(shared)}`;
      expect(after.assign('p1', q)).toBe(before.assign('p1', q));
    }
    expect(after.topics('p1').map((t) => t.label)).toEqual(before.topics('p1').map((t) => t.label));
  });

  it('labels as before a restart from the stored vocabulary, evicted topics’ questions included', async () => {
    const rows = await readIntentRows(fileURLToPath(new URL(CHAT_INTENTS, import.meta.url)));
    // Bounded: topics past 32 are evicted, and their questions leave no topic's term table.
    const options = { builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, maxTopics: 32 };
    const live = new TopicClusterer({ ...options, now: fixedClock() });
    for (const r of rows) live.assign('p1', r.text);
    live.maintain({ final: true });
    const labels = (c: TopicClusterer) => new Map(c.topics('p1').map((t) => [t.topicId, t.topTerms]));
    const snapshot = JSON.stringify(live.snapshot());
    const [kept, ...others] = [...live.vocabularies()];
    expect(others).toEqual([]);
    expect(kept?.vocabulary.questions).toBe(rows.length);
    const restarted = (vocabulary: boolean) => {
      const c = new TopicClusterer(options);
      for (const [p, e] of live.builtinEmbedders()) c.loadBuiltin(p, e.id, e.state());
      if (vocabulary && kept)
        c.loadVocabulary(
          kept.projectId,
          kept.embedderId,
          JSON.parse(JSON.stringify(kept.vocabulary.state())),
        );
      c.restore(JSON.parse(snapshot));
      return c;
    };
    const back = restarted(true);
    expect(labels(back)).toEqual(labels(live));
    // The topics' own tables do not count into a stored vocabulary again.
    expect([...back.vocabularies()][0]?.vocabulary.state()).toEqual(kept?.vocabulary.state());
    // Summed from the kept topics' tables, as a restart did before, most labels read otherwise.
    const summed = restarted(false);
    const moved = [...labels(summed)].filter(([id, terms]) => terms.join() !== labels(live).get(id)?.join());
    expect(moved.length).toBeGreaterThan(labels(live).size / 3);
    expect([...summed.vocabularies()][0]?.vocabulary.questions).toBeLessThan(rows.length);
  });

  it('restores from its topics what it kept too early: state that read a question of a burst', () => {
    const options = { builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER };
    const live = new TopicClusterer({ ...options, now: fixedClock() });
    live.assign('p1', CARD[0] as string);
    // The state a first round wrote, before the burst: one question read.
    const early = {
      embedder: [...live.builtinEmbedders()].map(([p, e]) => [p, e.id, e.state()] as const),
      vocabulary: [...live.vocabularies()].map(
        (v) => [v.projectId, v.embedderId, v.vocabulary.state()] as const,
      ),
    };
    for (const q of [...CARD.slice(1), ...FX, ...CARD, ...FX]) live.assign('p1', q);
    const snapshot = JSON.stringify(live.snapshot());
    const labels = (c: TopicClusterer) => new Map(c.topics('p1').map((t) => [t.topicId, t.topTerms]));
    const restarted = (state: typeof early) => {
      const c = new TopicClusterer(options);
      for (const [p, id, e] of state.embedder) c.loadBuiltin(p, id, JSON.parse(JSON.stringify(e)));
      for (const [p, id, v] of state.vocabulary) c.loadVocabulary(p, id, JSON.parse(JSON.stringify(v)));
      c.restore(JSON.parse(snapshot));
      return c;
    };
    const back = restarted(early);
    expect(labels(back)).toEqual(labels(live));
    expect([...back.vocabularies()][0]?.vocabulary.questions).toBe(2 * (CARD.length + FX.length));
    // The embedder relearnt one question a topic, as with no state at all.
    expect(back.builtinEmbedder('p1').documents).toBe(live.topics('p1').length);
    // State written after the burst stands as it was.
    const current = {
      embedder: [...live.builtinEmbedders()].map(([p, e]) => [p, e.id, e.state()] as const),
      vocabulary: [...live.vocabularies()].map(
        (v) => [v.projectId, v.embedderId, v.vocabulary.state()] as const,
      ),
    };
    const kept = restarted(current);
    expect(kept.builtinEmbedder('p1').state()).toEqual(live.builtinEmbedder('p1').state());
    expect([...kept.vocabularies()][0]?.vocabulary.state()).toEqual(
      [...live.vocabularies()][0]?.vocabulary.state(),
    );
  });

  it('reports bad rows on restore and loads the rest', () => {
    const c = new TopicClusterer();
    for (const q of CARD) c.assign('p1', q);
    const good = c.snapshot();
    const bad = { ...good[0], topic_id: 'x', centroid: [] };
    const infinite = { ...good[0], topic_id: '7', centroid: [0.5, Number.POSITIVE_INFINITY] };
    const text = { ...good[0], topic_id: '8', centroid: [0.5, 0.25, '0.1'] };
    const flat = { ...good[0], topic_id: '9', centroid: '0.5,0.25' };
    const negative = { ...good[0], topic_id: '10', term_counts: { card: 5, payment: -1 } };
    const listed = { ...good[0], topic_id: '11', term_counts: [['card', 5]] };
    const fresh = new TopicClusterer();
    const { restored, errors } = fresh.restore([
      bad as never,
      infinite as never,
      text as never,
      flat as never,
      negative as never,
      listed as never,
      ...good,
    ]);
    expect(restored).toBe(1);
    expect(errors).toHaveLength(6);
    expect(errors[0]).toMatch(/topics row 0: topic_id/);
    expect(errors[1]).toMatch(/topics row 1: centroid\.1 .*Infinity/);
    expect(errors[2]).toMatch(/topics row 2: centroid\.2 .*got 0\.1/);
    expect(errors[3]).toMatch(/topics row 3: centroid .*array of numbers/);
    expect(errors[4]).toMatch(/topics row 4: term_counts\.payment .*got -1/);
    expect(errors[5]).toMatch(/topics row 5: term_counts .*object of term counts/);
  });

  it('reads a question’s opening only: a pasted document costs and stores no more than 2,000 characters', () => {
    const c = new TopicClusterer({ now: fixedClock() });
    for (const q of CARD) c.assign('p1', q);
    // The card question, then a long document whose words come only after the opening.
    const long = `${CARD[0]} ${' '.repeat(2_000)}${'quarterly revenue spreadsheet '.repeat(3_000)}`;
    expect(long.length).toBeGreaterThan(90_000);
    const id = c.assign('p1', long);
    const topic = c.topics('p1').find((t) => t.topicId === id);
    expect(id).toBe(c.assign('p1', CARD[1] as string));
    expect(topic?.topTerms.some((t) => /revenue|spreadsheet|quarterly/.test(t))).toBe(false);
    expect(c.snapshot().every((r) => r.representative.length <= 2_000)).toBe(true);
  });

  it('reads a question without the greeting and thanks around it', () => {
    const chatty = (q: string) =>
      `Hello there, I hope you are well! Sorry to bother you but ${q} Thanks so much :)`;
    const questions = [...CARD, ...FX].map((q) => `${q}.`);
    const plain = new TopicClusterer({ now: fixedClock(), builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER });
    const chat = new TopicClusterer({ now: fixedClock(), builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER });
    const plainIds = questions.map((q) => plain.assign('p1', q));
    const chatIds = questions.map((q) => chat.assign('p1', chatty(q)));
    // Ids derive from the founding question as topics read it: the same topics, the same names.
    expect(chatIds).toEqual(plainIds);
    expect(chat.topics('p1').map((t) => t.label)).toEqual(plain.topics('p1').map((t) => t.label));
    expect(chat.topics('p1').map((t) => t.representative)).toEqual(
      plain.topics('p1').map((t) => t.representative),
    );
    expect(new Set(plainIds).size).toBeGreaterThan(1);
  });

  it('takes a caller’s reading as read: a stream places, names and labels as when it reads the text again', () => {
    // What the enricher hands over: questions with greetings, PII the app did not mask, context
    // before the request, and follow-ups with the message before them.
    const sets = [
      'topics/chat-intents.courtesy-a',
      'topics/chat-intents.follow-ups',
      'ordinary',
      'off-topic',
    ];
    const stream = sets.flatMap((set) =>
      readFileSync(fileURLToPath(new URL(`../../../../tools/data/${set}.jsonl`, import.meta.url)), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as { text: string; earlier?: string | string[] }),
    );
    const readings = stream.map((r) => questionReading(r.text, r.earlier));
    expect(readings.filter((r) => r.followUp).length).toBeGreaterThan(10);
    expect(readings.filter((r, i) => r.text !== stream[i]?.text).length).toBeGreaterThan(100);
    const again = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    const asRead = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    const placedAgain = readings.map((r) => again.assignDetailed('p1', r.text));
    const placedAsRead = readings.map((r) => asRead.assignDetailed('p1', r));
    expect(placedAsRead).toEqual(placedAgain);
    again.maintain({ final: true });
    asRead.maintain({ final: true });
    expect(asRead.snapshot()).toEqual(again.snapshot());
    expect(asRead.topics('p1')).toEqual(again.topics('p1'));
    expect(new Set(placedAsRead.map((a) => a.topicId)).size).toBeGreaterThan(50);
    // Taken as it is: a reading is not read again, whatever its text.
    const handed = { text: 'Hello! Why was my card declined? Thanks', followUp: false };
    expect(questionText(handed.text)).not.toBe(handed.text);
    expect(asRead.assignDetailed('p1', handed).question).toBe(handed.text);
    // A message as sent is still read.
    expect(asRead.assignDetailed('p1', handed.text).question).toBe('Why was my card declined?');
  });

  it('never lets a project see another project’s topics', () => {
    const c = new TopicClusterer();
    const p1 = CARD.map((q) => c.assign('p1', q));
    const p2 = CARD.map((q) => c.assign('p2', q));
    expect(p1[0]).not.toBe(p2[0]);
    expect(c.topics('p1').map((t) => t.topicId)).toEqual([p1[0]]);
    expect(c.topics('p2').map((t) => t.topicId)).toEqual([p2[0]]);
    expect(c.resolve('p2', p1[0] as string)).toBeUndefined();
    expect(c.snapshot().filter((r) => r.project_id === 'p2')).toHaveLength(1);
  });

  it('prefers the app-supplied embedding: similar vectors join even when the words differ', () => {
    const c = new TopicClusterer();
    const a = c.assignDetailed('p1', 'reset password', [1, 0, 0.1]);
    const b = c.assignDetailed('p1', 'I cannot log in', [0.9, 0.05, 0.1]);
    const d = c.assignDetailed('p1', 'reset password', [0, 1, 0]);
    // A space of unknown geometry: calibrated, and centred on its mean.
    expect(a.embedder).toBe(`app:3${CENTRED}`);
    expect(b.topicId).toBe(a.topicId);
    expect(b.created).toBe(false);
    // Same words, orthogonal vector: the app's embedding decides, not the text.
    expect(d.topicId).not.toBe(a.topicId);
    // How near the earlier questions came, joined or not: the nearest centroid's cosine.
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    const sum = unit([1, 0, 0.1]).map((x, i) => x + (unit([0.9, 0.05, 0.1])[i] as number));
    expect(b.nearest).toBe(b.similarity);
    expect(b.nearest).toBeCloseTo(
      unit([1, 0, 0.1]).reduce((acc, x, i) => acc + x * (unit([0.9, 0.05, 0.1])[i] as number), 0),
      6,
    );
    expect(d.created).toBe(true);
    expect(d.nearest).toBeCloseTo((sum[1] as number) / Math.hypot(...sum), 6);
    // The first question had no earlier one: the lowest cosine there is.
    expect(a.nearest).toBe(-1);
    expect(() => c.assign('p1', 'x', [0, 0, 0])).toThrow(/zero vector/);
    expect(() => c.assign('p1', 'x', [1, Number.NaN, 0])).toThrow(/non-finite/);
  });

  it('merges near-duplicate topics and resolves the merged-away id', () => {
    const merged: [string, string][] = [];
    // A high assignment threshold splits paraphrases; merging must bring them back together.
    const c = new TopicClusterer({
      assignThreshold: 0.95,
      mergeThreshold: 0.3,
      mergeEvery: 1_000_000,
      onMerge: (_p, from, into) => merged.push([from, into]),
    });
    const ids = [...CARD, ...CARD].map((q) => c.assign('p1', q));
    const before = new Set(ids).size;
    c.maintain({ final: true });
    const resolved = new Set(ids.map((id) => c.resolve('p1', id)));
    expect(before).toBeGreaterThan(1);
    expect(resolved.size).toBe(1);
    expect(merged.length).toBeGreaterThan(0);
    expect(c.topics('p1')[0]?.size).toBe(CARD.length * 2);
  });

  it('merges by average linkage: two loose topics with aligned centroids stay apart, tight ones merge', () => {
    // Unit vectors in 4-d: each topic's two questions spread ±60° around its axis.
    const spread = (axis: number[], other: number[], sign: number) =>
      axis.map((x, i) => 0.5 * x + sign * 0.866 * (other[i] as number));
    const x = [1, 0, 0, 0];
    const run = (loose: boolean) => {
      const c = new TopicClusterer({ thresholdsFor: literal(0.99, 0.5), mergeEvery: 1_000_000 });
      const tilt = loose ? 1 : 0.05;
      // Topic A: two questions around x; topic B: two questions around x too, in another plane.
      const qs = [
        spread(x, [0, tilt, 0, 0], 1),
        spread(x, [0, tilt, 0, 0], -1),
        spread(x, [0, 0, tilt, 0], 1),
        spread(x, [0, 0, tilt, 0], -1),
      ];
      const ids = qs.map((q, i) => c.assign('p', `q${i}`, q));
      c.maintain({ final: true });
      return new Set(ids.map((id) => c.resolve('p', id))).size;
    };
    // Loose: centroids coincide (cosine 1), yet the questions of A and B are 60–90° apart on average.
    expect(run(true)).toBeGreaterThan(1);
    expect(run(false)).toBe(1);
  });

  // Three one-question topics in 3-d with chosen cosines: C–B is the closest
  // pair, A's closest is B. Assign at 0.99 keeps every question on its own,
  // merge at 0.3 (so "far above the bar" is 0.6).
  const triple = (ab: number, ac: number, bc: number, sure?: number) => {
    const c = [1, 0, 0];
    const b = [bc, Math.sqrt(1 - bc * bc), 0];
    const y = (ab - bc * ac) / (b[1] as number);
    const a = [ac, y, Math.sqrt(1 - ac * ac - y * y)];
    // No absorbing of one-question topics (absorbThreshold 2): only merging joins them.
    const clusterer = new TopicClusterer({
      thresholdsFor: sure === undefined ? literal(0.99, 0.3) : () => ({ assign: 0.99, merge: 0.3, sure }),
      mergeEvery: 1_000_000,
      absorbThreshold: 2,
    });
    // In this order each new topic names its nearest as a merge candidate: (C, B), then (B, A).
    const [idC, idB, idA] = [c, b, a].map((v, i) => clusterer.assign('p', `q${i}`, v));
    const topicOf = (id: string) => clusterer.resolve('p', id);
    return { clusterer, topicOf, idA: idA as string, idB: idB as string, idC: idC as string };
  };

  it('merges mutual best pairs; a pair whose topic has a closer partner waits for the next pass', () => {
    // A–B 0.4 clears the bar, but B's closest is C (0.55); A–(B+C) is 0.35, over the bar too.
    const { clusterer, topicOf, idA, idB, idC } = triple(0.4, 0.3, 0.55);
    clusterer.maintain();
    expect(topicOf(idB)).toBe(topicOf(idC));
    expect(topicOf(idA)).toBe(idA);
    clusterer.maintain();
    expect(topicOf(idA)).toBe(topicOf(idC));
    expect(clusterer.topics('p')).toHaveLength(1);
  });

  it('merges a pair far above the bar at once, mutual or not', () => {
    // A–B 0.65 is past twice the bar although B's closest is C (0.7).
    const { clusterer, topicOf, idA, idC } = triple(0.65, 0.4, 0.7);
    clusterer.maintain();
    expect(topicOf(idA)).toBe(topicOf(idC));
    expect(clusterer.topics('p')).toHaveLength(1);
  });

  it('takes a geometry’s own sure bar: under it, the same pair waits its turn', () => {
    // As above, but this geometry's sure bar is 0.9 (3× the bar): A–B 0.65 is not sure.
    const { clusterer, topicOf, idA, idB, idC } = triple(0.65, 0.4, 0.7, 0.9);
    clusterer.maintain();
    expect(topicOf(idB)).toBe(topicOf(idC));
    expect(topicOf(idA)).toBe(idA);
    expect(clusterer.topics('p')).toHaveLength(2);
  });

  it('merges a burst’s new topics at a flush, and leaves older pairs to the scheduled pass', () => {
    const c = new TopicClusterer({
      thresholdsFor: literal(0.99, 0.3),
      mergeEvery: 1_000_000,
      absorbThreshold: 2,
    });
    // C and B: cosine 0.55 (over the bar, under twice it), B arriving a flush after C.
    const idC = c.assign('p', 'c', [1, 0, 0, 0]);
    c.maintain({ flush: true });
    const idB = c.assign('p', 'b', [0.55, Math.sqrt(1 - 0.55 ** 2), 0, 0]);
    // D and E: a new subject, both in this flush, cosine 0.5.
    const idD = c.assign('p', 'd', [0, 0, 1, 0]);
    const idE = c.assign('p', 'e', [0, 0, 0.5, Math.sqrt(0.75)]);
    c.maintain({ flush: true });
    expect(c.resolve('p', idE)).toBe(c.resolve('p', idD));
    expect(c.resolve('p', idB)).toBe(idB);
    expect(c.topics('p')).toHaveLength(3);
    c.maintain();
    expect(c.resolve('p', idB)).toBe(c.resolve('p', idC));
    expect(c.topics('p')).toHaveLength(2);
  });

  it('keeps merging a burst’s own topics within the flush once a partner merged', () => {
    const c = new TopicClusterer({
      thresholdsFor: literal(0.99, 0.3),
      mergeEvery: 1_000_000,
      absorbThreshold: 2,
    });
    // A–B 0.6 (mutual); C's closest is B (0.45), but B's is A, so C–B is not mutual at first.
    const x = 0.3;
    const y = (0.45 - 0.6 * x) / 0.8;
    const idA = c.assign('p', 'a', [1, 0, 0, 0]);
    const idB = c.assign('p', 'b', [0.6, 0.8, 0, 0]);
    const idC = c.assign('p', 'c', [x, y, Math.sqrt(1 - x * x - y * y), 0]);
    c.maintain({ flush: true });
    // Once A and B are one topic, its linkage with C is (0.3 + 0.45) / 2, over the bar and mutual.
    expect(c.resolve('p', idB)).toBe(c.resolve('p', idA));
    expect(c.resolve('p', idC)).toBe(c.resolve('p', idA));
    expect(c.topics('p')).toHaveLength(1);
  });

  it('runs passes at the end of a stream until no pair waits', () => {
    const { clusterer } = triple(0.4, 0.3, 0.55);
    clusterer.maintain({ final: true });
    expect(clusterer.topics('p')).toHaveLength(1);
  });

  it('keeps two tight topics apart when they share only a little, above the merge bar', () => {
    const c = new TopicClusterer({ thresholdsFor: literal(0.99, 0.12), mergeEvery: 1_000_000 });
    // Each pair nearly identical; across pairs cosine ≈ 0.17 (a shared word), over the 0.12 bar.
    const vs = [
      [1, 0, 0.45],
      [1, 0.02, 0.45],
      [0, 1, 0.45],
      [0.02, 1, 0.45],
    ];
    const ids = vs.map((v, i) => c.assign('p', `q${i}`, v));
    c.maintain({ final: true });
    const final = ids.map((id) => c.resolve('p', id));
    expect(final[0]).toBe(final[1]);
    expect(final[2]).toBe(final[3]);
    expect(final[0]).not.toBe(final[2]);
  });

  /**
   * Two subjects at cosine `apart`, each asked `n` times in near-identical
   * words (one topic each at assign 0.9; merge bar 0.3, sure bar 0.6), then
   * the end-of-stream passes: how many topics are left.
   */
  const twoSubjects = (n: number, apart: number, establishedShare: number) => {
    const c = new TopicClusterer({
      thresholdsFor: () => ({ assign: 0.9, merge: 0.3, sure: 0.6 }),
      mergeEvery: 1_000_000,
      establishedShare,
    });
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      // A small wobble in a dimension of each subject's own, so no two questions are the same vector.
      const w = 0.05 * (i % 2 === 0 ? 1 : -1);
      ids.push(
        c.assign('p', `a${i}`, [1, 0, w, 0]),
        c.assign('p', `b${i}`, [apart, Math.sqrt(1 - apart * apart), 0, w]),
      );
    }
    expect(new Set(ids).size).toBe(2);
    c.maintain({ final: true });
    return new Set(ids.map((id) => c.resolve('p', id))).size;
  };

  it('merges two established topics only when their pair is sure', () => {
    // The fixed size alone (share 0). Between the bars: small topics merge, established ones stay two subjects.
    expect(twoSubjects(3, 0.45, 0)).toBe(1);
    expect(twoSubjects(ESTABLISHED_SIZE - 1, 0.45, 0)).toBe(1);
    expect(twoSubjects(ESTABLISHED_SIZE, 0.45, 0)).toBe(2);
    // Over the sure bar they merge whatever their size.
    expect(twoSubjects(ESTABLISHED_SIZE, 0.65, 0)).toBe(1);
  });

  it('raises the established size with the space’s mean topic size', () => {
    // 60 questions each, past the fixed size; but where every topic holds
    // 60, the limit is ESTABLISHED_SHARE × 60.
    expect(60).toBeGreaterThan(ESTABLISHED_SIZE);
    expect(ESTABLISHED_SHARE).toBeGreaterThan(1);
    expect(twoSubjects(60, 0.45, ESTABLISHED_SHARE)).toBe(1);
    expect(twoSubjects(60, 0.45, 0)).toBe(2);
  });

  it('uses an embedder’s own thresholds in its space and the built-in ones in built-in spaces', () => {
    const c = new TopicClusterer({
      assignThreshold: 0.9,
      thresholdsFor: (id) => (id === 'loose-model' ? { assign: 0.5, merge: 0.4 } : undefined),
    });
    const a = [1, 0, 0];
    const b = [0.7, 0.71, 0];
    // Cosine 0.70: joins under the embedder's 0.5, founds a topic under the hashed embedder's 0.9.
    expect(c.assign('p', 'one', b, 'loose-model')).toBe(c.assign('p', 'zero', a, 'loose-model'));
    const hashedId = 'builtin:hashed-v1:1024';
    expect(c.assign('p', 'one', b, hashedId)).not.toBe(c.assign('p', 'zero', a, hashedId));
    // The USE-lite geometry brings its own bar (0.4), whatever the defaults say.
    const useId = 'builtin:hashed-use-v1:1024+512:0.5';
    expect(c.assign('p', 'one', b, useId)).toBe(c.assign('p', 'zero', a, useId));
    // So does the student's (0.6): 0.70 joins; 0.45 does not, though it clears the hashed 0.4.
    const studentId = HashedEmbedder.withStudent().id;
    expect(c.assign('p', 'one', b, studentId)).toBe(c.assign('p', 'zero', a, studentId));
    const d = new TopicClusterer();
    const far = [0.45, Math.sqrt(1 - 0.45 ** 2), 0];
    expect(d.assign('p', 'one', far, studentId)).not.toBe(d.assign('p', 'zero', a, studentId));
    expect(d.assign('p', 'one', far, hashedId)).toBe(d.assign('p', 'zero', a, hashedId));
  });

  it('leaves a tombstone for a merged-away topic, so a restart does not bring it back', () => {
    const c = new TopicClusterer({ assignThreshold: 0.95, mergeThreshold: 0.3, mergeEvery: 1_000_000 });
    for (const q of CARD) c.assign('p1', q);
    const first = c.snapshot();
    expect(first.length).toBeGreaterThan(1);
    c.maintain({ final: true });
    const second = c.snapshot({ changedOnly: true });
    const dead = second.filter((r) => r.size === 0);
    const deadIds = [...new Set(dead.map((r) => r.topic_id))];
    expect(deadIds.length).toBe(first.length - 1);
    const survivor = c.topics('p1')[0]?.topicId as string;
    // Each tombstone is newer than the topic's last row, so `topics FINAL` keeps it.
    for (const d of dead) {
      const was = first.find((r) => r.topic_id === d.topic_id);
      expect(d.last_seen > (was?.last_seen ?? '')).toBe(true);
    }
    // The newest tombstone of each names the live topic its questions are in,
    // even where a chain of merges ran through a topic merged away later.
    for (const id of deadIds) {
      const newest = dead
        .filter((r) => r.topic_id === id)
        .sort((a, b) => (a.last_seen < b.last_seen ? 1 : -1))[0];
      expect(newest?.merged_into).toBe(survivor);
    }
    const restarted = new TopicClusterer();
    const { restored, errors } = restarted.restore(JSON.parse(JSON.stringify([...first, ...second])));
    expect(errors).toEqual([]);
    expect(restored).toBe(1);
    expect(restarted.topics('p1').map((t) => t.size)).toEqual([CARD.length]);
    // Late rows of merged-away topics still resolve after the restart.
    expect(deadIds.map((id) => restarted.resolve('p1', id))).toEqual(deadIds.map(() => survivor));
  });

  it('holds a written topic’s changes for the interval, but never a tombstone', () => {
    const c = new TopicClusterer({ assignThreshold: 0.95, mergeThreshold: 0.3, mergeEvery: 1_000_000 });
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 0, 0, s));
    for (const q of CARD) c.assign('p1', q);
    const first = c.snapshot({ changedOnly: true, at: at(0), everyMs: 60_000 });
    expect(first.length).toBe(c.size);
    c.maintain({ final: true });
    // Ten seconds on: the merged-away topics' tombstones go out; the survivor, written at 0, waits.
    const second = c.snapshot({ changedOnly: true, at: at(10), everyMs: 60_000 });
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((r) => r.size === 0)).toBe(true);
    expect(c.heldBack).toBe(1);
    // A minute after its last row, the survivor's goes out with every question merged into it.
    const third = c.snapshot({ changedOnly: true, at: at(60), everyMs: 60_000 });
    expect(third.map((r) => r.size)).toEqual([CARD.length]);
    expect(c.heldBack).toBe(0);
  });

  it('points earlier merges at the new survivor when a survivor is merged away in turn', () => {
    const rows: TopicRow[] = [];
    // Only identical vectors join (assign 0.9999); merging does the rest.
    const c = new TopicClusterer({
      thresholdsFor: literal(0.9999, 0.5),
      mergeEvery: 1_000_000,
      now: fixedClock(),
    });
    // a merges into b (larger, cosine 0.95)...
    const a = c.assign('p', 'a', [1, 0, 0]);
    const b = c.assign('p', 'b', [0.9, 0.3, 0]);
    c.assign('p', 'b again', [0.9, 0.3, 0]);
    c.maintain({ final: true });
    expect(c.resolve('p', a)).toBe(b);
    rows.push(...c.snapshot());
    // ...then b into c, larger still (average linkage 0.69).
    const cId = c.assign('p', 'c', [0.5, 0.8, 0]);
    for (let i = 0; i < 4; i++) c.assign('p', `c again ${i}`, [0.5, 0.8, 0]);
    c.maintain({ final: true });
    rows.push(...c.snapshot({ changedOnly: true }));
    expect(c.topics('p').map((t) => t.topicId)).toEqual([cId]);
    expect([c.resolve('p', a), c.resolve('p', b)]).toEqual([cId, cId]);
    // What SQL reads, the newest row per topic: each dead one names the live topic directly.
    const newest = new Map<string, TopicRow>();
    for (const r of rows)
      if ((newest.get(r.topic_id)?.last_seen ?? '') < r.last_seen) newest.set(r.topic_id, r);
    expect([a, b, cId].map((id) => newest.get(id)?.merged_into)).toEqual([cId, cId, '0']);
    expect([a, b, cId].map((id) => newest.get(id)?.size)).toEqual([0, 0, 8]);
  });

  it('bounds state: topics past maxTopics are evicted, smallest and stalest first', () => {
    const c = new TopicClusterer({ maxTopics: 3, absorbThreshold: 2 });
    const ids = ['alpha bravo', 'charlie delta', 'echo foxtrot', 'golf hotel', 'india juliet'].map((q) =>
      c.assign('p1', q),
    );
    c.assign('p1', 'alpha bravo');
    expect(c.size).toBeLessThanOrEqual(3);
    expect(new Set(ids).size).toBe(5);
  });

  it('keeps at most 64 term counts a topic through merges, as through its own questions', () => {
    const c = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER });
    const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike'.split(' ');
    // One subject, each question with two words of its own: merges bring many terms at once.
    for (let i = 0; i < 600; i++)
      c.assign(
        'p',
        `why was my card payment declined at ${words[i % 13]}${i} ${words[(i * 7) % 13]}x${i} shop`,
      );
    c.maintain({ final: true });
    const rows = c.snapshot().filter((r) => r.size > 0);
    expect(Math.max(...rows.map((r) => r.size))).toBeGreaterThan(100);
    expect(Math.max(...rows.map((r) => Object.keys(r.term_counts).length))).toBeLessThanOrEqual(64);
  });

  it('puts the questions it reads no word in into one topic per space, the same after a restart', () => {
    for (const builtinEmbedder of [undefined, DEFAULT_BUILTIN_EMBEDDER]) {
      const c = new TopicClusterer({ now: fixedClock(), builtinEmbedder });
      const wordless = ['👍', '???', '...', '🙏', '👍', '!!'];
      const ids = wordless.map((q) => c.assign('p1', q));
      expect(new Set(ids).size).toBe(1);
      const card = CARD.map((q) => c.assign('p1', q));
      expect(card.includes(ids[0] as string)).toBe(false);
      c.maintain({ final: true });
      const topics = c.topics('p1');
      expect(topics.find((t) => t.topicId === ids[0])?.size).toBe(wordless.length);
      expect(topics.length).toBe(2);
      // Counted in the space's vocabulary as any question is.
      const [space] = [...c.vocabularies()];
      expect(space?.vocabulary.questions).toBe(wordless.length + CARD.length);
      // Another project's thumbs are its own topic.
      expect(c.assign('p2', '👍')).not.toBe(ids[0]);

      const after = new TopicClusterer({ now: fixedClock(), builtinEmbedder });
      after.restore(JSON.parse(JSON.stringify(c.snapshot())));
      expect(after.assign('p1', '😀')).toBe(ids[0]);
      expect(after.topics('p1').find((t) => t.topicId === ids[0])?.size).toBe(wordless.length + 1);
    }
  });
});

describe('a topic of questions that carry PII the app did not mask', () => {
  it('keeps the address, the card and the key out of its row (the topics table outlives llm_spans)', () => {
    const c = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    const secrets = [
      'john.smith@example.com',
      '4111 1111 1111 1111',
      'sk-proj-abcdefghijklmnopqrstuvwxyz123456',
    ];
    for (const q of [
      'my email is john.smith@example.com and I cannot log in',
      'cannot log in, my email is john.smith@example.com',
      'log in fails for john.smith@example.com',
      'my card 4111 1111 1111 1111 was charged twice',
      'card 4111 1111 1111 1111 charged twice',
      'charged twice on card 4111 1111 1111 1111',
      'my api key sk-proj-abcdefghijklmnopqrstuvwxyz123456 stopped working',
      'api key sk-proj-abcdefghijklmnopqrstuvwxyz123456 not working',
      'the key sk-proj-abcdefghijklmnopqrstuvwxyz123456 returns 401',
    ])
      c.assign('p', q);
    c.maintain({ final: true });
    const rows = c.snapshot().filter((r) => r.size > 0);
    expect(rows.length).toBeGreaterThan(0);
    const shown = rows.map((r) =>
      [r.label, ...r.top_terms, r.representative, ...Object.keys(r.term_counts)].join(' | '),
    );
    for (const text of shown) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      // Nor their pieces, which labels are made of ("smith example", "sk proj …").
      expect(text).not.toMatch(/example|smith|john|4111|abcdefghijklmnopqrstuvwxyz/);
    }
    // What the questions ask is still what the labels say.
    expect(rows.map((r) => r.label).join(' | ')).toMatch(/log in/);
    expect(rows.map((r) => r.label).join(' | ')).toMatch(/charged twice/);
  });
});

describe('a project of English traffic with questions in another language', () => {
  it('keeps the other language’s subjects apart instead of one topic of them all', () => {
    const c = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, now: fixedClock() });
    const english = [
      'how do I get a refund',
      'when will my refund arrive',
      'I forgot my password',
      'how do I reset my password',
      'where is my parcel',
      'my parcel has not arrived',
      'cancel my subscription',
      'how to cancel the subscription',
    ];
    const spanish: [string, string][] = [
      ['olvidé mi contraseña', 'password'],
      ['¿cómo cambio mi contraseña?', 'password'],
      ['no puedo restablecer mi contraseña', 'password'],
      ['¿dónde está mi paquete?', 'parcel'],
      ['mi paquete no ha llegado', 'parcel'],
      ['quiero rastrear mi paquete', 'parcel'],
      ['¿Cuándo recibiré mi reembolso?', 'refund'],
      ['necesito mi reembolso', 'refund'],
    ];
    for (let round = 0; round < 3; round++) for (const q of english) c.assign('p', q);
    const ids = spanish.map(([q]) => c.assign('p', q));
    c.maintain({ final: true });
    const now = ids.map((id) => c.resolve('p', id) ?? id);
    const subjectsIn = new Map<string, Set<string>>();
    for (const [i, id] of now.entries())
      subjectsIn.set(id, (subjectsIn.get(id) ?? new Set()).add((spanish[i] as [string, string])[1]));
    // Under the student, the one word it knows of them ("mi") put all eight in one topic.
    expect(Math.max(...[...subjectsIn.values()].map((s) => s.size))).toBe(1);
  });
});

describe('a burst of questions the knowledge base lacks', () => {
  it('surfaces as the top gap topic within one flush', () => {
    const tracker = new GapTracker();
    const c = new TopicClusterer({ onMerge: (p, f, i) => tracker.merge(p, f, i) });
    const calibrator = new RetrievalCalibrator();
    const known = [
      ...CARD,
      ...FX,
      'how do i top up my account',
      'top up with a bank transfer',
      'top up limits',
    ];
    const ask = (q: string, score: number) => {
      const result = gapSignals({ documents: 3, topScore: score }, calibrator.thresholds(score));
      calibrator.add(score);
      const topic = c.assign('p1', q);
      tracker.record('p1', topic, q, result);
      return topic;
    };
    for (let i = 0; i < 120; i++) ask(known[i % known.length] as string, 0.8 + ((i * 37) % 10) / 100);
    const burst = [
      'can I open an account for my child',
      'is there an age limit to open an account',
      'how old must my child be for an account',
      'minimum age for opening an account',
      'can my child under 18 have an account',
    ];
    const burstIds = burst.map((q, i) => ask(q, 0.2 + i / 100));
    c.maintain();
    const top = tracker.ranked('p1')[0];
    expect(top).toBeDefined();
    expect(burstIds.map((id) => c.resolve('p1', id))).toContain(top?.topicId);
    expect(top?.gaps).toBeGreaterThanOrEqual(3);
    expect(top?.samples.some((s) => burst.includes(s))).toBe(true);
  });
});

describe('TopicClusterer past the inverted index threshold (thousands of topics in one space)', () => {
  // Made-up words, so every question's features are its own.
  const syllables = ['ka', 'lo', 'mi', 'nu', 'pe', 'ri', 'so', 'ta', 'vu', 'ze', 'bo', 'du'];
  const word = (i: number) => [1, 12, 144, 1728].map((base) => syllables[Math.floor(i / base) % 12]).join('');
  const question = (i: number) => `${word(3 * i)} ${word(3 * i + 1)} ${word(3 * i + 2)}`;

  it('finds each question’s own topic among 3,000, after its sums were updated in place', () => {
    const n = 3_000;
    const c = new TopicClusterer({ assignThreshold: 0.9, mergeEvery: Number.MAX_SAFE_INTEGER });
    const founded = Array.from({ length: n }, (_, i) => c.assignDetailed('p', question(i)));
    expect(founded.every((a) => a.created)).toBe(true);
    expect(c.size).toBe(n);
    // Asked twice more: the second time reads the column slots the first one rewrote.
    for (const round of [1, 2]) {
      for (let i = 0; i < n; i += 7) {
        const again = c.assignDetailed('p', question(i));
        expect({ round, i, created: again.created, topicId: again.topicId }).toEqual({
          round,
          i,
          created: false,
          topicId: founded[i]?.topicId,
        });
      }
    }
  });
});

describe('TopicClusterer through the projected index (an app’s dense embeddings, thousands of topics)', () => {
  it('picks what the linear scan picks for questions near many similar topics', () => {
    // App embeddings as sentence encoders make them: a shared offset, most of
    // the rest in a few dozen directions, so many topics sit near a question.
    // The approximate coarse pass this index replaced (the question's 16
    // heaviest of 256 dimensions, 64 topics kept) put 12 of these 300 in
    // another topic.
    const { point } = encoderLike(41, 256, 32);
    // 3,000 topics of one question each, past the 2,048 where the index takes over.
    // A calibrated space, centred as the collector's; bars no cosine reaches, so none joins.
    const seeder = new TopicClusterer({
      calibratedThresholds: { assign: 2, merge: 2 },
      mergeEvery: Number.MAX_SAFE_INTEGER,
    });
    for (let i = 0; i < 3_000; i++) seeder.assign('p', `t${i}`, point(), 'app-model');
    const rows = seeder.snapshot();
    const questions = Array.from({ length: 300 }, () => point());
    const run = (search: 'auto' | 'linear') => {
      const c = new TopicClusterer({ search, mergeEvery: Number.MAX_SAFE_INTEGER });
      c.restore(rows);
      return questions.map((v, i) => c.assignDetailed('p', `q${i}`, v, 'app-model'));
    };
    const auto = run('auto');
    const linear = run('linear');
    // Most join a topic (277), so the search had a best to find.
    expect(linear.filter((a) => !a.created).length).toBeGreaterThan(200);
    expect(auto).toEqual(linear);
  });
});

describe('TopicClusterer in a built-in space whose questions are not sparse (hashed part + USE-lite)', () => {
  it('searches it through the inverted index, posting lists for the hashed part, and picks what the scan picks', () => {
    // The use embedder's layout, smaller: 128 hashed dimensions (a few
    // non-zero) then 64 dense ones, each part half the cosine. Too many
    // non-zeros to count as sparse, so only the id says where the hashed part ends.
    const id = 'builtin:hashed-use-v1:128+64:0.5';
    const r = seededRandom(43);
    const gauss = gaussian(r);
    const centre = () => {
      const v = new Float32Array(192);
      for (let k = 0; k < 6; k++) v[Math.floor(r() * 128)] = r() + 0.5;
      for (let j = 128; j < 192; j++) v[j] = gauss();
      return v;
    };
    const centres = Array.from({ length: 1_500 }, centre);
    const ask = (c: Float32Array) => {
      const v = Float32Array.from(c);
      for (let k = 0; k < 2; k++) v[Math.floor(r() * 128)] = r();
      for (let j = 128; j < 192; j++) v[j] = (v[j] as number) + 0.6 * gauss();
      const part = (from: number, to: number) => Math.hypot(...v.subarray(from, to));
      const [h, d] = [part(0, 128), part(128, 192)];
      for (let j = 0; j < 192; j++) v[j] = ((v[j] as number) * Math.SQRT1_2) / (j < 128 ? h : d);
      return v;
    };
    const questions = Array.from({ length: 3_000 }, (_, i) =>
      ask(centres[i < centres.length ? i : Math.floor(r() * centres.length)] as Float32Array),
    );
    expect(questions[0]?.filter((x) => x !== 0).length).toBeGreaterThan(192 / 4);
    const run = (search: 'auto' | 'linear') => {
      const c = new TopicClusterer({ search, mergeEvery: 64 });
      const out = questions.map((v, i) => c.assignDetailed('p', `q${i}`, v, id));
      return { out, size: c.size };
    };
    const linear = run('linear');
    const indexed = run('auto');
    // Past the index's 256 topics, with joins as well as new topics.
    expect(linear.size).toBeGreaterThan(300);
    expect(linear.out.filter((a) => !a.created).length).toBeGreaterThan(1_000);
    expect(indexed.out).toEqual(linear.out);
  });
});

describe('TopicClusterer in a space of unknown geometry (calibrated)', () => {
  // An app's embeddings that sit high, as commercial ones do: every vector
  // shares a large offset, so two questions about different things still
  // have cosine ≈ 0.8, above any fixed threshold for the hashed embedder.
  const width = 32;
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  // Deterministic and spread out enough: the offset is the all-ones direction,
  // each intent a basis direction, and noise a fixed pattern of sines.
  const offset = unit(Array.from({ length: width }, () => 1));
  const ask = (intent: number, i = 0) =>
    unit(offset.map((o, j) => 2 * o + (j === intent ? 0.9 : 0) + 0.12 * Math.sin(i * 12.9898 + j * 78.233)));
  const stream = Array.from({ length: 240 }, (_, i) => ({ intent: (i * 7) % 4, v: ask((i * 7) % 4, i) }));
  const run = (c: TopicClusterer, project = 'p') => {
    const ids = stream.map((q, i) => c.assign(project, `q${i}`, q.v, 'app-model'));
    c.maintain({ final: true });
    return ids.map((id) => c.resolve(project, id) as string);
  };

  it('judges it on its own baseline: one topic per intent where fixed thresholds make one in all', () => {
    const cos = (a: number[], b: number[]) => a.reduce((s, x, j) => s + x * (b[j] as number), 0);
    // Different intents really are close in raw cosine.
    expect(cos(stream[0]?.v ?? [], stream[1]?.v ?? [])).toBeGreaterThan(0.6);
    const calibrated = run(new TopicClusterer());
    const topicsOf = (ids: string[]) => new Set(ids).size;
    // Pure: no topic holds two intents; and not shattered.
    const intentsPerTopic = new Map<string, Set<number>>();
    calibrated.forEach((id, i) => {
      const set = intentsPerTopic.get(id) ?? new Set();
      set.add(stream[i]?.intent as number);
      intentsPerTopic.set(id, set);
    });
    expect([...intentsPerTopic.values()].every((s) => s.size === 1)).toBe(true);
    expect(topicsOf(calibrated)).toBeGreaterThanOrEqual(4);
    expect(topicsOf(calibrated)).toBeLessThanOrEqual(8);
    // The same vectors under the hashed embedder's thresholds taken as cosines: all in one.
    expect(topicsOf(run(new TopicClusterer({ thresholdsFor: literal(0.4, 0.12) })))).toBe(1);
  });

  it('is centred on its mean, and stores each topic’s raw centroid', () => {
    const c = new TopicClusterer({ now: fixedClock() });
    const ids = stream.map((q, i) => c.assignDetailed('p', `q${i}`, q.v, 'app-model'));
    expect(ids[0]?.embedder).toBe(`app-model${CENTRED}`);
    // What is stored is the plain mean of the raw vectors each topic took, whatever frames came between.
    for (const row of c.snapshot()) {
      const members = stream.filter((_, i) => c.resolve('p', ids[i]?.topicId as string) === row.topic_id);
      expect(members.length).toBe(row.size);
      const mean = (j: number) => members.reduce((acc, m) => acc + (m.v[j] as number), 0) / members.length;
      row.centroid.forEach((x, j) => {
        expect(x).toBeCloseTo(mean(j), 4);
      });
    }
  });

  it('gets its baseline back from the topics table after a restart', () => {
    const before = new TopicClusterer({ now: fixedClock() });
    run(before);
    const rows = JSON.parse(JSON.stringify(before.snapshot()));
    const after = new TopicClusterer({ now: fixedClock() });
    after.restore(rows);
    // New questions, including a fifth intent: same choices with and without the restart.
    const extra = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? ask(i % 4, 1000 + i) : ask(4 + (i % 3), 1000 + i),
    );
    const a = extra.map((v, i) => before.assignDetailed('p', `x${i}`, v, 'app-model'));
    const b = extra.map((v, i) => after.assignDetailed('p', `x${i}`, v, 'app-model'));
    expect(b.map((x) => [x.topicId, x.created])).toEqual(a.map((x) => [x.topicId, x.created]));
    expect(a.filter((x) => x.created).length).toBeGreaterThan(0);
    expect(a.filter((x) => !x.created).length).toBeGreaterThan(20);
  });

  it('leaves out at a restart the rows of its uncentred form, a space no question reaches', () => {
    const before = new TopicClusterer({ now: fixedClock() });
    run(before);
    const rows: TopicRow[] = JSON.parse(JSON.stringify(before.snapshot()));
    // As written before calibrated spaces were centred.
    const legacy = rows.map((r) => ({
      ...r,
      topic_id: `9${r.topic_id}`.slice(0, 19),
      embedder: 'app-model',
    }));
    const after = new TopicClusterer({ now: fixedClock() });
    const live = rows.filter((r) => r.size > 0).length;
    expect(live).toBeGreaterThan(1);
    expect(after.restore([...rows, ...legacy]).restored).toBe(live);
    expect(new Set(after.topics('p').map((t) => t.embedder))).toEqual(new Set([`app-model${CENTRED}`]));
    // Not centring, the uncentred form is the space it places in.
    expect(new TopicClusterer({ centre: false }).restore(legacy).restored).toBe(live);
  });
});
