import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../../../collector/test/helpers/collector.ts';
import { type ExampleRun, runExample } from '../../run-example.ts';

let collector: Awaited<ReturnType<typeof startTestCollector>>;
let run: ExampleRun;

beforeAll(async () => {
  collector = await startTestCollector();
  run = await runExample('vercel-ai', 'src/main.ts', {
    OVERSIGHT_ENDPOINT: collector.url,
    OVERSIGHT_API_KEY: TEST_KEY,
    OTEL_SERVICE_NAME: 'vercel-ai-test',
  });
});
afterAll(async () => {
  await collector?.dispose();
});

describe('examples/vercel-ai', () => {
  it('runs generateText, streamText and the tool loop', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'generateText: This is a mock answer to: Summarise in one sentence why teams trace their LLM calls.',
    );
    expect(run.stdout).toContain('streamText: This is a mock answer to: Stream a short greeting.');
    expect(run.stdout).toMatch(/tools: The get_weather tool returned: .*sunny/);
  });

  it('stores agent, chat and tool spans with usage, session and user', async () => {
    let rows: Record<string, unknown>[] = [];
    await waitFor(
      async () => {
        rows = await collector.store.query(
          `SELECT operation, count() AS n, sum(ifNull(output_tokens, 0)) AS output_tokens,
                  groupUniqArray(session_id) AS sessions, groupUniqArray(user_id) AS users
             FROM llm_spans WHERE service_name = 'vercel-ai-test' GROUP BY operation ORDER BY operation`,
        );
        return rows.some((r) => r.operation === 'execute_tool') && rows.some((r) => Number(r.n) >= 4);
      },
      20_000,
      'the AI SDK spans',
    );
    const by = Object.fromEntries(rows.map((r) => [r.operation as string, r]));
    // One chat per generate/stream step: summary, stream, and the tool loop's two steps.
    expect(Number(by.chat?.n)).toBe(4);
    expect(Number(by.chat?.output_tokens)).toBeGreaterThan(0);
    expect(Number(by.execute_tool?.n)).toBe(1);
    expect(Number(by.invoke_agent?.n)).toBe(3);
    for (const r of rows) {
      expect(r.sessions).toEqual(['vercel-ai-session']);
      expect(r.users).toEqual(['user-vercel']);
    }
  });
});
