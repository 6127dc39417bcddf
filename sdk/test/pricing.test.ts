import { describe, expect, it } from 'vitest';
import { costOf, PriceTable } from '../src/pricing.ts';

describe('price table', () => {
  const table = new PriceTable();

  it('matches dated snapshots and provider prefixes to the longest model id', () => {
    expect(table.lookup('gpt-4o-mini-2024-07-18')).toEqual(table.lookup('gpt-4o-mini'));
    expect(table.lookup('gpt-4o-2024-08-06')?.input).toBe(2.5);
    expect(table.lookup('openai/gpt-4o')?.input).toBe(2.5);
    expect(table.lookup('claude-sonnet-4-5-20250929')?.output).toBe(15);
    expect(table.lookup('models/gemini-2.5-flash')?.input).toBe(0.3);
    expect(table.lookup('o1x')).toBeUndefined();
    expect(table.lookup('unknown-model')).toBeUndefined();
  });

  it("leaves a variant with a price of its own unpriced, rather than at its base model's price", () => {
    // o1-pro, o3-pro and gpt-5-pro cost 10-12 times their base model; the table has no rows for them.
    for (const id of [
      'o1-pro',
      'o1-pro-2025-03-19',
      'o3-pro-2025-06-10',
      'gpt-5-pro',
      'gpt-5.2-pro',
      'gpt-4o-realtime-preview-2024-12-17',
      'gpt-3.5-turbo-16k',
      'gpt-4o-audio-preview',
      'gpt-4o-mini-search-preview-2025-03-11',
      'openai/gpt-5-pro',
    ]) {
      expect([id, table.lookup(id)]).toEqual([id, undefined]);
      expect(table.cost(id, { inputTokens: 1000, outputTokens: 1000 })).toBeUndefined();
    }
    // A variant that has its row is priced by it; snapshots and channels keep their model's price.
    expect(table.lookup('gemini-2.5-pro')?.input).toBe(1.25);
    expect(table.lookup('gemini-3-pro-preview')?.input).toBe(2);
    expect(table.lookup('gemini-2.5-flash-preview-05-20')?.input).toBe(0.3);
    expect(table.lookup('gemini-2.0-flash-001')?.input).toBe(0.1);
    expect(table.lookup('claude-3-5-sonnet-latest')?.input).toBe(3);
    expect(table.lookup('claude-3-5-sonnet-v2@20241022')?.input).toBe(3);
    expect(table.lookup('gpt-3.5-turbo-0125')?.input).toBe(0.5);
    expect(table.lookup('o1-preview')?.input).toBe(15);
    // An app's own row for the variant prices it.
    const withPro = new PriceTable({ 'o1-pro': { input: 150, output: 600 } });
    expect(withPro.lookup('o1-pro-2025-03-19')?.input).toBe(150);
    expect(withPro.lookup('o1-2024-12-17')?.input).toBe(15);
  });

  it('prices the chat and codex variants by rows of their own', () => {
    // Priced through their base model's row before variants needed rows of their own.
    const prices = Object.fromEntries(
      [
        'gpt-5-chat-latest',
        'gpt-5-chat',
        'gpt-5.1-chat-latest',
        'gpt-5.2-chat-latest',
        'gpt-5-codex',
        'gpt-5.1-codex',
        'gpt-5.1-codex-max',
        'gpt-5.1-codex-mini',
      ].map((id) => [id, table.lookup(id)?.output]),
    );
    expect(prices).toEqual({
      'gpt-5-chat-latest': 10,
      'gpt-5-chat': 10,
      'gpt-5.1-chat-latest': 10,
      'gpt-5.2-chat-latest': 14,
      'gpt-5-codex': 10,
      'gpt-5.1-codex': 10,
      'gpt-5.1-codex-max': 10,
      // A fifth of gpt-5.1's, which its prefix matched before variants needed their own row.
      'gpt-5.1-codex-mini': 2,
    });
  });

  it('prices Bedrock model ids, with or without an inference profile region', () => {
    const haiku = table.lookup('claude-3-5-haiku');
    expect(haiku?.input).toBe(0.8);
    expect(table.lookup('anthropic.claude-3-5-haiku-20241022-v1:0')).toEqual(haiku);
    expect(table.lookup('us.anthropic.claude-sonnet-4-20250514-v1:0')?.input).toBe(3);
    expect(
      table.lookup(
        'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-5-haiku-20241022-v1:0',
      ),
    ).toEqual(haiku);
    // A dot inside a model's own id is no vendor prefix.
    expect(table.lookup('gpt-5.2-2025-12-11')?.input).toBe(1.75);
    expect(table.lookup('acme.unknown-model')).toBeUndefined();
  });

  it('prices cache reads and writes at their own rates, and reasoning as output', () => {
    // 1,000 input of which 600 read from cache and 100 written; 500 output incl. 200 reasoning.
    const usage = {
      inputTokens: 1000,
      outputTokens: 500,
      cacheReadTokens: 600,
      cacheCreationTokens: 100,
      reasoningTokens: 200,
    };
    const price = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
    expect(costOf(price, usage)).toBeCloseTo((300 * 3 + 600 * 0.3 + 100 * 3.75 + 500 * 15) / 1e6, 12);
  });

  it('falls back to the input price when a model has no cache price', () => {
    expect(
      costOf({ input: 10, output: 30 }, { inputTokens: 100, cacheReadTokens: 50, outputTokens: 0 }),
    ).toBeCloseTo((100 * 10) / 1e6, 12);
  });

  it('returns undefined for unknown models and for calls with no counts', () => {
    expect(table.cost('nope', { inputTokens: 5 })).toBeUndefined();
    expect(table.cost('gpt-4o', {})).toBeUndefined();
  });

  it('takes overrides, including new models, and rejects invalid prices', () => {
    const custom = new PriceTable({
      'my-finetune': { input: 1, output: 2 },
      'gpt-4o': { input: 1, output: 1 },
    });
    expect(custom.cost('my-finetune-v3', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(3);
    expect(custom.lookup('gpt-4o-2024-08-06')?.input).toBe(1);
    expect(() => new PriceTable({ bad: { input: -1, output: 1 } })).toThrow();
  });
});
