// An ordinary TypeScript app: type-checked with `tsc --noEmit` against the
// installed packages' .d.ts, run bare and with `import '@oversight/sdk/auto'`
// put on its first line (Node strips the types).
import Anthropic from '@anthropic-ai/sdk';
import type { InitOptions, OversightHandle } from '@oversight/sdk';
import OpenAI from 'openai';

const base: string = process.env.MOCK_LLM_URL ?? '';
const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });
const wanted: InitOptions = { serviceName: 'typed' };
const describe = (h: OversightHandle | undefined): string => (h?.registered ? 'registered' : 'none');
void wanted;
void describe;

const chat = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'What does the packed TS app ask?' }],
});
console.log('chat:', chat.choices[0]?.message.content, chat.usage?.total_tokens);

const stream = await openai.chat.completions.create({
  model: 'gpt-4o',
  stream: true,
  messages: [{ role: 'user', content: 'Stream for the packed TS app' }],
});
let streamed = '';
for await (const c of stream) streamed += c.choices[0]?.delta?.content ?? '';
console.log('stream:', streamed);

const msg = await anthropic.messages.create({
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Hello from the packed TS app' }],
});
const first = msg.content[0];
console.log('anthropic:', first?.type === 'text' ? first.text : '', msg.usage.output_tokens);

const events = await anthropic.messages.create({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user', content: 'Stream from the packed TS app' }],
});
let text = '';
for await (const e of events)
  if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
console.log('anthropic stream:', text);
