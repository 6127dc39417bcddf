import Anthropic from '@anthropic-ai/sdk';
import { maskPii } from '@oversight/scorers';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { createGuard } from '../src/guard.ts';

/**
 * guard.call() around the provider clients as an app writes it: the client's
 * own result comes back, and the answer inside it is what is checked and
 * handed back as `text`.
 */
const ANSWER = 'Write to bob.smith@outlook.com and he will sort it out.';
let mock: MockLlm;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  mock = await startMockLlm({
    latencyMs: 0,
    chunkDelayMs: 0,
    script: [{ question: /refund/i, answer: ANSWER }],
  });
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
});
afterAll(() => mock.close());
afterEach(() => vi.restoreAllMocks());

const guard = createGuard({ record: false, warm: false });
const masked = maskPii(ANSWER);
const question = 'Who handles my refund?';

describe('guard.call with a provider client', () => {
  it('checks the answer of a chat completion, a Responses result and an Anthropic message', async () => {
    expect(masked).not.toContain('bob.smith@outlook.com');
    const chat = await guard.call(question, (q) =>
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] }),
    );
    const responses = await guard.call(question, (q) =>
      openai.responses.create({ model: 'gpt-4o-mini', input: q }),
    );
    const message = await guard.call(question, (q) =>
      anthropic.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: q }],
      }),
    );
    for (const out of [chat, responses, message]) {
      expect(out.text).toBe(masked);
      expect(out.output?.decision).toBe('redacted');
    }
    expect(chat.result?.choices[0]?.message.content).toBe(ANSWER);
  });

  it('says once that a stream cannot be checked, and hands the stream back unread', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const stream = () =>
      guard.call(question, (q) =>
        openai.chat.completions.create({
          model: 'gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: q }],
        }),
      );
    const first = await stream();
    await stream();
    expect(first.text).toBe('');
    let text = '';
    for await (const chunk of first.result ?? []) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(ANSWER);
    expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
      'guard.call() got a stream: its output cannot be checked before it is read, so it was not; collect the text and check it with guard.output()',
    ]);
  });
});
