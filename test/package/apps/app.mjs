// An ordinary ESM app, no Oversight in it: the test runs it bare, and with
// `import '@oversight/sdk/auto'` put on its first line, and with `node --import`.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const base = process.env.MOCK_LLM_URL;
const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });

const chat = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'What does the packed ESM app ask?' }],
});
console.log('chat:', chat.choices[0].message.content, chat.usage.total_tokens);

const stream = await openai.chat.completions.create({
  model: 'gpt-4o',
  stream: true,
  messages: [{ role: 'user', content: 'Stream for the packed ESM app' }],
});
let streamed = '';
let chunks = 0;
for await (const c of stream) {
  chunks++;
  streamed += c.choices[0]?.delta?.content ?? '';
}
console.log('stream:', streamed, chunks);

const msg = await anthropic.messages.create({
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Hello from the packed ESM app' }],
});
console.log('anthropic:', msg.content[0].text, msg.usage.output_tokens);

const events = await anthropic.messages.create({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user', content: 'Stream from the packed ESM app' }],
});
let text = '';
for await (const e of events)
  if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
console.log('anthropic stream:', text);
