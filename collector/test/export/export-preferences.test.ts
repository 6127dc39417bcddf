import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ExportOptions, exportPreferences, withOutput } from '../../src/export/export-preferences.ts';
import { jaccard } from '../../src/export/formats.ts';
import type { Store } from '../../src/store/store.ts';
import { storeBackends } from '../helpers/store-backends.ts';
import { type Generation, seededStore, spanId, traceId, type Vote } from './seed.ts';

const A = 'project-a';
const B = 'project-b';
const sys = { role: 'system', content: 'Be brief.' };
const user = (content: string) => [sys, { role: 'user', content }];
const bot = (content: string) => [{ role: 'assistant', content }];

// One generation per trace unless said otherwise; trace n, span n.
const gen = (n: number, question: string, answer: string, extra: Partial<Generation> = {}): Generation => ({
  project: A,
  trace: traceId(n),
  span: spanId(n),
  question,
  answer,
  at: 1_000n,
  groundedness: 0.9,
  hallucinated: 0,
  ...extra,
});
const thumbs = (n: number, up: boolean, extra: Partial<Vote> = {}): Vote => ({
  project: A,
  id: `fb-${n}-${up ? 'up' : 'down'}-${extra.userId ?? ''}`,
  traceId: traceId(n),
  spanId: spanId(n),
  kind: 'thumbs',
  value: up ? 1 : 0,
  ...extra,
});

const generations: Generation[] = [
  // Exact prompt up to case and punctuation: a liked and a disliked answer → one DPO pair.
  gen(1, 'How do I reset my password?', 'Open Settings, then Security.'),
  // An earlier draft in the same trace: feedback without a span id rates the last generation, not this.
  gen(1, 'How do I reset my password?', 'draft answer', { span: spanId(101), at: 0n }),
  // The app's own step after the answer (a title for the chat): newest, yet not what the user rated.
  gen(1, 'Title this chat in three words.', 'Password reset help', {
    span: spanId(201),
    at: 2_000n,
    appStep: 'quotes',
  }),
  gen(2, 'how do i reset my PASSWORD', 'I cannot help with that.', { groundedness: 0.2, hallucinated: 1 }),
  // Near-identical (word-bigram Jaccard 0.9 of the canonical forms) → paired.
  gen(3, 'What are your opening hours on Sunday?', 'We open at 10 on Sundays.'),
  gen(4, 'What are your opening hours on Sunday please?', 'Every day 9 to 5.', { groundedness: 0.1 }),
  // Disliked with nothing to pair with.
  gen(5, 'Cancel my subscription', 'Sure, cancelled.'),
  // Edited by the user: the correction is chosen, the original rejected.
  gen(6, 'What is the refund window?', '30 days.'),
  // PII in the prompt, liked.
  gen(7, 'My card 4111 1111 1111 1111 was declined, why?', 'Your bank refused it.'),
  // Liked, but the groundedness scorer flagged it: a positive example in no format.
  gen(12, 'Which plan includes phone support?', 'Every plan, around the clock.', { hallucinated: 1 }),
  // Liked but weakly grounded: dropped from positives by --min-groundedness 0.5.
  gen(8, 'Do you ship to Canada?', 'Yes, in 5 days.', { groundedness: 0.3 }),
  // Votes that cancel out; a user who changed their mind (down, then up) counts once, as up.
  gen(9, 'Is there a student discount?', 'Yes, 20 %.'),
  gen(10, 'Where is my order?', 'It ships tomorrow.'),
  // Another project asks the same question and dislikes its answer: never paired with A's.
  { ...gen(11, 'How do I reset my password?', 'Project B answer.'), project: B },
];

const votes: Vote[] = [
  { ...thumbs(1, true, { userId: 'u1' }), spanId: undefined },
  thumbs(2, false, { userId: 'u2' }),
  thumbs(3, true),
  thumbs(4, false),
  thumbs(5, false),
  {
    project: A,
    id: 'fb-edit-6',
    traceId: traceId(6),
    spanId: spanId(6),
    kind: 'edit',
    value: 0,
    correction: 'Refunds within 14 days; write to jane.doe@example.com.',
  },
  { project: A, id: 'fb-copy-6', traceId: traceId(6), spanId: spanId(6), kind: 'copy', value: 1 },
  thumbs(7, true),
  thumbs(12, true),
  thumbs(8, true),
  thumbs(9, true, { userId: 'u1' }),
  thumbs(9, false, { userId: 'u2' }),
  thumbs(10, false, { userId: 'u3', at: 0 }),
  thumbs(10, true, { userId: 'u3', at: 1_000 }),
  // Rates a trace that never reached the store.
  thumbs(99, true),
  { ...thumbs(11, false), project: B },
];

