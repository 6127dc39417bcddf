import type { Evidence, TextScorer } from '@oversight/scorers';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { ContentPolicy, maskWith } from '../src/content.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { capturePolicyValue } from '../src/rag/capture.ts';
import { silenceDiagnostics } from '../src/safe.ts';
import { loadScorers } from '../src/scorers-loader.ts';
import { initForTest, only } from './helpers.ts';

let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());

async function spanFor(options: Parameters<typeof initForTest>[0], content: string) {
  const { handle, exporter } = initForTest(options);
  try {
    const client = instrument(new OpenAI({ apiKey: 'k', baseURL: `${mock.url}/v1` }));
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content }],
    });
    return {
      span: only(exporter.getFinishedSpans(), 'chat gpt-4o-mini'),
      answer: r.choices[0]?.message.content,
    };
  } finally {
    await handle.shutdown();
  }
}

describe('content capture', () => {
  it('captures by default', async () => {
    const { span } = await spanFor({}, 'hello');
    expect(span.attributes['gen_ai.input.messages']).toContain('hello');
  });

  it('captures nothing with captureContent: false, but keeps usage', async () => {
    const { span } = await spanFor({ captureContent: false }, 'secret prompt');
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(2);
  });

  it('runs redact on prompts and completions before export', async () => {
    const { span, answer } = await spanFor(
      { redact: (t) => t.replaceAll(/\d{4}-\d{4}/g, '[ACCOUNT]') },
      'my account 1234-5678',
    );
    expect(answer).toContain('1234-5678');
    const all = `${span.attributes['gen_ai.input.messages']}${span.attributes['gen_ai.output.messages']}`;
    expect(all).not.toContain('1234-5678');
    expect(all).toContain('[ACCOUNT]');
  });

  it('cuts text to the size cap and marks the span', async () => {
    const { span } = await spanFor(
      { maxContentLength: 10 },
      'a very long prompt that goes past ten characters',
    );
    const input = JSON.parse(span.attributes['gen_ai.input.messages'] as string);
    expect(input[0].parts[0].content).toBe('a very lon');
    expect(span.attributes['oversight.content.truncated']).toBe(true);
  });

  it('runs redact on strings however deep in tool arguments they sit', async () => {
    // Ten levels of nesting, an account number at the bottom.
    let deep: unknown = { account: '1234-5678' };
    for (let i = 0; i < 10; i++) deep = { filter: deep };
    const redact = (t: string) => t.replaceAll(/\d{4}-\d{4}/g, '[ACCOUNT]');
    const { handle, exporter } = initForTest({ redact });
    try {
      const client = instrument(new OpenAI({ apiKey: 'k', baseURL: `${mock.url}/v1` }));
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'user', content: 'find it' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'search', arguments: JSON.stringify(deep) } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'none found' },
        ],
      });
      const input = String(
        only(exporter.getFinishedSpans(), 'chat gpt-4o-mini').attributes['gen_ai.input.messages'],
      );
      expect(input).toContain('search');
      expect(input).not.toContain('1234-5678');
      expect(input).toContain('[ACCOUNT]');
    } finally {
      await handle.shutdown();
    }
    // The same walk for other libraries' message JSON (LangChain, the AI SDK).
    const captured = JSON.stringify(capturePolicyValue([deep], new ContentPolicy({ redact })));
    expect(captured).not.toContain('1234-5678');
    expect(captured).toContain('[ACCOUNT]');
  });

  it('withholds content when redact throws, and the app call still succeeds', async () => {
    silenceDiagnostics();
    const { span, answer } = await spanFor(
      {
        redact: () => {
          throw new Error('bug in app redactor');
        },
      },
      'hello',
    );
    silenceDiagnostics(false);
    expect(answer).toContain('hello');
    expect(span.attributes['gen_ai.input.messages']).toContain('[oversight: content withheld]');
  });
});

