import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUESTIONS } from '../src/index.ts';

/**
 * `npm start -- --once` end to end, as a new user runs it, on a fresh data
 * directory: collector, mock LLM, the support bot's conversations, then the
 * report read back from ClickHouse, then exit.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let dir: string;
let output = '';
let exitCode: number | null = null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oversight-start-'));
  const child = spawn('npm', ['start', '--', '--once', '--port', '0', '--data-dir', path.join(dir, 'data')], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', OPENAI_API_KEY: '', OVERSIGHT_ENDPOINT: '', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
}, 240_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The report's block that starts with `heading` and runs to the next blank line. */
function block(heading: string): string {
  const report = output.slice(output.indexOf('== Oversight report'));
  const start = report.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" in the report:\n${output}`);
  const end = report.indexOf('\n\n', start);
  return report.slice(start, end < 0 ? undefined : end);
}

describe('npm start -- --once', () => {
  it('runs the demo, prints the report and exits 0', () => {
    expect(output).toContain('== Oversight report (read back from ClickHouse) ==');
    expect(exitCode, output).toBe(0);
    const traces = Number(/traces\s+(\d+)/.exec(block('traces'))?.[1]);
    // 30 conversations of one to three turns, plus the knowledge base's indexing trace.
    expect(traces).toBeGreaterThanOrEqual(31);
    expect(block('latency')).toMatch(/trace p50 \d+ ms, p95 \d+ ms/);
    expect(block('tokens and cost')).toMatch(/[\d,]+ in, [\d,]+ out, \$0\.\d{6}/);
    expect(output).toContain('npx oversight sql --data-dir');
    expect(output).toContain('docker compose up');
  });

  it('flags the PII and blocks the injection and the jailbreak', () => {
    const safety = block('safety flags');
    expect(safety).toMatch(/PII\s+\d+\s+.*\d+ redacted/);
    expect(safety).toMatch(/prompt injection\s+\d+\s+.*[1-9]\d* blocked/);
    expect(safety).toMatch(/jailbreak\s+\d+\s+.*[1-9]\d* blocked/);
  });

  it('reports the thumbs-up rate and the corrected answers', () => {
    const feedback = /thumbs up ([\d.]+) % \((\d+) of (\d+)\); (\d+) answers? corrected/.exec(
      block('feedback'),
    );
    expect(feedback, block('feedback')).not.toBeNull();
    expect(Number(feedback?.[3])).toBeGreaterThan(0);
    expect(Number(feedback?.[4])).toBeGreaterThan(0);
  });

  it('finds hallucinations and names the worst answer with its unsupported sentence', () => {
    const rate = /hallucination\s+([\d.]+) %/.exec(block('hallucination'));
    expect(rate, block('hallucination')).not.toBeNull();
    expect(Number(rate?.[1])).toBeGreaterThan(0);
    const worst = block('hallucination');
    expect(worst).toMatch(/worst answer\s+\(groundedness \d\.\d\d, trace [0-9a-f]{32}\)/);
    expect(/asked\s+(.+)/.exec(worst)?.[1]?.trim()).toBeTruthy();
    expect(/unsupported\s+(.+)/.exec(worst)?.[1]?.trim()).toBeTruthy();
  });

  // Needs the collector's topics and kb-gap stage (the topics issue).
  it('names an out-of-knowledge-base question under a gap topic', () => {
    const gaps = block('knowledge-base gaps');
    const outside = QUESTIONS.filter((q) => q.kind === 'unanswerable').map((q) => q.text);
    expect(
      outside.some((text) => gaps.includes(`"${text}"`)),
      gaps,
    ).toBe(true);
  });
});

describe('npm start with a bad option', () => {
  it.each([
    ['--data', '/tmp/x', "start: Unknown option '--data'"],
    ['--port', 'eighty', 'start: --port must be a whole number, got "eighty"'],
  ])('%s %s: one line and the usage, exit 2, nothing started', async (flag, value, line) => {
    const child = spawn(process.execPath, ['scripts/start.ts', flag, value], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(line);
    expect(stderr).toContain('--data-dir <dir>');
    expect(stderr).not.toContain('    at ');
  });
});