async function run(store: Store, options: ExportOptions) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const summary = await exportPreferences(store, out, options);
  const records = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  return { summary, records };
}

describe.each(storeBackends())('export-preferences on $name', (backend) => {
  const seeded = seededStore(backend, generations, votes);

  it('KTO: one row per thumbed generation, PII masked, ties and missing generations skipped', async () => {
    const { summary, records } = await run(seeded.store, { format: 'kto', project: A, pageSize: 3 }); // several pages
    expect(records).toEqual([
      {
        prompt: user('How do I reset my password?'),
        completion: bot('Open Settings, then Security.'),
        label: true,
      },
      {
        prompt: user('how do i reset my PASSWORD'),
        completion: bot('I cannot help with that.'),
        label: false,
      },
      {
        prompt: user('What are your opening hours on Sunday?'),
        completion: bot('We open at 10 on Sundays.'),
        label: true,
      },
      {
        prompt: user('What are your opening hours on Sunday please?'),
        completion: bot('Every day 9 to 5.'),
        label: false,
      },
      { prompt: user('Cancel my subscription'), completion: bot('Sure, cancelled.'), label: false },
      {
        prompt: user('My card <CREDIT_CARD> was declined, why?'),
        completion: bot('Your bank refused it.'),
        label: true,
      },
      { prompt: user('Do you ship to Canada?'), completion: bot('Yes, in 5 days.'), label: true },
      { prompt: user('Where is my order?'), completion: bot('It ships tomorrow.'), label: true },
    ]);
    expect(summary).toEqual({
      format: 'kto',
      feedbackRows: 15,
      generations: 12,
      written: 8,
      kinds: { desirable: 5, undesirable: 3 },
      skipped: { generation_not_found: 1, hallucinated: 1, no_thumbs: 1, tied_votes: 1 },
    });
  });

  it('KTO with --min-groundedness drops weakly grounded positives only', async () => {
    const { summary, records } = await run(seeded.store, { format: 'kto', project: A, minGroundedness: 0.5 });
    expect(records.map((r) => r.completion[0].content)).not.toContain('Yes, in 5 days.');
    expect(records.map((r) => r.completion[0].content)).toContain('Every day 9 to 5.');
    expect(summary.skipped).toMatchObject({ below_min_groundedness: 1 });
  });

  it('DPO: same and near-identical prompts paired, edits as pairs, PII masked, one project only', async () => {
    const { summary, records } = await run(seeded.store, { format: 'dpo', project: A, pageSize: 3 }); // a group spans pages
    // Ordered by prompt: pairs come out grouped by question.
    expect(records).toEqual([
      {
        prompt: user('How do I reset my password?'),
        chosen: bot('Open Settings, then Security.'),
        rejected: bot('I cannot help with that.'),
      },
      {
        prompt: user('What are your opening hours on Sunday?'),
        chosen: bot('We open at 10 on Sundays.'),
        rejected: bot('Every day 9 to 5.'),
      },
      {
        prompt: user('What is the refund window?'),
        chosen: bot('Refunds within 14 days; write to <EMAIL_ADDRESS>.'),
        rejected: bot('30 days.'),
      },
    ]);
    expect(summary.kinds).toEqual({ edit: 1, thumbs_pair: 2 });
    expect(summary.skipped).toEqual({ generation_not_found: 1, hallucinated: 1, tied_votes: 1, unpaired: 4 });
  });

  it('DPO without a project filter still never pairs across projects', async () => {
    const { records } = await run(seeded.store, { format: 'dpo' });
    const chosen = records.map((r) => r.chosen[0].content);
    const rejected = records.map((r) => r.rejected[0].content);
    expect(chosen).toHaveLength(3);
    expect(rejected).not.toContain('Project B answer.');
  });

  it('SFT: liked, not hallucinated answers and user corrections', async () => {
    // maskPii off: the card number stays as the user wrote it.
    const { summary, records } = await run(seeded.store, { format: 'sft', project: A, maskPii: false });
    expect(records).toEqual([
      { messages: [...user('How do I reset my password?'), ...bot('Open Settings, then Security.')] },
      { messages: [...user('What are your opening hours on Sunday?'), ...bot('We open at 10 on Sundays.')] },
      {
        messages: [
          ...user('What is the refund window?'),
          ...bot('Refunds within 14 days; write to jane.doe@example.com.'),
        ],
      },
      {
        messages: [
          ...user('My card 4111 1111 1111 1111 was declined, why?'),
          ...bot('Your bank refused it.'),
        ],
      },
      { messages: [...user('Do you ship to Canada?'), ...bot('Yes, in 5 days.')] },
      { messages: [...user('Where is my order?'), ...bot('It ships tomorrow.')] },
    ]);
    expect(summary.kinds).toEqual({ correction: 1, liked: 5 });
    expect(summary.skipped).toEqual({ generation_not_found: 1, hallucinated: 1, not_liked: 4 });
  });

  it("a project's export holds only its own rows", async () => {
    const { records } = await run(seeded.store, { format: 'kto', project: B });
    expect(records).toEqual([
      { prompt: user('How do I reset my password?'), completion: bot('Project B answer.'), label: false },
    ]);
  });

  it('filters by feedback time', async () => {
    const { summary } = await run(seeded.store, { format: 'kto', project: A, since: '2027-01-02' });
    expect(summary).toMatchObject({ feedbackRows: 0, written: 0 });
    const { summary: all } = await run(seeded.store, { format: 'kto', project: A, until: '2027-01-02' });
    expect(all.written).toBe(8);
  });

  it('rejects bad filters with a clear error', async () => {
    await expect(run(seeded.store, { format: 'kto', since: 'yesterday' })).rejects.toThrow(
      /not a date: yesterday/,
    );
    await expect(run(seeded.store, { format: 'kto', topic: 'billing' })).rejects.toThrow(/numeric topic id/);
  });
});

