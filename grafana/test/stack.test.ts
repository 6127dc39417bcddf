// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana's ${__data.fields.x} link syntax, not a template
/**
 * The stack as files: docker-compose.yml, the ClickHouse server config and
 * users, Grafana's provisioning and the generated dashboards. Every path,
 * port, volume, user and environment variable one file names must exist in
 * the file that provides it and match the collector's real configuration.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { resolveConfig } from '../../collector/src/config.ts';
import { BACKLOG_EXPR } from '../src/alerts.ts';
import { DATASOURCE_UID, PLUGIN_ID, PLUGIN_VERSION, PROMETHEUS_UID } from '../src/clickhouse.ts';
import { DASHBOARDS, driftedFiles, GRAFANA_DIR } from '../src/generate.ts';

const ROOT = resolve(GRAFANA_DIR, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const Healthcheck = z.object({ test: z.array(z.string()).min(2) });
const Service = z.object({
  image: z.string().optional(),
  // `build: .` or `build: { context: ., target: <stage> }` (the demo is a stage of the same Dockerfile).
  build: z.union([z.string(), z.object({ context: z.string(), target: z.string().optional() })]).optional(),
  entrypoint: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).default({}),
  volumes: z.array(z.string()).default([]),
  ports: z.array(z.string()).default([]),
  depends_on: z
    .record(z.string(), z.object({ condition: z.enum(['service_healthy', 'service_started']) }))
    .default({}),
  healthcheck: Healthcheck.optional(),
});
const Compose = z.object({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.null()),
});

const compose = Compose.parse(parse(read('docker-compose.yml')));
const service = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** `${NAME:-default}` → the default, as compose would substitute with NAME unset. */
const substitute = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

function mounts(name: string) {
  return service(name).volumes.map((spec) => {
    const [source, target, mode] = spec.split(':') as [string, string, string | undefined];
    return { source, target, mode, bind: source.startsWith('.') };
  });
}

/** Each `OVERSIGHT_*` / `CLICKHOUSE_*` variable the CLI reads, with the config key it sets. */
function cliVariables(): Map<string, string> {
  // cli.ts declares its options as `new Option('--data-dir <dir>', …).env('OVERSIGHT_DATA_DIR')`:
  // each piece between two `new Option(` holds one flag and at most one variable.
  const cli = read('collector/src/cli.ts');
  const found = new Map<string, string>();
  for (const piece of cli.split('new Option(').slice(1)) {
    const flag = /^\s*'--([a-z-]+)/.exec(piece)?.[1];
    const env = /\.env\(\s*'([A-Z0-9_]+)'/.exec(piece)?.[1];
    if (flag && env)
      found.set(
        env,
        flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()),
      );
  }
  if (found.size === 0) throw new Error('no options with env variables found in collector/src/cli.ts');
  return found;
}

