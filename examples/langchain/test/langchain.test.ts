import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../../../collector/test/helpers/collector.ts';
import { type ExampleRun, runExample } from '../../run-example.ts';

let collector: Awaited<ReturnType<typeof startTestCollector>>;
let run: ExampleRun;
type Row = Record<string, unknown>;

beforeAll(async () => {
  collector = await startTestCollector();
  run = await runExample('langchain', 'src/main.ts', {
    OVERSIGHT_ENDPOINT: collector.url,
    OVERSIGHT_API_KEY: TEST_KEY,
    OTEL_SERVICE_NAME: 'langchain-test',
  });
});
afterAll(async () => {
  await collector?.dispose();
});

describe('examples/langchain', () => {
  it('answers each question from the retrieved context', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'Q: How do I reset my password?\nA: Reset your password from Settings > Account.',
    );
    expect(run.stdout).toContain(
      'Q: When are invoices sent?\nA: Invoices are emailed on the first day of each month as PDF.',
    );
  });

  it('stores each question as one trace: chain, retrieval with ranked documents, chat', async () => {
    let chats: Row[] = [];
    await waitFor(
      async () => {
        chats = await collector.store.query<Row>(
          `SELECT trace_id, session_id, user_id, prompt_text, completion_text FROM llm_spans
            WHERE service_name = 'langchain-test' AND operation = 'chat' ORDER BY timestamp`,
        );
        return chats.length >= 2;
      },
      20_000,
      'the chat spans',
    );
    expect(chats).toHaveLength(2);
    expect(chats[0]).toMatchObject({ session_id: 'langchain-session', user_id: 'user-lc' });
    expect(chats[0]?.completion_text).toBe('Reset your password from Settings > Account.');
    const traceId = chats[0]?.trace_id as string;
    let docs: Row[] = [];
    await waitFor(
      async () => {
        docs = await collector.store.query<Row>(
          'SELECT document_id, rank FROM retrieval_documents WHERE trace_id = {id:String} ORDER BY rank',
          { params: { id: traceId } },
        );
        return docs.length >= 2;
      },
      20_000,
      'the retrieved documents',
    );
    expect(docs.map((d) => d.document_id)[0]).toBe('password');
    expect(docs).toHaveLength(2);
    const ops = await collector.store.query<{ operation: string }>(
      'SELECT DISTINCT operation FROM llm_spans WHERE trace_id = {id:String} ORDER BY operation',
      { params: { id: traceId } },
    );
    expect(ops.map((r) => r.operation)).toEqual(expect.arrayContaining(['chat', 'retrieval']));
  });
});
