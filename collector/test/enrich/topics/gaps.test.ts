import { seededRandom } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import {
  GapCalibrator,
  GapTracker,
  gapSignals,
  ownGapScore,
  PEER_WEIGHT,
  PeerNearness,
  RelevanceCalibrator,
  RetrievalCalibrator,
  topicInformedScore,
} from '../../../src/enrich/topics/gaps.ts';

describe('gapSignals', () => {
  it('is null without evidence, and false when every signal is healthy', () => {
    expect(gapSignals({})).toEqual({ kbGap: null, signals: [], score: null });
    const ok = gapSignals(
      {
        documents: 3,
        topScore: 0.9,
        contextRelevance: 0.9,
        refusal: false,
        groundedness: 0.95,
        negativeFeedback: false,
      },
      { retrievalScore: 0.5, retrievalPercentile: 0.8 },
    );
    expect(ok.kbGap).toBe(false);
    expect(ok.signals).toEqual([]);
    expect(ok.score).toBeGreaterThan(0);
    expect(ok.score).toBeLessThan(0.3);
  });

  it('names every signal that fired, in the schema contract’s vocabulary', () => {
    const r = gapSignals(
      {
        documents: 2,
        topScore: 0.1,
        contextRelevance: 0.1,
        refusal: true,
        groundedness: 0.2,
        negativeFeedback: true,
      },
      { retrievalScore: 0.4, retrievalPercentile: 0.01 },
    );
    expect(r.kbGap).toBe(true);
    expect(r.signals).toEqual([
      'low_retrieval_score',
      'low_context_relevance',
      'refusal',
      'low_groundedness',
      'negative_feedback',
    ]);
    expect(r.score).toBeGreaterThan(0.99);
    expect(gapSignals({ documents: 0 }).signals).toEqual(['no_documents']);
    expect(gapSignals({ documents: 0 }).score).toBeCloseTo(0.95, 6);
  });

  it('orders by strength: a refusal outranks negative feedback alone', () => {
    const refusal = gapSignals({ refusal: true }).score as number;
    const feedback = gapSignals({ negativeFeedback: true }).score as number;
    expect(refusal).toBeGreaterThan(feedback);
    expect(gapSignals({ refusal: false }).kbGap).toBe(false);
  });

  it('ignores a low retrieval score until the project is calibrated', () => {
    expect(gapSignals({ documents: 3, topScore: 0.01 }).signals).toEqual([]);
  });

  it('averages the calibrated retrieval and relevance percentiles into one term, and still flags each', () => {
    const input = { documents: 3, topScore: 0.5, contextRelevance: 0.1 };
    const calibrated = { retrievalScore: 0.2, retrievalPercentile: 0.9 };
    // Absolute relevance before its distribution exists: a second noisy-OR term, 0.7 × (1 − 0.1).
    const absolute = gapSignals(input, calibrated);
    expect(absolute.score).toBeCloseTo(1 - (1 - 0.8 * 0.1) * (1 - 0.7 * 0.9), 12);
    // Both calibrated: one term at the mean percentile, 0.8 × (1 − (0.9 + 0.1) / 2).
    const joined = gapSignals(input, { ...calibrated, contextRelevancePercentile: 0.1 });
    expect(joined.score).toBeCloseTo(0.8 * 0.5, 12);
    // The flag stays the absolute, conservative one: 0.1 is under 0.3 either way.
    expect(joined.signals).toEqual(['low_context_relevance']);
    // Relevance that is low in absolute terms but usual for this app adds little.
    const usual = gapSignals(
      { documents: 3, topScore: 0.5, contextRelevance: 0.25 },
      { ...calibrated, contextRelevancePercentile: 0.9 },
    );
    expect(usual.score).toBeCloseTo(0.8 * 0.1, 12);
    expect(usual.signals).toEqual(['low_context_relevance']);
    // Without a retrieval score, the relevance percentile is its own term.
    expect(gapSignals({ contextRelevance: 0.25 }, { contextRelevancePercentile: 0.9 }).score).toBeCloseTo(
      0.7 * 0.1,
      12,
    );
    expect(gapSignals({ contextRelevance: 0.25 }).score).toBeCloseTo(0.7 * 0.75, 12);
  });
});