describe('docker-compose.yml', () => {
  it('pins every image and builds the collector and demo from this repo', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build !== undefined) {
        expect(typeof s.build === 'string' ? s.build : s.build.context, name).toBe('.');
        continue;
      }
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+(\.\d+)+[\w.-]*$/);
    }
    expect(service('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:/);
    expect(service('grafana').environment.GF_PLUGINS_PREINSTALL_SYNC).toBe(`${PLUGIN_ID}@${PLUGIN_VERSION}`);
  });

  it('mounts files that exist and volumes it declares', () => {
    const used = new Set<string>();
    for (const name of Object.keys(compose.services)) {
      for (const m of mounts(name)) {
        if (m.bind) expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
        else used.add(m.source);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('waits only on services that report health', () => {
    for (const [name, s] of Object.entries(compose.services))
      for (const [dep, { condition }] of Object.entries(s.depends_on)) {
        if (condition === 'service_healthy')
          expect(service(dep).healthcheck, `${name} → ${dep}`).toBeDefined();
      }
  });

  it('gives the collector settings its CLI reads, which its config accepts', () => {
    const env = service('collector').environment;
    const variables = cliVariables();
    const input: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) {
      const key = variables.get(name);
      expect(key, `collector/src/cli.ts reads no ${name}`).toBeDefined();
      input[key as string] = substitute(value);
    }
    const config = resolveConfig(input);
    // Published on the port it listens on, on every interface of the container.
    expect(config.host).toBe('0.0.0.0');
    expect(service('collector').ports).toContain(`${config.port}:${config.port}`);
    // The server backend, at the clickhouse service's HTTP port.
    const url = new URL(config.clickhouseUrl ?? '');
    expect(Object.keys(compose.services)).toContain(url.hostname);
    expect(service(url.hostname).ports.some((p) => p.endsWith(`:${url.port}`))).toBe(true);
    // The write-ahead log on a named volume.
    const data = mounts('collector').find((m) => !m.bind && (config.walDir ?? '').startsWith(`${m.target}/`));
    expect(data, `WAL dir ${config.walDir} is not on a named volume`).toBeDefined();
    // The demo sends with a key the collector accepts.
    const keys = config.apiKeys.split(',').map((pair) => pair.split('=')[0]);
    expect(keys).toContain(service('demo').environment.OVERSIGHT_API_KEY);
    expect(service('demo').environment.OVERSIGHT_ENDPOINT).toBe(`http://collector:${config.port}`);
  });

  it("runs the demo's real entry point with the variables it reads", () => {
    const [, file] = service('demo').entrypoint ?? [];
    expect(existsSync(join(ROOT, file ?? ''))).toBe(true);
    const demo = read('examples/rag-support-bot/src/run-demo.ts');
    for (const name of Object.keys(service('demo').environment))
      expect(demo).toContain(`process.env.${name}`);
  });
});

describe('ClickHouse server configuration', () => {
  const users = read('deploy/clickhouse/users.d/oversight.xml');
  const config = read('deploy/clickhouse/config.d/small-box.xml');
  const userBlock = (name: string) =>
    new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(users.split('<users>')[1] ?? '')?.[1] ?? '';

  it('gives the collector and Grafana their own users, with passwords compose sets', () => {
    const clickhouseEnv = service('clickhouse').environment;
    const collector = service('collector').environment;
    const collectorUser = userBlock(collector.CLICKHOUSE_USER as string);
    const collectorPasswordVar = /from_env="(\w+)"/.exec(collectorUser)?.[1] as string;
    expect(clickhouseEnv[collectorPasswordVar]).toBe(collector.CLICKHOUSE_PASSWORD);
    expect(collectorUser).toContain('GRANT INSERT, SELECT ON oversight.*');
    expect(collectorUser).not.toMatch(/GRANT ALL|TRUNCATE|DROP DATABASE/);
    // Drops only where a statement needs one: views a migration replaces, the export's work tables.
    const drops = [...collectorUser.matchAll(/GRANT ([^<]*DROP[^<]*) ON ([^<]+)</g)].map((m) => [
      m[1]?.split(', ').filter((p) => p.startsWith('DROP')),
      m[2],
    ]);
    expect(drops).toEqual([
      ...['kb_gaps', 'topic_map', 'feedback_agreement', 'answer_votes', 'feedback_hourly_mv'].map((view) => [
        ['DROP VIEW'],
        `oversight.${view}`,
      ]),
      [['DROP TABLE'], 'oversight.export_dpo_*'],
    ]);
    // Mutations only where the trace stage needs them: quality columns and superseded scores.
    const mutations = [
      ...collectorUser.matchAll(/GRANT ([^<]*ALTER (?:UPDATE|DELETE)[^<]*) ON ([^<]+)</g),
    ].map((m) => `${m[1]} ON ${m[2]}`);
    expect(mutations).toEqual([
      'ALTER UPDATE, ALTER DELETE ON oversight.llm_spans',
      'ALTER DELETE ON oversight.evaluations',
    ]);

    const grafana = userBlock('grafana');
    expect(grafana).toContain('<profile>oversight_reader</profile>');
    expect(grafana).toMatch(/<grants>\s*<query>GRANT SELECT ON oversight\.\*<\/query>\s*<\/grants>/);
    expect(users).toMatch(/<oversight_reader>\s*<readonly>1<\/readonly>/);
    expect(users).toMatch(
      /<max_execution_time>\s*<min>1<\/min>\s*<max>300<\/max>\s*<changeable_in_readonly\/>/,
    );
    const grafanaPasswordVar = /from_env="(\w+)"/.exec(grafana)?.[1] as string;
    expect(service('grafana').environment.GRAFANA_CLICKHOUSE_PASSWORD).toBe(
      clickhouseEnv[grafanaPasswordVar],
    );
  });

  it('bounds every system log table it keeps with a TTL', () => {
    const kept = [...config.matchAll(/<(\w+_log)>([\s\S]*?)<\/\1>/g)];
    expect(kept.length).toBeGreaterThanOrEqual(5);
    for (const [, name, body] of kept)
      expect(body, name).toMatch(/<ttl>event_date \+ INTERVAL \d+ DAY DELETE<\/ttl>/);
    for (const off of ['trace_log', 'query_thread_log', 'text_log'])
      expect(config).toContain(`<${off} remove="1"/>`);
    expect(config).toMatch(/<max_server_memory_usage_to_ram_ratio>0\.\d+</);
  });
});

describe('Grafana provisioning', () => {
  const datasources = parse(read('grafana/provisioning/datasources/oversight.yaml')) as {
    datasources: {
      uid: string;
      type: string;
      url?: string;
      jsonData: Record<string, unknown>;
      secureJsonData?: Record<string, string>;
    }[];
  };
  const clickhouse = datasources.datasources.find((d) => d.uid === DATASOURCE_UID);
  const prometheus = datasources.datasources.find((d) => d.uid === PROMETHEUS_UID);

  it('points the ClickHouse data source at the clickhouse service as the read-only user', () => {
    expect(clickhouse?.type).toBe(PLUGIN_ID);
    const json = clickhouse?.jsonData ?? {};
    expect(service(json.host as string).ports.some((p) => p.endsWith(`:${json.port}`))).toBe(true);
    expect(json.username).toBe('grafana');
    expect(json.defaultDatabase).toBe(service('collector').environment.OVERSIGHT_DATABASE);
    expect(json.traces).toEqual(expect.objectContaining({ defaultTable: 'otel_traces', otelEnabled: true }));
    expect(read('collector/src/store/ddl/001_otel_traces.sql')).toContain('{{local otel_traces}}');
    const passwordVar = /^\$\{(\w+)\}$/.exec(clickhouse?.secureJsonData?.password ?? '')?.[1] as string;
    expect(service('grafana').environment[passwordVar]).toBeDefined();
  });

  it('scrapes the collector metrics the backlog alert reads', () => {
    expect(new URL(prometheus?.url ?? '').host).toBe('prometheus:9090');
    expect(service('prometheus').ports).toContain('127.0.0.1:9090:9090');
    const scrape = read('deploy/prometheus/prometheus.yml');
    expect(scrape).toContain(`collector:${service('collector').environment.OVERSIGHT_PORT}`);
    const metrics = read('collector/src/metrics.ts');
    for (const [name] of BACKLOG_EXPR.matchAll(/oversight_\w+/g)) expect(metrics).toContain(`'${name}'`);
    const reasons = [...BACKLOG_EXPR.matchAll(/reason="(\w+)"/g)].map(([, r]) => r);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons)
      expect(read('collector/src/receive/traces.ts')).toContain(`reason: '${reason}'`);
  });

  it('links each dashboard alert to the panel to open, and says what to do', () => {
    const rules = parse(read('grafana/provisioning/alerting/rules.yaml')) as {
      groups: {
        rules: {
          title: string;
          dashboardUid?: string;
          panelId?: number;
          annotations: { summary: string; description?: string };
          data: { datasourceUid: string }[];
        }[];
      }[];
    };
    const boards = readdirSync(join(GRAFANA_DIR, 'dashboards')).map(
      (f) =>
        JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', f), 'utf8')) as {
          uid: string;
          panels: { id: number; type: string; title: string }[];
        },
    );
    for (const board of boards) {
      const ids = board.panels.map((p) => p.id);
      expect(new Set(ids).size, board.uid).toBe(ids.length);
      expect(
        ids.every((id) => Number.isInteger(id) && id > 0),
        board.uid,
      ).toBe(true);
    }
    const all = rules.groups.flatMap((g) => g.rules);
    for (const rule of all) {
      expect(rule.annotations.description?.length ?? 0, rule.title).toBeGreaterThan(80);
      if (!rule.data.some((d) => d.datasourceUid === DATASOURCE_UID)) continue;
      const panel = boards
        .find((b) => b.uid === rule.dashboardUid)
        ?.panels.find((p) => p.id === rule.panelId);
      expect(panel, `${rule.title} → ${rule.dashboardUid} panel ${rule.panelId}`).toBeDefined();
      expect(panel?.type).not.toBe('row');
      expect(rule.annotations.description, rule.title).toContain(`"${panel?.title}"`);
    }
  });

  it('loads the dashboards from where compose mounts them, alerts from provisioned sources', () => {
    const provider = parse(read('grafana/provisioning/dashboards/oversight.yaml')) as {
      providers: { options: { path: string } }[];
    };
    const path = provider.providers[0]?.options.path;
    const mount = mounts('grafana').find((m) => m.target === path);
    expect(mount?.source).toBe('./grafana/dashboards');
    expect(readdirSync(join(GRAFANA_DIR, 'dashboards')).sort()).toEqual(
      Object.keys(DASHBOARDS)
        .map((n) => `${n}.json`)
        .sort(),
    );
    const home = service('grafana').environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(
      home.startsWith(`${path}/`) &&
        existsSync(join(GRAFANA_DIR, 'dashboards', home.slice((path ?? '').length + 1))),
    ).toBe(true);

    const rules = parse(read('grafana/provisioning/alerting/rules.yaml')) as {
      groups: { rules: { data: { datasourceUid: string }[] }[] }[];
    };
    const uids = new Set(
      rules.groups.flatMap((g) => g.rules.flatMap((r) => r.data.map((d) => d.datasourceUid))),
    );
    expect([...uids].sort()).toEqual(['__expr__', DATASOURCE_UID, PROMETHEUS_UID].sort());
    const contact = read('grafana/provisioning/alerting/contact-points.yaml');
    expect(service('grafana').environment).toHaveProperty(/\$\{(\w+)\}/.exec(contact)?.[1] as string);
  });
});

