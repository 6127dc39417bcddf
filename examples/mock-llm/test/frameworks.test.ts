import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { embed, generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockLlm, startMockLlm } from '../src/index.ts';

let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());

describe('Vercel AI SDK against the mock', () => {
  it('generates through the Responses API and through chat completions', async () => {
    const provider = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'x' });
    const viaResponses = await generateText({ model: provider('gpt-4o-mini'), prompt: 'Hello there' });
    expect(viaResponses.text).toBe('This is a mock answer to: Hello there');
    expect(viaResponses.usage.inputTokens).toBe(2);
    expect(viaResponses.usage.outputTokens).toBe(8);
    expect(mock.requests.at(-1)?.path).toBe('/v1/responses');

    const viaChat = await generateText({ model: provider.chat('gpt-4o-mini'), prompt: 'Hello there' });
    expect(viaChat.text).toBe('This is a mock answer to: Hello there');
    expect(mock.requests.at(-1)?.path).toBe('/v1/chat/completions');
  });

  it('streams with usage and embeds', async () => {
    const provider = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'x' });
    for (const model of [provider('gpt-4o-mini'), provider.chat('gpt-4o-mini')]) {
      const result = streamText({ model, prompt: 'Stream it' });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(text).toBe('This is a mock answer to: Stream it');
      expect((await result.usage).outputTokens).toBe(8);
    }
    const { embedding } = await embed({ model: provider.embedding('text-embedding-3-small'), value: 'cats' });
    expect(embedding).toHaveLength(1536);
  });
});

describe('LangChain against the mock', () => {
  it('invokes, streams and embeds', async () => {
    const llm = new ChatOpenAI({
      model: 'gpt-4o-mini',
      apiKey: 'x',
      configuration: { baseURL: `${mock.url}/v1` },
    });
    const message = await llm.invoke('Hi LangChain');
    expect(message.content).toBe('This is a mock answer to: Hi LangChain');
    expect(message.usage_metadata).toMatchObject({ input_tokens: 2, output_tokens: 8 });
    let streamed = '';
    for await (const chunk of await llm.stream('Hi LangChain')) streamed += String(chunk.content);
    expect(streamed).toBe('This is a mock answer to: Hi LangChain');
    const embeddings = new OpenAIEmbeddings({
      model: 'text-embedding-3-small',
      apiKey: 'x',
      configuration: { baseURL: `${mock.url}/v1` },
    });
    expect(await embeddings.embedQuery('cats')).toHaveLength(1536);
  });
});