describe('RetrievalCalibrator', () => {
  it('learns the project’s own scale: the same score is low for one retriever, normal for another', () => {
    const cosine = new RetrievalCalibrator();
    const bm25 = new RetrievalCalibrator();
    for (let i = 0; i < 200; i++) {
      cosine.add(0.7 + (i % 20) / 100);
      bm25.add(5 + (i % 20) / 4);
    }
    expect(cosine.threshold()).toBeGreaterThan(0.5);
    expect(cosine.threshold()).toBeLessThan(0.8);
    expect(bm25.threshold()).toBeGreaterThan(3);
    expect(gapSignals({ documents: 3, topScore: 0.3 }, cosine.thresholds(0.3)).kbGap).toBe(true);
    expect(gapSignals({ documents: 3, topScore: 8 }, bm25.thresholds(8)).kbGap).toBe(false);
    expect(cosine.percentile(0.3)).toBe(0);
    expect(cosine.percentile(2)).toBe(1);
  });

  it('gives the sorted reservoir’s percentile and MAD threshold as it keeps turning over', () => {
    const capacity = 64;
    const c = new RetrievalCalibrator({ capacity, minSamples: 5 });
    const random = seededRandom(7);
    // What the reservoir holds: the last `capacity` scores by stride replacement, as add() documents.
    const held: number[] = [];
    for (let seen = 1; seen <= 500; seen++) {
      // Ties and a skewed spread, as retrieval scores have.
      const score = Math.round(random() ** 2 * 40) / 40;
      c.add(score);
      if (held.length < capacity) held.push(score);
      else held[seen % capacity] = score;
      if (held.length < 5) continue;
      const sorted = [...held].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1] as number;
      const mad = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b)[sorted.length >> 1] as number;
      expect(c.threshold()).toBeCloseTo(median - 1.5 * 1.4826 * mad, 12);
      const probe = random();
      expect(c.percentile(probe)).toBe(sorted.filter((x) => x < probe).length / sorted.length);
    }
  });

  it('stays silent before it has seen enough scores', () => {
    const c = new RetrievalCalibrator({ minSamples: 10 });
    for (let i = 0; i < 9; i++) c.add(0.5);
    expect(c.threshold()).toBeNull();
    c.add(Number.NaN);
    expect(c.threshold()).toBeNull();
    c.add(0.5);
    expect(c.threshold()).toBe(0.5);
  });
});

describe('GapCalibrator', () => {
  // A project's history: top scores spread over 0.40–0.79, nearness percentiles over 0–0.95.
  function warmed(): GapCalibrator {
    const c = new GapCalibrator({ minSamples: 20 });
    for (let i = 0; i < 200; i++) c.judge(0.4 + (i % 40) / 100, ((i * 7) % 20) / 20);
    return c;
  }

  it('judges the same top score as weaker evidence of coverage when the traffic knows the question well', () => {
    const c = warmed();
    const familiar = c.judge(0.6, 0.95, false).retrievalPercentile as number;
    const stray = c.judge(0.6, 0.05, false).retrievalPercentile as number;
    const alone = c.judge(0.6, null, false).retrievalPercentile as number;
    expect(familiar).toBeLessThan(alone);
    // A question no earlier one came near is not excused for it: its top score alone judges it.
    expect(stray).toBe(alone);
    // The top score alone is its percentile among the project's top scores.
    expect(alone).toBeCloseTo(0.5, 1);
    const scored = (t: ReturnType<GapCalibrator['judge']>) =>
      gapSignals({ documents: 3, topScore: 0.6 }, t).score as number;
    expect(scored(c.judge(0.6, 0.95, false))).toBeGreaterThan(scored(c.judge(0.6, 0.05, false)));
  });

  it('reads retrieval weaker than every question’s as a gap, however strange the question', () => {
    const c = warmed();
    // Off-topic: the lowest top score yet, from a question no earlier one came near.
    // Read against its peers alone, as before, it sat at the 16th percentile.
    expect(c.judge(0.35, 0, false).retrievalPercentile).toBe(0);
    // Familiar and as weakly retrieved: the same, the least covered of all.
    expect(c.judge(0.35, 0.95, false).retrievalPercentile).toBe(0);
  });

  it('places the relative score in its own distribution, so the strength stays a percentile', () => {
    const c = warmed();
    // A top score above every one seen, from a question no earlier one came near:
    // the best case, level only with the history's own best cases.
    expect(c.judge(2, 0, false).retrievalPercentile).toBeGreaterThan(0.99);
    expect(c.judge(-1, 1, false).retrievalPercentile).toBe(0);
    // The relative score is the top score's percentile minus PEER_WEIGHT × the nearness's.
    const a = c.judge(0.6, 0.2, false).retrievalPercentile as number;
    const b = c.judge(0.6, 0.2 + 0.1 / PEER_WEIGHT, false).retrievalPercentile as number;
    expect(a).toBeGreaterThan(b);
  });

  it('leaves the flag’s threshold to the top score alone, and learns only when told to', () => {
    const c = warmed();
    const plain = new RetrievalCalibrator({ minSamples: 20 });
    for (let i = 0; i < 200; i++) plain.add(0.4 + (i % 40) / 100);
    expect(c.judge(0.3, 0.9, false).retrievalScore).toBe(plain.threshold());
    const before = c.judge(0.6, 0.5, false);
    for (let i = 0; i < 50; i++) c.judge(0.45, 0.5, false);
    expect(c.judge(0.6, 0.5, false)).toEqual(before);
    for (let i = 0; i < 50; i++) c.judge(0.45, 0.5);
    expect(c.judge(0.6, 0.5, false).retrievalPercentile).toBeGreaterThan(
      before.retrievalPercentile as number,
    );
  });

  it('says nothing graded before the project has a distribution', () => {
    const c = new GapCalibrator({ minSamples: 20 });
    expect(c.judge(0.6, 0.5)).toEqual({ retrievalScore: null, retrievalPercentile: null });
  });
});