describe.each(storeBackends())('system prompts on $name', (backend) => {
  const S = 'project-system';
  const question = 'How long is the refund window?';
  const policy = 'You are ACME support. Answer from the policy pages only, cite the page, never guess.';
  const inS = (g: Generation): Generation => ({ ...g, project: S });
  const seeded = seededStore(
    backend,
    [
      inS(gen(21, question, 'Thirty days from delivery.', { system: 'You are ACME support.' })),
      inS(gen(22, question, 'Arr, no idea.', { system: 'You are a pirate.' })),
      inS(gen(23, question, 'Two weeks.', { system: '' })),
      // Under one long system prompt, different questions stay different.
      inS(gen(24, 'Cancel my subscription', 'Done.', { system: policy })),
      inS(gen(25, 'Do you ship to Canada?', 'No.', { system: policy })),
    ],
    [
      { ...thumbs(21, true), project: S },
      { ...thumbs(22, false), project: S },
      { ...thumbs(23, false), project: S },
      { ...thumbs(24, true), project: S },
      { ...thumbs(25, false), project: S },
    ],
  );
  const ask = (system: string) => [
    ...(system !== '' ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: question },
  ];

  it('KTO and SFT prompts lead with the system prompt the answer was made under', async () => {
    const kto = await run(seeded.store, { format: 'kto', project: S, maskPii: false });
    expect(kto.records.slice(0, 3)).toEqual([
      { prompt: ask('You are ACME support.'), completion: bot('Thirty days from delivery.'), label: true },
      { prompt: ask('You are a pirate.'), completion: bot('Arr, no idea.'), label: false },
      { prompt: ask(''), completion: bot('Two weeks.'), label: false },
    ]);
    const sft = await run(seeded.store, { format: 'sft', project: S, maskPii: false });
    expect(sft.records[0]).toEqual({
      messages: [...ask('You are ACME support.'), ...bot('Thirty days from delivery.')],
    });
  });

  it('DPO pairs only answers to the same system prompt and question', async () => {
    const { summary, records } = await run(seeded.store, { format: 'dpo', project: S });
    expect(records).toEqual([]);
    expect(summary.kinds).toEqual({});
    expect(summary.skipped).toEqual({ unpaired: 5 });
  });
});

