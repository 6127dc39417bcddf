/**
 * The collector image's Dockerfile, checked without a Docker daemon: every
 * path it copies from the build context exists (and is not dockerignored), the
 * runtime is the official Node 24 slim image as a non-root user with a health
 * check and a data volume, and its command is the published collector's bin.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
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
    const bin = (collector?.manifest.publishConfig?.bin as Record<string, string> | undefined)?.oversight;
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
