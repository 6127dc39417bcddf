/**
 * The collector-backlog alert's PromQL, evaluated by Prometheus's own rule
 * tester (`promtool test rules`) over scraped series that play out an outage:
 * Debian's `prometheus` package ships promtool; without it these tests skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BACKLOG_EXPR } from '../src/alerts.ts';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

// As deploy/prometheus/prometheus.yml scrapes the collector.
const TARGET = '{job="oversight-collector", instance="collector:4318"}';
const FIRING = [{ exp_labels: { job: 'oversight-collector', instance: 'collector:4318' } }];

interface Scenario {
  queueDepth: string;
  walBytes: string;
  logFullRejections?: string;
  /** Minute → whether the alert's expression holds then. */
  expect: Record<number, boolean>;
}

/** Runs promtool over one scenario (series in promtool's `a+bxN` notation, one sample a minute). */
function promtool(s: Scenario): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oversight-promtool-'));
  try {
    writeFileSync(
      join(dir, 'rules.yaml'),
      stringify({ groups: [{ name: 'oversight', rules: [{ alert: 'Backlog', expr: BACKLOG_EXPR }] }] }),
    );
    const series = [
      { series: `oversight_queue_depth${TARGET}`, values: s.queueDepth },
      { series: `oversight_wal_bytes${TARGET}`, values: s.walBytes },
    ];
    if (s.logFullRejections)
      series.push({
        series: `oversight_spans_rejected_total${TARGET.replace('{', '{reason="log_full", ')}`,
        values: s.logFullRejections,
      });
    writeFileSync(
      join(dir, 'test.yaml'),
      stringify({
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: series,
            alert_rule_test: Object.entries(s.expect).map(([minute, firing]) => ({
              eval_time: `${minute}m`,
              alertname: 'Backlog',
              exp_alerts: firing ? FIRING : [],
            })),
          },
        ],
      }),
    );
    try {
      return {
        ok: true,
        output: execFileSync('promtool', ['test', 'rules', join(dir, 'test.yaml')]).toString(),
      };
    } catch (error) {
      const e = error as { stdout?: Buffer; stderr?: Buffer };
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasPromtool)('collector backlog alert (promtool)', () => {
  it('stays quiet while a busy collector keeps up', () => {
    // 150 requests always in flight, the log's size steady, nothing refused.
    const run = promtool({
      queueDepth: '150x60',
      walBytes: '50000000x60',
      expect: { 30: false, 60: false },
    });
    expect(run.ok, run.output).toBe(true);
  });

  it('fires while the log grows with ClickHouse away, and stops once it drains', () => {
    const run = promtool({
      // 30 minutes of growth, then ClickHouse is back and the log drains in 10.
      queueDepth: '0+20x30 600-60x10 0x20',
      walBytes: '0+2000000x30 60000000-6000000x10 0x20',
      expect: { 20: true, 30: true, 60: false },
    });
    expect(run.ok, run.output).toBe(true);
  });

  it('keeps firing once the log is full and refuses spans, though it no longer grows', () => {
    // Full after 20 minutes: the size stays at the cap and every append is refused (503).
    const run = promtool({
      queueDepth: '0+30x20 600x60',
      walBytes: '0+50000000x20 1000000000x60',
      logFullRejections: '_x20 0+40x60',
      expect: { 15: true, 50: true, 80: true },
    });
    expect(run.ok, run.output).toBe(true);
  });
});