describe.each(storeBackends())('agent turns on $name', (backend) => {
  const T = 'project-tools';
  const TURNS = 'project-turns';
  const call = (id: string | undefined, name: string, args: unknown) => ({
    role: 'assistant',
    parts: [{ type: 'tool_call', ...(id ? { id } : {}), name, arguments: args }],
  });
  const result = (id: string | undefined, response: string) => ({
    role: 'tool',
    parts: [{ type: 'tool_call_response', ...(id ? { id } : {}), response }],
  });
  const seeded = seededStore(
    backend,
    [
      {
        ...gen(31, 'Where is order 42?', 'It arrives Friday.', {
          turns: [call('call_1', 'track_order', { id: 42 }), result('call_1', 'in transit, arrives Friday')],
        }),
        project: T,
      },
      // An emitter that gives calls and results no ids; PII in the arguments.
      {
        ...gen(32, 'Email my invoice', 'Sent.', {
          turns: [
            call(undefined, 'send_invoice', { to: 'jane.doe@example.com', copies: 1 }),
            result(undefined, 'sent to jane.doe@example.com'),
          ],
        }),
        project: T,
      },
      // A second user turn: the first answer was never rated.
      {
        ...gen(33, 'Do you ship to Canada?', 'Yes, to Canada.', {
          turns: [
            { role: 'assistant', parts: [{ type: 'text', content: 'We ship to the US only.' }] },
            { role: 'user', parts: [{ type: 'text', content: 'Are you sure?' }] },
          ],
        }),
        project: TURNS,
      },
    ],
    [
      { ...thumbs(31, true), project: T },
      { ...thumbs(32, true), project: T },
      { ...thumbs(33, true), project: TURNS },
    ],
  );

  it('SFT records are OpenAI chat transcripts: tool_calls on the assistant, tool_call_id on the result', async () => {
    const { records } = await run(seeded.store, { format: 'sft', project: T });
    expect(records).toEqual([
      {
        messages: [
          sys,
          { role: 'user', content: 'Where is order 42?' },
          {
            role: 'assistant',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'track_order', arguments: '{"id":42}' } },
            ],
          },
          { role: 'tool', content: 'in transit, arrives Friday', tool_call_id: 'call_1' },
          ...bot('It arrives Friday.'),
        ],
      },
      {
        messages: [
          sys,
          { role: 'user', content: 'Email my invoice' },
          {
            role: 'assistant',
            tool_calls: [
              {
                id: 'call_oversight_1',
                type: 'function',
                function: { name: 'send_invoice', arguments: '{"to":"<EMAIL_ADDRESS>","copies":1}' },
              },
            ],
          },
          { role: 'tool', content: 'sent to <EMAIL_ADDRESS>', tool_call_id: 'call_oversight_1' },
          ...bot('Sent.'),
        ],
      },
    ]);
  });

  it("SFT trains on the rated turn only, not on earlier turns' unrated answers", async () => {
    const { records } = await run(seeded.store, { format: 'sft', project: TURNS });
    expect(records).toEqual([
      {
        messages: [
          sys,
          { role: 'user', content: 'Do you ship to Canada?' },
          // OpenAI trains on every assistant message unless its weight is 0.
          { role: 'assistant', content: 'We ship to the US only.', weight: 0 },
          { role: 'user', content: 'Are you sure?' },
          ...bot('Yes, to Canada.'),
        ],
      },
    ]);
  });

  it('KTO prompts carry the same transcript', async () => {
    const { records } = await run(seeded.store, { format: 'kto', project: T, maskPii: false });
    expect(records[0].prompt[2]).toEqual({
      role: 'assistant',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'track_order', arguments: '{"id":42}' } },
      ],
    });
    expect(records[0].prompt[3]).toEqual({
      role: 'tool',
      content: 'in transit, arrives Friday',
      tool_call_id: 'call_1',
    });
  });
});

describe.each(storeBackends())('spans delivered twice on $name', (backend) => {
  const R = 'project-retry';
  const inR = (g: Generation): Generation => ({ ...g, project: R });
  const once = [
    inR(gen(41, 'Is there a free trial?', 'Yes, 14 days.')),
    inR(gen(42, 'Is there a free trial?', 'No.')),
    inR(gen(43, 'Do you ship abroad?', 'Yes, to the EU.')),
  ];
  // An OTLP exporter resent a request the collector had accepted: every span is stored twice.
  const seeded = seededStore(
    backend,
    [...once, ...once],
    [
      { ...thumbs(41, true), project: R },
      { ...thumbs(42, false), project: R },
      { ...thumbs(43, true), project: R, spanId: undefined },
    ],
  );

  it('KTO and SFT write each generation once, in any slicing', async () => {
    for (const sliceRows of [1, 50_000]) {
      const kto = await run(seeded.store, { format: 'kto', project: R, sliceRows });
      expect(kto.records.map((r) => [r.completion[0].content, r.label])).toEqual([
        ['Yes, 14 days.', true],
        ['No.', false],
        ['Yes, to the EU.', true],
      ]);
      expect(kto.summary).toMatchObject({ generations: 3, written: 3 });
      const sft = await run(seeded.store, { format: 'sft', project: R, sliceRows });
      expect(sft.records.map((r) => r.messages.at(-1).content)).toEqual(['Yes, 14 days.', 'Yes, to the EU.']);
    }
  });

  it('DPO uses each answer once', async () => {
    const { summary, records } = await run(seeded.store, { format: 'dpo', project: R });
    expect(records).toEqual([
      { prompt: user('Is there a free trial?'), chosen: bot('Yes, 14 days.'), rejected: bot('No.') },
    ]);
    expect(summary).toMatchObject({ generations: 3, kinds: { thumbs_pair: 1 }, skipped: { unpaired: 1 } });
  });
});

