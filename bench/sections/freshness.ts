/**
 * Freshness: time from a span's export to its row being queryable in
 * `llm_spans`, over single-span exports spaced out like a quiet app's traffic.
 * A poller looks for the pending trace ids every few milliseconds through the
 * collector's read-only SQL endpoint; its interval bounds the resolution.
 */
import { startCollectorProcess } from '../collector-process.ts';
import { makeGenAiSpans } from '../genai-spans.ts';
import { createSender } from '../otlp-sender.ts';
import { note, printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { median, quantile, round, sleep } from '../stats.ts';

const SPACING_MS = 50;
const POLL_MS = 10;

export const freshness: Section = {
  name: 'freshness',
  description: 'export → queryable in llm_spans, p50/p99 over spaced single-span exports',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const count = quick ? 40 : 200;
    const spans = await makeGenAiSpans(count, 9);
    const collector = await startCollectorProcess({ evaluators: 'all' });
    try {
      const sender = createSender(collector.url);
      const sentAt = new Map<string, number>();
      const visible: number[] = [];
      const acked: number[] = [];
      let failures = 0;
      let sending = true;

      const poller = (async () => {
        while (sending || sentAt.size > 0) {
          await sleep(POLL_MS);
          if (sentAt.size === 0) continue;
          const ids = [...sentAt.keys()].map((id) => `'${id}'`).join(',');
          const found = await collector.sql(
            `SELECT DISTINCT trace_id FROM oversight.llm_spans WHERE trace_id IN (${ids})`,
          );
          const now = performance.now();
          for (const id of found.split('\n').filter(Boolean)) {
            const at = sentAt.get(id);
            if (at === undefined) continue;
            visible.push(now - at);
            sentAt.delete(id);
          }
        }
      })();

      const started = performance.now();
      const exports: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const wait = started + i * SPACING_MS - performance.now();
        if (wait > 0) await sleep(wait);
        const span = spans[i] as (typeof spans)[number];
        sentAt.set(span.spanContext().traceId, performance.now());
        exports.push(
          sender.send([span]).then((r) => {
            if (r.ok) acked.push(r.ms);
            else {
              failures++;
              sentAt.delete(span.spanContext().traceId);
            }
          }),
        );
      }
      await Promise.all(exports);
      const giveUp = setTimeout(() => sentAt.clear(), 30_000);
      sending = false;
      await poller;
      clearTimeout(giveUp);
      await sender.shutdown();
      const final = await collector.stop();

      const missing = count - failures - visible.length;
      printTable(
        `freshness: ${count} single-span exports ${SPACING_MS} ms apart, all scorers (goal p99 < 2,000 ms)`,
        ['measure', 'p50 ms', 'p99 ms', 'max ms'],
        [
          [
            'export acknowledged (200)',
            round(median(acked)),
            round(quantile(acked, 0.99)),
            round(Math.max(...acked)),
          ],
          [
            'row queryable in llm_spans',
            round(median(visible)),
            round(quantile(visible, 0.99)),
            round(Math.max(...visible)),
          ],
        ],
      );
      note(
        `poll every ${POLL_MS} ms; ${failures} failed exports, ${missing} spans not visible after 30 s; collector peak RSS ${final.peakRssMb} MB`,
      );
      note('REFERENCE.md: other tools take 15 s (Langfuse queue delay) to minutes');
      return {
        spans: count,
        ack_p50_ms: round(median(acked)),
        ack_p99_ms: round(quantile(acked, 0.99)),
        visible_p50_ms: round(median(visible)),
        visible_p99_ms: round(quantile(visible, 0.99)),
        visible_max_ms: round(Math.max(...visible)),
        failed_exports: failures,
        not_visible: missing,
      };
    } finally {
      await collector.stop();
    }
  },
};
