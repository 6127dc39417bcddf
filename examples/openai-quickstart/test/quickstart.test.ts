import { getOversight } from '@oversight/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../../../collector/test/helpers/collector.ts';
import { type MockLlm, startMockLlm } from '../../mock-llm/src/index.ts';
import { type ExampleRun, runExample } from '../../run-example.ts';

let collector: Awaited<ReturnType<typeof startTestCollector>>;
let mock: MockLlm;
let run: ExampleRun;

beforeAll(async () => {
  [collector, mock] = await Promise.all([startTestCollector(), startMockLlm()]);
  run = await runExample('openai-quickstart', 'index.mjs', {
    OVERSIGHT_ENDPOINT: collector.url,
    OVERSIGHT_API_KEY: TEST_KEY,
    OTEL_SERVICE_NAME: 'quickstart-test',
    OPENAI_BASE_URL: `${mock.url}/v1`,
    OPENAI_API_KEY: 'sk-mock',
  });
});
afterAll(async () => {
  await getOversight()?.shutdown();
  await Promise.all([collector?.dispose(), mock?.close()]);
});

describe('examples/openai-quickstart', () => {
  it('prints the answer and exits 0', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('This is a mock answer to: In one sentence: why trace LLM calls?');
  });

  it('lands as a traced, priced chat span with its prompt and answer', async () => {
    let rows: Record<string, unknown>[] = [];
    await waitFor(
      async () => {
        rows = await collector.store.query(
          "SELECT provider, request_model, prompt_text, completion_text, input_tokens, output_tokens, cost_usd FROM llm_spans WHERE service_name = 'quickstart-test'",
        );
        return rows.length > 0;
      },
      20_000,
      'the quickstart chat span',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      prompt_text: 'In one sentence: why trace LLM calls?',
      completion_text: 'This is a mock answer to: In one sentence: why trace LLM calls?',
    });
    expect(Number(rows[0]?.input_tokens)).toBe(7);
    expect(Number(rows[0]?.cost_usd)).toBeGreaterThan(0);
  });
});
