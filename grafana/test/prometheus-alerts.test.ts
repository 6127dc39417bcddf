/**
 * The Prometheus alert rules as provisioned (rules.yaml: query A, compared with
 * C's threshold), evaluated by Prometheus's own rule tester (`promtool test
 * rules`) over scraped series that play out an outage. Debian's `prometheus`
 * package ships promtool; without it these tests skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { COLLECTOR_JOB } from '../src/alerts.ts';
import { GRAFANA_DIR } from '../src/generate.ts';

interface Rule {
  uid: string;
  noDataState: string;
  data: {
    refId: string;
    model: { expr?: string; conditions?: { evaluator: { type: string; params: number[] } }[] };
  }[];
}
const RULES = (
  parse(readFileSync(join(GRAFANA_DIR, 'provisioning/alerting/rules.yaml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);

/** A rule's condition as one PromQL expression: query A, then C's threshold on its last value. */
function promql(uid: string): string {
  const rule = RULES.find((r) => r.uid === uid);
  const expr = rule?.data.find((d) => d.refId === 'A')?.model.expr;
  const evaluator = rule?.data.find((d) => d.refId === 'C')?.model.conditions?.[0]?.evaluator;
  if (!expr || !evaluator) throw new Error(`no Prometheus rule ${uid}`);
  return `(${expr}) ${{ gt: '>', lt: '<' }[evaluator.type]} ${evaluator.params[0]}`;
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

// As deploy/prometheus/prometheus.yml scrapes the collector.
const LABELS = `job="${COLLECTOR_JOB}", instance="collector:4318"`;
const FIRING_LABELS = { job: COLLECTOR_JOB, instance: 'collector:4318' };

interface Scenario {
  rule: string;
  /** Target labels beyond job and instance (Kubernetes' namespace, a relabelled env). */
  extraLabels?: Record<string, string>;
  /** Series name (with any extra labels) → samples, one a minute, in promtool's `a+bxN` notation. */
  series: Record<string, string>;
  /** Minute → whether the rule's condition holds then. */
  expect: Record<number, boolean>;
}

function promtool(s: Scenario): { ok: boolean; output: string } {
  const extra = Object.entries(s.extraLabels ?? {}).map(([k, v]) => `, ${k}="${v}"`);
  const labels = `${LABELS}${extra.join('')}`;
  const withLabels = (name: string) =>
    name.includes('{') ? name.replace('{', `{${labels}, `) : `${name}{${labels}}`;
  const alerts = [{ exp_labels: { ...FIRING_LABELS, ...s.extraLabels } }];
  const dir = mkdtempSync(join(tmpdir(), 'oversight-promtool-'));
  try {
    writeFileSync(
      join(dir, 'rules.yaml'),
      stringify({ groups: [{ name: 'oversight', rules: [{ alert: 'Backlog', expr: promql(s.rule) }] }] }),
    );
    const series = Object.entries(s.series).map(([name, values]) => ({ series: withLabels(name), values }));
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
              exp_alerts: firing ? alerts : [],
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

const BACKLOG = 'oversight-collector-backlog';

describe.skipIf(!hasPromtool)('collector backlog alert (promtool)', () => {
  it('stays quiet while a busy collector keeps up', () => {
    // 150 requests always in flight, the log's size steady, nothing refused.
    const run = promtool({
      rule: BACKLOG,
      series: { oversight_queue_depth: '150x60', oversight_wal_bytes: '50000000x60' },
      expect: { 30: false, 60: false },
    });
    expect(run.ok, run.output).toBe(true);
  });

  it('fires while the log grows with ClickHouse away, and stops once it drains', () => {
    // 30 minutes of growth, then ClickHouse is back and the log drains in 10.
    const run = promtool({
      rule: BACKLOG,
      series: {
        oversight_queue_depth: '0+20x30 600-60x10 0x20',
        oversight_wal_bytes: '0+2000000x30 60000000-6000000x10 0x20',
      },
      expect: { 20: true, 30: true, 60: false },
    });
    expect(run.ok, run.output).toBe(true);
  });

  it('keeps firing once the log is full and refuses spans, though it no longer grows', () => {
    // Full after 20 minutes: the size stays at the cap and every append is refused (503).
    const run = promtool({
      rule: BACKLOG,
      series: {
        oversight_queue_depth: '0+30x20 600x60',
        oversight_wal_bytes: '0+50000000x20 1000000000x60',
        'oversight_spans_rejected_total{reason="log_full"}': '_x20 0+40x60',
      },
      expect: { 15: true, 50: true, 80: true },
    });
    expect(run.ok, run.output).toBe(true);
  });

  it('keeps firing for a full log when the target carries more labels than job and instance', () => {
    // Scraped through Kubernetes service discovery: namespace and pod come along.
    const run = promtool({
      rule: BACKLOG,
      extraLabels: { namespace: 'observability', pod: 'collector-0' },
      series: {
        oversight_queue_depth: '0+30x20 600x60',
        oversight_wal_bytes: '0+50000000x20 1000000000x60',
        'oversight_spans_rejected_total{reason="log_full"}': '_x20 0+40x60',
      },
      expect: { 15: true, 50: true, 80: true },
    });
    expect(run.ok, run.output).toBe(true);
  });
});

describe.skipIf(!hasPromtool)('dead-letter alert (promtool)', () => {
  it('fires for a quarter of an hour after a request is set aside, and not before', () => {
    // One request set aside at minute 10; a restart at minute 40 starts the counter again at 0.
    const run = promtool({
      rule: 'oversight-collector-dead-letters',
      series: { oversight_dead_lettered_total: '0x10 1x30 0x20' },
      expect: { 5: false, 12: true, 24: true, 35: false, 50: false },
    });
    expect(run.ok, run.output).toBe(true);
  });
});

describe.skipIf(!hasPromtool)('trace stage alert (promtool)', () => {
  it('fires while traces are dropped unscored, not for the ones scored', () => {
    // 500 traces dropped at minute 10; scoring goes on (scored rises) without another drop.
    const run = promtool({
      rule: 'oversight-trace-stage-dropped',
      series: {
        'oversight_trace_scored_total{kind="dropped"}': '0x10 500x50',
        'oversight_trace_scored_total{kind="traces"}': '0+300x60',
      },
      expect: { 5: false, 12: true, 24: true, 35: false },
    });
    expect(run.ok, run.output).toBe(true);
  });
});

describe.skipIf(!hasPromtool)('trace stage saturation alert (promtool)', () => {
  it('holds while the stage works over 90 % of the time, and not at 80 %', () => {
    // Busy 57 s a minute (95 %) for 40 minutes, then 30 s a minute; a restart at minute 71 resets
    // the counter. The rate is over 15 minutes: a quarter of an hour of data before it can hold.
    const run = promtool({
      rule: 'oversight-trace-stage-saturated',
      series: { oversight_trace_busy_seconds_total: '0+57x40 2310+30x29 0+57x30' },
      expect: { 5: false, 20: true, 38: true, 45: false, 60: false, 95: true },
    });
    expect(run.ok, run.output).toBe(true);
    const steady = promtool({
      rule: 'oversight-trace-stage-saturated',
      series: { oversight_trace_busy_seconds_total: '0+48x60' },
      expect: { 10: false, 30: false, 55: false },
    });
    expect(steady.ok, steady.output).toBe(true);
  });
});

describe('collector down alert', () => {
  it('fires when no rows come back: Prometheus no longer scrapes the collector', () => {
    expect(RULES.find((r) => r.uid === 'oversight-collector-down')?.noDataState).toBe('Alerting');
    const scrape = readFileSync(join(GRAFANA_DIR, '../deploy/prometheus/prometheus.yml'), 'utf8');
    expect(scrape).toContain(`job_name: ${COLLECTOR_JOB}`);
  });

  it.skipIf(!hasPromtool)('fires once a scrape fails, and only then', () => {
    const run = promtool({
      rule: 'oversight-collector-down',
      series: { up: '1x10 0x10 1x10' },
      expect: { 5: false, 15: true, 25: false },
    });
    expect(run.ok, run.output).toBe(true);
  });
});
