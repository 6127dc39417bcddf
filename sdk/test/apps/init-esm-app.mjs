// An ESM app set up in code, as the README's "Instead of the auto line" shows:
// its clients are imported, and so loaded, before init() runs.
import Anthropic from '@anthropic-ai/sdk';
import { init } from '@oversight/sdk';
import OpenAI from 'openai';

const oversight = init({ endpoint: process.env.OVERSIGHT_ENDPOINT, serviceName: 'init-esm-fixture' });
const base = process.env.MOCK_LLM_URL;
const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });

const chat = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'What does the ESM app set up in code ask?' }],
});
console.log('chat:', chat.choices[0].message.content);
const msg = await anthropic.messages.create({
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Hello from the ESM app set up in code' }],
});
console.log('anthropic:', msg.content[0].text);
await oversight.shutdown();