describe.each(storeBackends())('text the policy withheld or cut on $name', (backend) => {
  // The SDK's stand-in for a text its content policy kept back, and the collector's mark on a text it cut.
  const WITHHELD = '[oversight: content withheld]';
  const Q = 'How do I change my plan?';
  const seeded = seededStore(
    backend,
    [
      gen(1, Q, WITHHELD),
      gen(2, WITHHELD, 'Open Billing, then Plans.'),
      // The SDK cut a text at its size cap: no mark in the text, only the span's flag.
      gen(3, Q, 'Open Billing, then', { attributes: { 'oversight.content.truncated': true } }),
      gen(4, Q, 'Open Billing, then Plans, then…[truncated 5000 chars]'),
      gen(5, Q, 'Open Billing, then Plans.'),
      gen(6, Q, 'Plans cannot be changed.'),
      gen(7, 'Can I pay yearly?', 'No.'),
    ],
    [
      thumbs(1, true),
      thumbs(2, true),
      thumbs(3, true),
      thumbs(4, true),
      thumbs(5, true),
      thumbs(6, false),
      {
        project: A,
        id: 'fb-edit-7',
        traceId: traceId(7),
        spanId: spanId(7),
        kind: 'edit',
        value: 0,
        correction: 'Yes, with 2 months free; see…[truncated 900 chars]',
      },
    ],
  );

  it("are not exported as the user's words or the answer, and the summary says why", async () => {
    const kto = await run(seeded.store, { format: 'kto', project: A });
    expect(kto.records).toEqual([
      { prompt: user(Q), completion: bot('Open Billing, then Plans.'), label: true },
      { prompt: user(Q), completion: bot('Plans cannot be changed.'), label: false },
    ]);
    expect(kto.summary.skipped).toMatchObject({ content_withheld: 2, content_truncated: 2 });

    const sft = await run(seeded.store, { format: 'sft', project: A });
    expect(sft.records).toEqual([{ messages: [...user(Q), ...bot('Open Billing, then Plans.')] }]);
    expect(sft.summary.skipped).toMatchObject({ content_withheld: 2, content_truncated: 3 });

    const dpo = await run(seeded.store, { format: 'dpo', project: A });
    expect(dpo.records).toEqual([
      {
        prompt: user(Q),
        chosen: bot('Open Billing, then Plans.'),
        rejected: bot('Plans cannot be changed.'),
      },
    ]);
    expect(dpo.summary.skipped).toMatchObject({ content_withheld: 2, content_truncated: 3 });
  });
});

describe('near-identical prompts', () => {
  it('measures word-bigram overlap', () => {
    const a = new Set(['a b', 'b c', 'c d']);
    expect(jaccard(a, new Set(['a b', 'b c', 'c d']))).toBe(1);
    expect(jaccard(a, new Set(['a b', 'b c', 'c e']))).toBe(0.5);
    expect(jaccard(new Set(), new Set())).toBe(1);
  });
});

describe('withOutput', () => {
  it('names the incomplete file when an export fails half-way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-export-'));
    const file = join(dir, 'out.jsonl');
    await expect(
      withOutput(file, async (out) => {
        out.write('{"prompt":[]}\n');
        throw new Error('ClickHouse went away');
      }),
    ).rejects.toThrow(`ClickHouse went away (${file} is incomplete)`);
    expect(await readFile(file, 'utf8')).toBe('{"prompt":[]}\n');
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file it cannot open, in one line, before the export starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-export-'));
    const file = join(dir, 'no-such-dir', 'out.jsonl');
    let ran = false;
    await expect(
      withOutput(file, async () => {
        ran = true;
      }),
    ).rejects.toThrow(`cannot write the export to ${file}: ENOENT`);
    expect(ran).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });
});