/** What Grafana requires of a provisioned dashboard (schemaVersion 42 and the panel shape it renders). */
const Target = z.object({
  refId: z.string().regex(/^[A-Z]$/),
  datasource: z.object({ type: z.literal(PLUGIN_ID), uid: z.literal(DATASOURCE_UID) }),
  editorType: z.literal('sql'),
  rawSql: z.string().min(10),
  format: z.union([z.literal(0), z.literal(1)]),
  queryType: z.enum(['table', 'timeseries']),
});
const GridPos = z.object({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});
const Panel = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('row'),
    title: z.string().min(1),
    gridPos: GridPos,
    collapsed: z.boolean(),
    panels: z.array(z.unknown()),
  }),
  ...(['stat', 'timeseries', 'table', 'barchart'] as const).map((type) =>
    z.object({
      type: z.literal(type),
      title: z.string().min(1),
      gridPos: GridPos,
      datasource: z.object({ type: z.literal(PLUGIN_ID), uid: z.literal(DATASOURCE_UID) }),
      targets: z.array(Target).length(1),
      fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }),
      options: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
]);
const DashboardSchema = z.object({
  uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(39),
  time: z.object({ from: z.string(), to: z.string() }),
  timezone: z.string(),
  tags: z.array(z.string()),
  panels: z.array(Panel).min(5),
  templating: z.object({
    list: z.array(
      z.object({
        type: z.literal('query'),
        name: z.string(),
        query: z.string(),
        datasource: z.object({ uid: z.literal(DATASOURCE_UID) }),
        multi: z.boolean(),
        includeAll: z.boolean(),
      }),
    ),
  }),
});

