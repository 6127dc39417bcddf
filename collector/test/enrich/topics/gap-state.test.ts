/**
 * The gap reservoirs as gap_state keeps them: a stored reservoir loads back
 * to the same percentiles and threshold and carries on replacing as the live
 * one does, and the writer sends only what changed, at most every five minutes.
 */
import { describe, expect, it } from 'vitest';
import { GapStateWriter } from '../../../src/enrich/topics/gap-state.ts';
import {
  GapCalibrator,
  PeerNearness,
  RelevanceCalibrator,
  RetrievalCalibrator,
} from '../../../src/enrich/topics/gaps.ts';
import { STATE_EVERY_MS } from '../../../src/enrich/topics/state-rewrites.ts';

const scores = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 1000) / 1000);

describe('gap state', () => {
  it('loads a reservoir back to the same readings, and it carries on as the live one', () => {
    const live = new RetrievalCalibrator();
    for (const s of scores(3_000, 1)) live.add(s);
    const back = new RetrievalCalibrator();
    back.load(JSON.parse(JSON.stringify(live.state())));
    expect(back.count).toBe(3_000);
    const probes = [0.05, 0.3, 0.5, 0.77, 0.99];
    expect(probes.map((p) => back.percentile(p))).toEqual(probes.map((p) => live.percentile(p)));
    expect(back.threshold()).toBe(live.threshold());
    // The same values replace the same slots: the two stay equal.
    for (const s of scores(1_500, 2).map((x) => x * 0.5)) {
      live.add(s);
      back.add(s);
    }
    expect(probes.map((p) => back.percentile(p))).toEqual(probes.map((p) => live.percentile(p)));
    expect(back.threshold()).toBe(live.threshold());
  });

  it('writes each reservoir that took values, at most every five minutes', () => {
    const calibrators = new Map<string, GapCalibrator>();
    const calibrator = (projectId: string, scale: string) => {
      const key = `${projectId}\u0000${scale}`;
      const c = calibrators.get(key) ?? new GapCalibrator();
      calibrators.set(key, c);
      return c;
    };
    const nearness = new PeerNearness();
    const relevances = new RelevanceCalibrator();
    const writer = new GapStateWriter({ calibrators, calibrator, nearness, relevances });
    for (const s of scores(100, 3)) {
      calibrator('a', 'retrieval').judge(s, nearness.percentile('a', 'space', s));
      relevances.percentile('b', s);
    }
    const at = Date.UTC(2026, 11, 5);
    const first = writer.rows(new Date(at));
    expect(first.map((r) => `${r.project_id}/${r.kind}/${r.key}`).sort()).toEqual([
      'a/nearness/space',
      'a/relative/retrieval',
      'a/retrieval/retrieval',
      'b/relevance/',
    ]);
    expect(first.find((r) => r.kind === 'relevance')).toMatchObject({
      seen: 100,
      updated_at: '2026-12-05 00:00:00.000',
    });
    relevances.percentile('b', 0.5);
    // Within the period nothing is written; after it, only the reservoir that changed.
    expect(writer.rows(new Date(at + STATE_EVERY_MS - 1))).toEqual([]);
    const next = writer.rows(new Date(at + STATE_EVERY_MS));
    expect(next.map((r) => [r.kind, r.seen])).toEqual([['relevance', 101]]);
  });
});
