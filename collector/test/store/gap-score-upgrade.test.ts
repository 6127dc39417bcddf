/**
 * Migration 016 on a database that already holds quality rows: a collector
 * upgraded from 015 keeps the roll-up's counts, and the graded gap score
 * counts from then on (hours rolled up before read gap_scored = 0, so they
 * stay out of the mean the gaps dashboard ranks by).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { QUALITY_EVENTS } from '../../src/store/tables.ts';
import { openBefore, storeBackends } from '../helpers/store-backends.ts';

const event = (spanId: string, kbGap: number, extra: Record<string, unknown> = {}) => ({
  project_id: 'upgrade',
  timestamp: 1_764_000_000_000_000_000n,
  trace_id: `t-${spanId}`,
  span_id: spanId,
  service_name: 'bot',
  model: 'm',
  topic_id: 7n,
  sign: 1,
  kb_gap: kbGap,
  ...extra,
});

// The embedded engine only: the server backend runs migrations on a client of
// its own (the database may not exist yet), which a partial apply cannot reach;
// its fresh migrations run 016 in every server-backed suite.
describe.each(storeBackends().filter((b) => b.name === 'embedded'))(
  'migration 016 over 015 data on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('keeps the counted gaps and sums graded scores written after it', async () => {
      const { store, last } = await openBefore(backend, 16);
      expect(last).toBe(15);
      await store.insert(QUALITY_EVENTS, [event('a', 1), event('b', 0)]);

      await store.migrate();
      await store.insert(QUALITY_EVENTS, [
        event('c', 1, { kb_gap_score: 0.75 }),
        event('d', 0, { kb_gap_score: 0.25 }),
      ]);
      // A re-score taken back: its graded score leaves the sum with it.
      await store.insert(QUALITY_EVENTS, [event('d', 0, { kb_gap_score: 0.25, sign: -1 })]);

      const [rollup] = await store.query<{ checked: number; gaps: number; graded: number; sum: number }>(
        `SELECT toInt32(sum(gap_checked)) AS checked, toInt32(sum(gaps)) AS gaps,
              toInt32(sum(gap_scored)) AS graded, sum(gap_score_sum) AS sum
         FROM llm_quality_hourly WHERE project_id = 'upgrade'`,
      );
      expect(rollup).toEqual({ checked: 3, gaps: 2, graded: 1, sum: 0.75 });
    });
  },
);
