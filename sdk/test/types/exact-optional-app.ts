// Type-checked only, under exactOptionalPropertyTypes (exact-optional-types.test.ts): the
// documented calls with values that may be undefined, as an app reads them from its environment.
import {
  createGuard,
  currentTraceId,
  feedback,
  guard,
  init,
  rerank,
  retrieve,
  tool,
  withContext,
  workflow,
} from '@oversight/sdk';

const env = process.env;

export async function turn(question: string, sessionId: string | undefined): Promise<void> {
  const oversight = init({
    endpoint: env.OVERSIGHT_ENDPOINT,
    apiKey: env.OVERSIGHT_API_KEY,
    serviceName: env.OTEL_SERVICE_NAME,
    maxContentLength: env.MAX ? Number(env.MAX) : undefined,
  });
  const strict = createGuard({
    name: env.GUARD_NAME,
    policyId: env.POLICY,
    warm: env.CI ? false : undefined,
  });
  await withContext({ sessionId, userId: env.USER_ID }, () =>
    workflow({ name: 'answer', id: env.RUN_ID }, async () => {
      const checked = guard.input(question);
      const docs = await retrieve({ query: checked.redacted, topK: env.K ? 4 : undefined }, async () => [
        { id: env.DOC_ID, content: 'Refunds take five days.', score: undefined },
      ]);
      await rerank({ query: question, documents: docs, topK: undefined }, async () => docs);
      await tool({ name: 'lookup', callId: env.CALL_ID, arguments: { question } }, async () => 'ok');
      strict.output('Five days.', { context: ['Refunds take five days.'], question: env.Q });
      const traceId = currentTraceId();
      if (traceId)
        await feedback({ traceId, value: 'up' }, { endpoint: env.OVERSIGHT_ENDPOINT, apiKey: env.KEY });
    }),
  );
  await oversight.shutdown();
}