describe('generated dashboards', () => {
  it('match the TypeScript that generates them (npx node grafana/src/generate.ts)', () => {
    expect(driftedFiles()).toEqual([]);
  });

  it.each(Object.keys(DASHBOARDS))(
    '%s.json follows the dashboard schema and lays panels out without overlap',
    (name) => {
      const board = DashboardSchema.parse(
        JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', `${name}.json`), 'utf8')),
      );
      const cells = new Set<string>();
      for (const panel of board.panels) {
        const { x, y, w, h } = panel.gridPos;
        expect(x + w, panel.title).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++)
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${panel.title} overlaps at ${i},${j}`).toBe(false);
            cells.add(`${i},${j}`);
          }
      }
      const defined = new Set(board.templating.list.map((v) => v.name));
      const sql = [
        ...board.panels.flatMap((p) => ('targets' in p ? p.targets.map((t) => t.rawSql) : [])),
        ...board.templating.list.map((v) => v.query),
      ];
      for (const text of sql)
        for (const [, a, b] of text.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)/g))
          expect(defined, text).toContain(a ?? b);
    },
  );

  it('links trace ids to the trace view over otel_traces', () => {
    let links = 0;
    for (const build of Object.values(DASHBOARDS))
      for (const panel of build().build().panels ?? []) {
        const overrides = 'fieldConfig' in panel ? (panel.fieldConfig?.overrides ?? []) : [];
        for (const o of overrides) {
          const property = o.properties.find((p) => p.id === 'links');
          if (!property) continue;
          links++;
          expect(o.matcher).toEqual({ id: 'byName', options: 'trace_id' });
          const [link] = property.value as { url: string }[];
          const url = (link?.url ?? '').replace(
            '${__data.fields.trace_id}',
            '4bf92f3577b34da6a3ce929d0e0e4736',
          );
          const left = JSON.parse(url.slice('/explore?left='.length));
          expect(left.datasource).toBe(DATASOURCE_UID);
          expect(left.queries[0].builderOptions).toMatchObject({
            table: 'otel_traces',
            meta: { isTraceIdMode: true, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' },
          });
        }
      }
    expect(links).toBeGreaterThanOrEqual(4);
  });

  it('colours a stat only by thresholds it sets, and the hallucination stat where its alert fires', () => {
    // Unset, Grafana's default thresholds (green, red from 80) paint every count above 80 red
    // and no rate (0–1) ever red.
    const stats = Object.values(DASHBOARDS).flatMap((build) =>
      (build().build().panels ?? []).filter((p) => 'type' in p && p.type === 'stat'),
    ) as {
      title: string;
      options: { colorMode: string };
      fieldConfig: { defaults: { unit?: string; thresholds?: { steps: { value: number | null }[] } } };
    }[];
    expect(stats.length).toBeGreaterThan(10);
    for (const stat of stats) {
      const steps = stat.fieldConfig.defaults.thresholds?.steps;
      if (stat.options.colorMode === 'none') continue;
      expect(stat.fieldConfig.defaults.unit, stat.title).toBe('percentunit');
      expect(steps?.[0]?.value, stat.title).toBeNull();
      const bounds = (steps ?? []).slice(1).map((s) => Number(s.value));
      expect(bounds.length, stat.title).toBeGreaterThan(0);
      expect(
        bounds.every((b, i) => b > 0 && b < 1 && (i === 0 || b > (bounds[i - 1] as number))),
        stat.title,
      ).toBe(true);
    }
    const rate = stats.find((s) => s.title === 'Hallucination rate');
    const rules = parse(read('grafana/provisioning/alerting/rules.yaml')) as {
      groups: { rules: { uid: string; data: { refId: string; model: { conditions?: unknown } }[] }[] }[];
    };
    const condition = rules.groups[0]?.rules
      .find((r) => r.uid === 'oversight-hallucination-rate')
      ?.data.find((d) => d.refId === 'C')?.model.conditions as { evaluator: { params: number[] } }[];
    expect(rate?.fieldConfig.defaults.thresholds?.steps.at(-1)?.value).toBe(
      condition[0]?.evaluator.params[0],
    );
  });

  it('gives every dashboard its own uid and title', () => {
    const boards = Object.values(DASHBOARDS).map((build) => build().build());
    expect(new Set(boards.map((b) => b.uid)).size).toBe(boards.length);
    expect(new Set(boards.map((b) => b.title)).size).toBe(boards.length);
  });
});
