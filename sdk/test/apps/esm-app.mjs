// An ordinary ESM app: no Oversight import. The test runs it bare and with
// `node --import @oversight/sdk/auto`, and compares what it prints.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const base = process.env.MOCK_LLM_URL;
const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 1 });
const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });

const chat = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'What does the ESM app ask?' }],
});
console.log('chat:', chat.choices[0].message.content, chat.usage.total_tokens);

const stream = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [{ role: 'user', content: 'Stream for the ESM app' }],
});
const chunks = [];
for await (const c of stream) chunks.push(c);
console.log(
  'stream:',
  chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''),
  chunks.length,
  JSON.stringify(Object.keys(chunks.at(-1)).sort()),
);

const emb = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'embed me' });
console.log('embeddings:', emb.data[0].embedding.length);

const msg = await anthropic.messages.create({
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Hello from the ESM app' }],
});
console.log('anthropic:', msg.content[0].text, msg.usage.output_tokens);

const failed = await openai.chat.completions
  .create({ model: 'mock-error-400', messages: [{ role: 'user', content: 'fail' }] })
  .catch((e) => e);
console.log('error:', failed.constructor.name, failed.status);
