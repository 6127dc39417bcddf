/**
 * The collector image's Dockerfile, checked without a Docker daemon: every
 * path it copies from the build context exists (and is not dockerignored), the
 * runtime is the official Node 24 slim image as a non-root user with a health
 * check and a data volume, and its command is the published collector's bin.
 * And docker-compose.yml against it: the stages it builds exist, the variables
 * it sets are ones the collector reads, its health checks and demo app find
 * what they need in the image.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { publishedWorkspaces } from '../../scripts/build-packages.ts';
import { ROOT } from './packed-install.ts';

const dockerfile = DockerfileParser.parse(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const stages = dockerfile.getFROMs();
const runtime = stages.at(-1);
/** Instructions of the final stage. */
const final: Instruction[] = dockerfile
  .getInstructions()
  .filter((i) => runtime && i.getRange().start.line >= runtime.getRange().start.line);
const keyword = (k: string) => final.filter((i) => i.getKeyword() === k);
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());

describe('Dockerfile', () => {
  it('is multi-stage on the official Node 24 slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const from of stages)
      expect(`${from.getImageName()}:${from.getImageTag()}`).toMatch(/^node:24(\.\d+)*-slim$/);
  });

  it('copies only paths that exist in the build context and are not dockerignored', () => {
    const copies = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD');
    expect(copies.length).toBeGreaterThan(0);
    const stageNames = new Set(stages.map((s) => s.getBuildStage()).filter(Boolean));
    for (const copy of copies) {
      const from = (copy as Copy).getFromFlag?.()?.getValue();
      const sources = args(copy).slice(0, -1);
      expect(sources.length, copy.getTextContent()).toBeGreaterThan(0);
      if (from) {
        // From an earlier stage: that stage must exist.
        expect(stageNames.has(from), copy.getTextContent()).toBe(true);
        continue;
      }
      for (const source of sources) {
        expect(existsSync(path.join(ROOT, source)), `${source} (${copy.getTextContent()})`).toBe(true);
        const top = path.normalize(source).split(path.sep)[0];
        expect(ignored, `${source} is dockerignored`).not.toContain(top);
      }
    }
    // What the build stage needs from the context is in it.
    for (const needed of ['package.json', 'package-lock.json', 'scripts', 'tsconfig.json'])
      expect(ignored).not.toContain(needed);
    for (const w of publishedWorkspaces(ROOT)) expect(ignored).not.toContain(path.relative(ROOT, w.dir));
  });

  it('runs the built collector CLI as a non-root user, with health check, port and volume', () => {
    // Exec form (a JSON array): no shell between the container's signals and the collector.
    const cmd = dockerfile.getCMDs().at(-1);
    expect(cmd?.getJSONStrings().map((a) => a.getJSONValue())).toEqual(['oversight', 'start']);
    // `oversight` is the installed collector's bin, which is its built CLI with a shebang.
    const collector = publishedWorkspaces(ROOT).find((w) => w.name === '@oversight/collector');
    const bin = (collector?.manifest.bin as Record<string, string> | undefined)?.oversight;
    expect(bin).toBe('./dist/cli.js');
    expect(
      readFileSync(path.join(ROOT, 'collector/src/cli.ts'), 'utf8').startsWith('#!/usr/bin/env node\n'),
    ).toBe(true);
    const env = keyword('ENV')
      .map((i) => i.getArgumentsContent() ?? '')
      .join(' ');
    expect(env).toMatch(/PATH=\/app\/node_modules\/\.bin:/);

    const user = keyword('USER').at(-1);
    expect(user && args(user)[0]).not.toMatch(/^(root|0)$/);
    expect(keyword('HEALTHCHECK').at(-1)?.getArgumentsContent()).toMatch(/\/healthz/);
    expect(keyword('EXPOSE').flatMap(args)).toContain('4318');
    expect(keyword('VOLUME').flatMap(args)).toContain('/data');
    expect(env).toMatch(/OVERSIGHT_DATA_DIR=\/data\//);
    expect(env).toMatch(/OVERSIGHT_WAL_DIR=\/data\//);
    expect(env).toMatch(/OVERSIGHT_HOST=0\.0\.0\.0/);
  });
});

interface ComposeService {
  image?: string;
  build?: string | { context: string; target?: string };
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown>;
}
const compose = parseYaml(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = Object.entries(compose.services);
const built = services.filter(([, s]) => s.build !== undefined);

/** The instructions of a named stage (the last stage when unnamed). */
function stageInstructions(name: string | undefined): Instruction[] {
  const index = name === undefined ? stages.length - 1 : stages.findIndex((s) => s.getBuildStage() === name);
  const from = stages[index];
  const next = stages[index + 1];
  if (!from) return [];
  return dockerfile
    .getInstructions()
    .filter(
      (i) =>
        i.getRange().start.line >= from.getRange().start.line &&
        (!next || i.getRange().start.line < next.getRange().start.line),
    );
}

/** Every variable the collector CLI reads (`.env('NAME')` on its options). */
const collectorEnv = new Set(
  [
    ...readFileSync(path.join(ROOT, 'collector/src/cli.ts'), 'utf8').matchAll(/\.env\(\s*'([A-Z0-9_]+)'/g),
  ].map((m) => m[1]),
);

/** `${NAME:-default}` → default; anything else as is. */
const composeDefault = (value: string) => value.replace(/^\$\{[A-Z0-9_]+:-(.*)\}$/, '$1');

describe('docker-compose.yml against the Dockerfile', () => {
  it('builds this Dockerfile, and only stages it has', () => {
    expect(built.map(([name]) => name).sort()).toEqual(['collector', 'demo']);
    for (const [name, service] of built) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      expect(build?.context, name).toBe('.');
      const target = build?.target;
      if (target !== undefined)
        expect(stageInstructions(target).length, `${name}: stage ${target}`).toBeGreaterThan(0);
    }
    // The collector is the default target (the last stage), so `docker build .` and compose agree.
    const collector = compose.services.collector?.build;
    expect(typeof collector === 'string' ? undefined : collector?.target).toBeUndefined();
    expect(runtime?.getBuildStage()).toBe('runtime');
  });

  it('sets only variables the collector reads, with its data on the image volume', () => {
    const env = compose.services.collector?.environment ?? {};
    expect(Object.keys(env).filter((k) => !collectorEnv.has(k))).toEqual([]);
    expect(env.OVERSIGHT_WAL_DIR).toMatch(/^\/data\//);
    expect(compose.services.collector?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    // The demo's key is one the collector accepts by default.
    const keys = composeDefault(env.OVERSIGHT_API_KEYS ?? '')
      .split(',')
      .map((pair) => pair.split('=')[0]);
    expect(keys).toContain(compose.services.demo?.environment?.OVERSIGHT_API_KEY);
    expect(compose.services.demo?.environment?.OVERSIGHT_ENDPOINT).toBe(
      `http://collector:${env.OVERSIGHT_PORT ?? '4318'}`,
    );
  });

  it('health-checks the collector with node (on the image) on a route it serves', () => {
    const test = compose.services.collector?.healthcheck?.test ?? [];
    expect(test.slice(0, 2)).toEqual(['CMD', 'node']);
    const [, route] = /127\.0\.0\.1:4318(\/\w+)/.exec(test.join(' ')) ?? [];
    expect(['/healthz', '/readyz']).toContain(route);
    expect(readFileSync(path.join(ROOT, 'collector/src/receive/app.ts'), 'utf8')).toContain(
      `app.get('${route}'`,
    );
  });

  it('runs the demo app from files the demo stage copies in, with the SDK from the tarballs', () => {
    const demo = stageInstructions('demo');
    const workdir = demo
      .filter((i) => i.getKeyword() === 'WORKDIR')
      .flatMap(args)
      .at(-1);
    const cmd = demo.filter((i) => i.getKeyword() === 'CMD').at(-1) as {
      getJSONStrings?: () => { getJSONValue(): string }[];
    };
    const [bin, entry] = cmd?.getJSONStrings?.().map((a) => a.getJSONValue()) ?? [];
    expect(bin).toBe('node');
    expect(workdir).toBe('/app');
    // Each context COPY lands at the same relative path under WORKDIR; the entry is one of them.
    const copied = demo
      .filter((i) => i.getKeyword() === 'COPY' && !(i as Copy).getFromFlag?.())
      .map((i) => args(i))
      .filter(([from, to]) => from === to)
      .map(([from]) => from as string);
    expect(
      copied.some((dir) => entry?.startsWith(`${dir}/`)),
      `${entry} copied by ${copied}`,
    ).toBe(true);
    expect(existsSync(path.join(ROOT, entry as string))).toBe(true);
    // Compose may spell the command out; it must run the same file.
    const composed = (compose.services.demo as { entrypoint?: string[] } | undefined)?.entrypoint;
    if (composed) expect(composed.slice(0, 2)).toEqual([bin, entry]);
    // Every workspace the demo imports is installed in that stage (as a tarball or a copied folder).
    const demoManifest = JSON.parse(
      readFileSync(path.join(ROOT, 'examples/rag-support-bot/package.json'), 'utf8'),
    ) as {
      dependencies: Record<string, string>;
    };
    const install = demo
      .filter((i) => i.getKeyword() === 'RUN')
      .map((i) => i.getArgumentsContent() ?? '')
      .join(' ');
    for (const dep of Object.keys(demoManifest.dependencies)) {
      const short = dep.replace(/^@oversight\//, '');
      expect(
        install.includes(`oversight-${short}-`) ||
          install.includes(`./examples/${short}`) ||
          install.includes(`${dep}@`),
        `${dep} installed in the demo stage`,
      ).toBe(true);
    }
    // The SDK's own workspace dependencies come along as tarballs (they are not on a registry).
    const sdk = publishedWorkspaces(ROOT).find((w) => w.name === '@oversight/sdk');
    for (const dep of Object.keys(sdk?.manifest.dependencies ?? {}).filter((d) =>
      d.startsWith('@oversight/'),
    ))
      expect(install).toContain(`oversight-${dep.replace('@oversight/', '')}-`);
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, service] of services)
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source?.startsWith('./'))
          expect(existsSync(path.join(ROOT, source)), `${name}: ${source}`).toBe(true);
      }
  });
});
