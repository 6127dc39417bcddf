/**
 * `npm start -w examples/vercel-ai`: the Vercel AI SDK traced into Oversight.
 * `init()` sets up tracing; `aiTelemetry()` turns on the AI SDK's own
 * OpenTelemetry integration for a call (or `instrumentVercelAI()` once for
 * all calls). Spans carry the GenAI conventions: `invoke_agent` > `chat`,
 * `execute_tool`. Traces go to OVERSIGHT_ENDPOINT (default
 * http://127.0.0.1:4318); the model is OpenAI with OPENAI_API_KEY, else the
 * local mock LLM.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { getOversight, init, withContext } from '@oversight/sdk';
import { aiTelemetry } from '@oversight/sdk/vercel-ai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';

init({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'vercel-ai-example' });

const mock = process.env.OPENAI_API_KEY
  ? undefined
  : await (await import('@oversight/mock-llm')).startMockLlm();
const openai = createOpenAI(mock ? { baseURL: `${mock.url}/v1`, apiKey: 'sk-mock' } : {});

try {
  await withContext({ sessionId: 'vercel-ai-session', userId: 'user-vercel' }, async () => {
    const summary = await generateText({
      model: openai('gpt-4o-mini'),
      prompt: 'Summarise in one sentence why teams trace their LLM calls.',
      experimental_telemetry: aiTelemetry({ functionId: 'summarise', metadata: { feature: 'summary' } }),
    });
    console.log(`generateText: ${summary.text}`);

    const stream = streamText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Stream a short greeting.',
      experimental_telemetry: aiTelemetry({ functionId: 'greet' }),
    });
    let streamed = '';
    for await (const delta of stream.textStream) streamed += delta;
    console.log(`streamText: ${streamed}`);

    const weather = await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'What is the weather in Paris?',
      tools: {
        get_weather: tool({
          description: 'Current weather for a city',
          inputSchema: z.object({ location: z.string() }),
          execute: async ({ location }) => ({ location, forecast: 'sunny', celsius: 21 }),
        }),
      },
      stopWhen: stepCountIs(2),
      experimental_telemetry: aiTelemetry({ functionId: 'weather' }),
    });
    console.log(`tools: ${weather.text}`);
  });
} finally {
  await getOversight()?.shutdown();
  await mock?.close();
}