describe('PeerNearness', () => {
  it('places a nearness among its own project’s and space’s, which never mix', () => {
    const n = new PeerNearness({ minSamples: 10 });
    for (let i = 0; i < 100; i++) {
      n.percentile('a', 'builtin', i / 100);
      // Another embedder's cosines sit higher: its own scale.
      n.percentile('a', 'app:512', 0.5 + i / 200);
    }
    expect(n.percentile('a', 'builtin', 0.5, false)).toBeCloseTo(0.5, 2);
    expect(n.percentile('a', 'app:512', 0.5, false)).toBe(0);
    expect(n.percentile('b', 'builtin', 0.5, false)).toBeNull();
    expect(n.percentile('a', 'builtin', 0.5, false)).toBeCloseTo(0.5, 2);
  });

  it('reads a repeated question as it read the question the first time, not by its own copy', () => {
    const n = new PeerNearness({ minSamples: 10 });
    for (let i = 0; i < 100; i++) n.percentile('a', 'builtin', i / 100);
    const asked = 'why was my card declined';
    expect(n.percentile('a', 'builtin', 0.3, true, asked)).toBeCloseTo(0.3, 2);
    const high = n.percentile('a', 'builtin', 0.985, false);
    // Asked again, its first copy is in the topic it is compared with (nearness 0.99): it is
    // placed by its first nearness instead, and does not join the distribution.
    expect(n.percentile('a', 'builtin', 0.99, true, asked)).toBeCloseTo(0.3, 2);
    expect(n.percentile('a', 'builtin', 0.985, false)).toBe(high);
    // Another question as near is read as it comes; so are the same words in another project.
    expect(n.percentile('a', 'builtin', 0.99, false, 'why was my transfer declined')).toBeGreaterThan(0.95);
    expect(n.percentile('b', 'builtin', 0.99, true, asked)).toBeNull();
  });

  it('reads a follow-up by the question it follows, while that question is remembered', () => {
    const n = new PeerNearness({ minSamples: 10 });
    for (let i = 0; i < 100; i++) n.percentile('a', 'builtin', i / 100);
    const asked = 'can I use my card in spain';
    n.percentile('a', 'builtin', 0.2, true, asked);
    const high = n.percentile('a', 'builtin', 0.975, false);
    // Read after it ("can I use my card in spain? is that free?"), it sits by its own question.
    const followUp = `${asked}? is that free?`;
    expect(n.percentile('a', 'builtin', 0.98, true, followUp, asked)).toBeCloseTo(0.2, 2);
    expect(n.percentile('a', 'builtin', 0.975, false)).toBe(high);
    // After a question it never placed (or in another space), its own nearness counts.
    expect(n.percentile('a', 'builtin', 0.98, true, followUp, 'how do I close my account')).toBeGreaterThan(
      0.95,
    );
    expect(n.percentile('a', 'app:8', 0.5, true, followUp, asked)).toBeNull();
  });
});

describe('RelevanceCalibrator', () => {
  it('places a relevance among its own project’s: one-line documents say fewer of a question’s words', () => {
    const r = new RelevanceCalibrator({ minSamples: 10 });
    for (let i = 0; i < 100; i++) {
      r.percentile('faq', 0.1 + i / 500);
      r.percentile('manual', 0.5 + i / 200);
    }
    // 0.3 is as relevant as the FAQ's documents ever get, and low for the manual's.
    expect(r.percentile('faq', 0.3, false)).toBe(1);
    expect(r.percentile('manual', 0.3, false)).toBe(0);
    expect(r.percentile('new', 0.3, false)).toBeNull();
    // Without learning, a reading leaves the distribution alone.
    expect(r.percentile('manual', 0.75, false)).toBeCloseTo(0.5, 2);
    expect(r.percentile('manual', 0.75, false)).toBeCloseTo(0.5, 2);
  });
});