describe('PII masking', () => {
  it('replaces scorer evidence with its kind', () => {
    const fake: TextScorer = {
      name: 'pii',
      version: '1',
      threshold: 0.5,
      score: (text) => {
        const at = text.indexOf('bob@example.com');
        return {
          name: 'pii',
          score: 1,
          label: 'pii',
          flagged: true,
          threshold: 0.5,
          explanation: '',
          version: '1',
          evidence: at < 0 ? [] : [{ kind: 'EMAIL_ADDRESS', start: at, end: at + 15 }],
        };
      },
    };
    expect(maskWith(fake)('mail bob@example.com now')).toBe('mail [EMAIL_ADDRESS] now');
  });

  it('masks overlapping evidence as the union of the ranges', () => {
    const evidence: Evidence[] = [];
    const fake: TextScorer = {
      name: 'pii',
      version: '1',
      threshold: 0.5,
      score: () => ({
        name: 'pii',
        score: 1,
        label: 'pii',
        flagged: true,
        threshold: 0.5,
        explanation: '',
        version: '1',
        evidence,
      }),
    };
    const text = 'id 123-45-6789 and Jane Q Doe here';
    // "123-45" and "45-6789" overlap; "Jane Q" is inside "Jane Q Doe", which starts at the same place.
    evidence.push(
      { kind: 'PHONE_NUMBER', start: 7, end: 14 },
      { kind: 'US_SSN', start: 3, end: 9 },
      { kind: 'PERSON', start: 19, end: 25 },
      { kind: 'PERSON', start: 19, end: 29 },
    );
    expect(maskWith(fake)(text)).toBe('id [US_SSN] and [PERSON] here');
  });

  it('hands the masker no more than the cap keeps, plus a margin', () => {
    const scorer = loadScorers().piiScorer;
    const seen: number[] = [];
    const score = vi.spyOn(scorer, 'score').mockImplementation((t: string) => {
      seen.push(t.length);
      return { score: 0, evidence: [] } as unknown as ReturnType<TextScorer['score']>;
    });
    try {
      const policy = new ContentPolicy({ maxContentLength: 1_000, maskPii: true });
      // A retrieved context far past the cap: what lies past it is never masked.
      const out = policy.text('x'.repeat(1_000_000));
      expect(seen).toEqual([1_256]);
      expect(out).toEqual({ text: 'x'.repeat(1_000), truncated: true });
      // Just past the cap, or under it: read whole, cut as before.
      expect(policy.text('y'.repeat(1_100))).toEqual({ text: 'y'.repeat(1_000), truncated: true });
      expect(policy.text('z'.repeat(999))).toEqual({ text: 'z'.repeat(999), truncated: false });
    } finally {
      score.mockRestore();
    }
  });

  it('hands redact() the whole text: its rule may need what lies past the cap', () => {
    // A secret block that begins before the cap and ends far past it.
    const redact = (t: string) => t.replace(/<secret>[\s\S]*?<\/secret>/g, '[secret]');
    const text = `${'a'.repeat(950)}<secret>${'k'.repeat(5_000)}</secret> tail`;
    for (const maskPii of [false, true]) {
      silenceDiagnostics();
      const policy = new ContentPolicy({ maxContentLength: 1_000, redact, maskPii });
      silenceDiagnostics(false);
      const out = policy.text(text);
      expect(out.text).toBe(`${'a'.repeat(950)}[secret] tail`);
      expect(out.truncated).toBe(false);
    }
  });

  it('masks an email the cap would split: the masker reads past the cap', () => {
    silenceDiagnostics();
    const policy = new ContentPolicy({ maskPii: true, maxContentLength: 200 });
    silenceDiagnostics(false);
    // The email starts at 199, and the text runs far past the cap.
    const text = `${'a '.repeat(95)}write to jane.roe@example.com ${'d '.repeat(500)}`;
    const out = policy.text(text);
    expect(out.truncated).toBe(true);
    expect(out.text.startsWith(`${'a '.repeat(95)}write`)).toBe(true);
    expect(out.text).not.toMatch(/jane|roe@/);
    expect(out.text.length).toBeLessThanOrEqual(200);
  });

  it('never leaks text when masking is on: masked by the scorers package, or withheld', () => {
    silenceDiagnostics();
    const policy = new ContentPolicy({ maskPii: true });
    silenceDiagnostics(false);
    const out = policy.text('write to bob@example.com').text;
    expect(out).not.toContain('bob@example.com');
  });
});
