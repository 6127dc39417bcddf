import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';

/**
 * The whole loop through real parts: spans over OTLP, implicit and explicit
 * feedback over /v1/feedback (validated with the SDK's schema), then the
 * `oversight export-preferences` and `eval --task feedback-agreement`
 * commands in a child process on the same data directory once the collector
 * has let go of it.
 */
const run = promisify(execFile);
const NODE = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
// The child runs the repo's sources: @oversight/* resolve to src/ under this condition (exports default to dist).
const SOURCE = '--conditions=oversight:source';
const CLI = resolve(import.meta.dirname, '../../src/cli.ts');

let collector: Awaited<ReturnType<typeof startTestCollector>>;
let dataDir: string;
const trace = (n: number) => n.toString(16).padStart(32, '0');
const span = (n: number) => n.toString(16).padStart(16, '0');

const chat = (n: number, question: string, answer: string) => {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId: trace(n),
    spanId: span(n),
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
      {
        key: 'gen_ai.input.messages',
        value: {
          stringValue: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }]),
        },
      },
      {
        key: 'gen_ai.output.messages',
        value: {
          stringValue: JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        },
      },
    ],
  };
};

const post = (path: string, body: unknown) =>
  fetch(`${collector.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  collector = await startTestCollector({ evaluators: 'none' });
  dataDir = resolve(collector.dir, 'data');
  const spans = [
    chat(1, 'How do I reset my password?', 'Open Settings, then Security.'),
    chat(2, 'how do I reset my password', 'No idea.'),
    chat(3, 'Refund window?', '30 days.'),
  ];
  const traces = await post('/v1/traces', {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cli-export' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  });
  expect(traces.status).toBe(200);
  const feedback = [
    { traceId: trace(1), value: 'up' },
    { traceId: trace(2), value: 'down' },
    { traceId: trace(3), kind: 'edit', correction: 'Refunds within 14 days, mail bob@example.org.' },
    { traceId: trace(3), kind: 'copy' },
  ];
  for (const body of feedback) expect((await post('/v1/feedback', body)).status).toBe(202);
  // An edit without its correction is refused with the reason.
  const bad = await post('/v1/feedback', { traceId: trace(3), kind: 'edit' });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('correction');
  await waitFor(async () => {
    const [row] = await collector.store.query<{ spans: number; feedback: number }>(
      `SELECT (SELECT count() FROM llm_spans) AS spans, (SELECT count() FROM feedback) AS feedback`,
    );
    return row?.spans === 3 && row.feedback === 4 ? row : null;
  });
  const stored = await collector.store.query(
    `SELECT kind, value, correction FROM feedback FINAL WHERE trace_id = {t:String} ORDER BY kind`,
    { params: { t: trace(3) } },
  );
  expect(stored).toEqual([
    { kind: 'copy', value: 1, correction: '' },
    { kind: 'edit', value: 0, correction: 'Refunds within 14 days, mail bob@example.org.' },
  ]);
  await collector.close();
}, 120_000);

afterAll(async () => {
  await rm(collector.dir, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

describe('oversight export-preferences', () => {
  it('writes DPO pairs to a file and a summary to stderr', async () => {
    const out = resolve(collector.dir, 'dpo.jsonl');
    const { stderr } = await run(
      NODE,
      [
        SOURCE,
        CLI,
        'export-preferences',
        '--format',
        'dpo',
        '--project',
        'project-a',
        '--out',
        out,
        '--data-dir',
        dataDir,
      ],
      { env },
    );
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toEqual([
      {
        prompt: [{ role: 'user', content: 'How do I reset my password?' }],
        chosen: [{ role: 'assistant', content: 'Open Settings, then Security.' }],
        rejected: [{ role: 'assistant', content: 'No idea.' }],
      },
      {
        prompt: [{ role: 'user', content: 'Refund window?' }],
        chosen: [{ role: 'assistant', content: 'Refunds within 14 days, mail <EMAIL_ADDRESS>.' }],
        rejected: [{ role: 'assistant', content: '30 days.' }],
      },
    ]);
    expect(stderr).toContain('exported 2 DPO records from 3 rated generations (4 feedback rows)');
    expect(stderr).toContain('by kind: edit 1, thumbs_pair 1');
  }, 60_000);

  it('streams KTO to stdout', async () => {
    const { stdout } = await run(
      NODE,
      [SOURCE, CLI, 'export-preferences', '--format', 'kto', '--data-dir', dataDir],
      {
        env,
      },
    );
    expect(
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).label),
    ).toEqual([true, false]);
  }, 60_000);

  it('refuses a bad flag with a clear error', async () => {
    await expect(
      run(NODE, [SOURCE, CLI, 'export-preferences', '--format', 'orpo', '--data-dir', dataDir], { env }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining("argument 'orpo' is invalid") });
    await expect(
      run(
        NODE,
        [
          SOURCE,
          CLI,
          'export-preferences',
          '--format',
          'sft',
          '--min-groundedness',
          '2',
          '--data-dir',
          dataDir,
        ],
        { env },
      ),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('--min-groundedness: Too big') });
  }, 60_000);
});