describe('GapTracker', () => {
  it('keeps volume, rate, Wilson score, samples and trend per topic', () => {
    const day = 24 * 3600 * 1000;
    const t = new GapTracker({ maxSamples: 2 });
    const gap = { kbGap: true, signals: ['refusal' as const], score: 0.8 };
    const fine = { kbGap: false, signals: [], score: 0.1 };
    t.record('p', 'a', 'q1', fine, 0);
    t.record('p', 'a', 'q2', fine, 1);
    t.record('p', 'a', 'q3', gap, day + 1);
    t.record('p', 'a', 'q4', gap, day + 2);
    t.record('p', 'a', 'q5', gap, day + 3);
    t.record('p', 'a', 'q6', { kbGap: null, signals: [], score: null }, day + 4);
    const s = t.stats('p', 'a');
    expect(s).toMatchObject({ questions: 5, gaps: 3, gapRate: 0.6, trend: 1, samples: ['q3', 'q4'] });
    // The 95 % Wilson lower bound of 3 of 5.
    expect(s?.gapScore).toBeCloseTo(0.23072, 5);
    expect(t.stats('other', 'a')).toBeUndefined();
  });

  it('ranks topics and folds merged topics into their survivor', () => {
    const t = new GapTracker();
    const gap = { kbGap: true, signals: ['no_documents' as const], score: 0.95 };
    const fine = { kbGap: false, signals: [], score: 0.05 };
    for (let i = 0; i < 20; i++) t.record('p', 'many-fine', `f${i}`, fine);
    for (let i = 0; i < 6; i++) t.record('p', 'gappy', `g${i}`, gap);
    t.record('p', 'one-gap', 'x', gap);
    expect(t.ranked('p').map((r) => r.topicId)).toEqual(['gappy', 'one-gap', 'many-fine']);
    t.merge('p', 'one-gap', 'gappy');
    expect(t.stats('p', 'gappy')?.questions).toBe(7);
    expect(t.stats('p', 'one-gap')).toBeUndefined();
    expect(t.ranked('p', 'meanScore')[0]?.topicId).toBe('gappy');
  });
});

describe('topicInformedScore', () => {
  it('blends a question with its topic evenly, and stands alone without a topic', () => {
    expect(topicInformedScore(0.2, 0.8)).toBeCloseTo(0.5, 10);
    expect(topicInformedScore(0.3, undefined)).toBe(0.3);
    expect(topicInformedScore(0.3, Number.NaN)).toBe(0.3);
  });

  it('lifts a lexically lucky question of a lacking topic above a healthy topic’s unlucky one', () => {
    const t = new GapTracker();
    const at = (score: number) => ({ kbGap: score > 0.5, signals: [], score });
    // A topic the knowledge base lacks: its questions mostly retrieve badly…
    for (const s of [0.9, 0.85, 0.8, 0.9]) t.record('p', 'lacking', 'q', at(s));
    // …and a covered one whose questions mostly retrieve well.
    for (const s of [0.1, 0.15, 0.1, 0.05]) t.record('p', 'covered', 'q', at(s));
    t.record('p', 'lacking', 'lucky', at(0.35));
    t.record('p', 'covered', 'unlucky', at(0.45));
    const lucky = topicInformedScore(0.35, t.stats('p', 'lacking')?.meanScore);
    const unlucky = topicInformedScore(0.45, t.stats('p', 'covered')?.meanScore);
    // Alone the unlucky covered question scores higher; with its topic the lacking one does.
    expect(lucky).toBeGreaterThan(unlucky);
  });
});

describe('ownGapScore', () => {
  it('is the signals’ score once the project is calibrated, and null without evidence', () => {
    const c = new RetrievalCalibrator({ minSamples: 4 });
    for (const x of [0.5, 0.6, 0.7, 0.8]) c.add(x);
    const t = c.thresholds(0.55);
    const r = gapSignals({ documents: 3, topScore: 0.55 }, t);
    expect(ownGapScore(r, 0.55, t)).toBe(r.score);
    expect(ownGapScore(r, 0.55, t)).toBeCloseTo(0.8 * (1 - 0.25), 9);
    expect(ownGapScore(gapSignals({}), undefined, {})).toBeNull();
  });

  it('before calibration, grades an unflagged question by its similarity’s complement, on a [0, 1] scale only', () => {
    const early = new RetrievalCalibrator().thresholds(0.3);
    const quiet = gapSignals({ documents: 3, topScore: 0.3 }, early);
    expect(quiet.score).toBe(0);
    expect(ownGapScore(quiet, 0.3, early)).toBeCloseTo(0.7, 9);
    // A reranker's logit says nothing on its own: no stand-in.
    expect(ownGapScore(gapSignals({ documents: 3, topScore: 7.5 }, early), 7.5, early)).toBe(0);
    // A fired signal speaks for itself.
    const empty = gapSignals({ documents: 0 }, early);
    expect(ownGapScore(empty, undefined, early)).toBeCloseTo(0.95, 9);
  });
});
