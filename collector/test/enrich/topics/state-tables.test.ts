/**
 * The topics enricher's state tables through the store and back, on every
 * store backend (the server path reads UInt64 as text, Bool as JSON booleans
 * and a Map as an object): each project's built-in embedder through
 * embedder_state, which embeds as the one written did, and each space's label
 * vocabulary through topic_vocabulary, which labels as the one written did.
 * Each writer sends only what learnt since, at most every five minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUILTIN_EMBEDDER, TopicClusterer } from '../../../src/enrich/topics/clusterer.ts';
import { EmbedderStateWriter, restoreEmbedderState } from '../../../src/enrich/topics/embedder-state.ts';
import { restoreGapState } from '../../../src/enrich/topics/gap-state.ts';
import { GapCalibrator, PeerNearness, RelevanceCalibrator } from '../../../src/enrich/topics/gaps.ts';
import { STATE_EVERY_MS } from '../../../src/enrich/topics/state-rewrites.ts';
import { restoreVocabularies, VocabularyStateWriter } from '../../../src/enrich/topics/vocabulary-state.ts';
import type { Store } from '../../../src/store/store.ts';
import { EMBEDDER_STATE, GAP_STATE, TOPIC_VOCABULARY } from '../../../src/store/tables.ts';
import { storeBackends } from '../../helpers/store-backends.ts';

const QUESTIONS = [
  'how do i top up my card',
  'my card payment was declined at the shop',
  'why was i charged a fee for my transfer',
  'where is my new card',
  'can i change my pin at an atm',
];

describe.each(storeBackends())('topics state tables on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  }, 60_000);
  afterAll(async () => {
    await backend.cleanup();
  });

  it('restores each project’s embedder as it was written, and writes only what learnt since', async () => {
    const live = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER });
    for (const q of QUESTIONS) live.assign('bank', q);
    live.assign('travel', 'is my flight delayed');
    const writer = new EmbedderStateWriter(live);
    const at = Date.parse('2026-12-05T12:00:00Z');
    const rows = writer.rows(new Date(at));
    expect(rows.map((r) => [r.project_id, r.documents])).toEqual([
      ['bank', QUESTIONS.length],
      ['travel', 1],
    ]);
    await store.insert(EMBEDDER_STATE, rows);

    // Not yet due; then due, but only the project that asked since.
    live.assign('bank', 'what is the exchange rate for euros');
    expect(writer.rows(new Date(at + STATE_EVERY_MS - 1))).toEqual([]);
    const next = writer.rows(new Date(at + STATE_EVERY_MS));
    expect(next.map((r) => [r.project_id, r.documents])).toEqual([['bank', QUESTIONS.length + 1]]);
    await store.insert(EMBEDDER_STATE, next);

    const restarted = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER });
    const restartedWriter = new EmbedderStateWriter(restarted);
    expect(await restoreEmbedderState(store, restarted, restartedWriter)).toEqual({
      restored: 2,
      other: 0,
      errors: [],
    });
    for (const project of ['bank', 'travel']) {
      const before = live.builtinEmbedder(project);
      const after = restarted.builtinEmbedder(project);
      expect(after.state()).toEqual(before.state());
      const probe = 'my card was declined abroad';
      expect([...after.embedOne(probe, false)]).toEqual([...before.embedOne(probe, false)]);
    }
    // What it loaded is in the table already: nothing to write until a project learns more.
    expect(restartedWriter.rows(new Date(at + 3 * STATE_EVERY_MS))).toEqual([]);
  });

  it('restores each space’s label vocabulary as it was written, and writes only what took questions since', async () => {
    const live = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, maxTopics: 3 });
    // Twice each, so every term is said by two questions; past three topics the oldest are evicted.
    for (const q of [...QUESTIONS, ...QUESTIONS]) live.assign('bank', q);
    live.assign('travel', 'is my flight delayed');
    const writer = new VocabularyStateWriter(live);
    const at = Date.parse('2026-12-06T12:00:00Z');
    const rows = writer.rows(new Date(at));
    expect(rows.map((r) => [r.project_id, r.questions])).toEqual([
      ['bank', 2 * QUESTIONS.length],
      ['travel', 1],
    ]);
    // The travel question's terms were each said once: its topic's own counts stand for them.
    expect(rows[1]?.term_counts).toEqual({});
    expect(rows[0]?.term_counts).toMatchObject({ card: 6, 'card payment': 2, pin: 2 });
    await store.insert(TOPIC_VOCABULARY, rows);
    live.assign('bank', 'what is the exchange rate for euros');
    expect(writer.rows(new Date(at + STATE_EVERY_MS - 1))).toEqual([]);
    const next = writer.rows(new Date(at + STATE_EVERY_MS));
    expect(next.map((r) => [r.project_id, r.questions])).toEqual([['bank', 2 * QUESTIONS.length + 1]]);
    await store.insert(TOPIC_VOCABULARY, next);

    const restarted = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER, maxTopics: 3 });
    const restartedWriter = new VocabularyStateWriter(restarted);
    expect(await restoreVocabularies(store, restarted, restartedWriter)).toEqual({ restored: 2, errors: [] });
    restarted.restore(JSON.parse(JSON.stringify(live.snapshot())));
    const states = (c: TopicClusterer) =>
      new Map([...c.vocabularies()].map((v) => [v.projectId, v.vocabulary.state()]));
    expect(states(restarted)).toEqual(states(live));
    const labels = (c: TopicClusterer) => new Map(c.topics('bank').map((t) => [t.topicId, t.topTerms]));
    expect(labels(restarted)).toEqual(labels(live));
    expect(restartedWriter.rows(new Date(at + 3 * STATE_EVERY_MS))).toEqual([]);
  });

  it('restores every gap reservoir, a page of rows at a time, each project’s its own', async () => {
    // More rows than a page holds, so the read goes on past its first answers.
    const projects = Array.from({ length: 300 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    const updated = '2026-12-06 12:00:00.000';
    const rows = projects.flatMap((project, i) => [
      {
        project_id: project,
        kind: 'relevance',
        key: '',
        sample: [i / 1000, 0.5],
        seen: 2,
        updated_at: updated,
      },
      {
        project_id: project,
        kind: 'nearness',
        key: 'builtin:x',
        sample: [0.25],
        seen: 7,
        updated_at: updated,
      },
    ]);
    await store.insert(GAP_STATE, rows);
    const calibrators = new Map<string, GapCalibrator>();
    const holders = {
      calibrators,
      calibrator(projectId: string, scale: string) {
        const key = `${projectId}\u0000${scale}`;
        const c = calibrators.get(key) ?? new GapCalibrator();
        calibrators.set(key, c);
        return c;
      },
      nearness: new PeerNearness(),
      relevances: new RelevanceCalibrator(),
    };
    // Rows each answer held: no answer may hold every project's.
    const answers: number[] = [];
    const counting: Pick<Store, 'query' | 'database'> = {
      database: store.database,
      query: async (sql, options) => {
        const got = await store.query(sql, options);
        answers.push(got.length);
        return got as never;
      },
    };
    expect(await restoreGapState(counting, holders)).toEqual({ restored: rows.length, errors: [] });
    expect(answers.length).toBeGreaterThan(2);
    expect(Math.max(...answers)).toBeLessThan(rows.length / 2);
    const relevance = new Map(holders.relevances.entries());
    expect(relevance.size).toBe(projects.length);
    expect(relevance.get('p123')?.state()).toEqual({ sample: [0.123, 0.5], seen: 2 });
    expect(new Map(holders.nearness.entries()).get('p299\u0000builtin:x')?.state()).toEqual({
      sample: [0.25],
      seen: 7,
    });
  });
});
