// An ordinary CommonJS app, no Oversight in it: the test runs it bare and with
// `require('@oversight/sdk/auto')` put on its first line.
const OpenAI = require('openai');
const Anthropic = require('@anthropic-ai/sdk');

async function main() {
  const base = process.env.MOCK_LLM_URL;
  const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });

  const chat = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'What does the packed CJS app ask?' }],
  });
  console.log('chat:', chat.choices[0].message.content, chat.usage.total_tokens);

  const stream = await openai.chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [{ role: 'user', content: 'Stream for the packed CJS app' }],
  });
  let streamed = '';
  for await (const c of stream) streamed += c.choices[0]?.delta?.content ?? '';
  console.log('stream:', streamed);

  const msg = await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Hello from the packed CJS app' }],
  });
  console.log('anthropic:', msg.content[0].text, msg.usage.output_tokens);

  const events = await anthropic.messages.create({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    stream: true,
    messages: [{ role: 'user', content: 'Stream from the packed CJS app' }],
  });
  let text = '';
  for await (const e of events)
    if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
  console.log('anthropic stream:', text);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
