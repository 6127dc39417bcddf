// A CommonJS app set up in code that requires its clients before it calls init().
const OpenAI = require('openai');
const Anthropic = require('@anthropic-ai/sdk');
const { init } = require('@oversight/sdk');

const oversight = init({ endpoint: process.env.OVERSIGHT_ENDPOINT, serviceName: 'init-cjs-fixture' });

async function main() {
  const base = process.env.MOCK_LLM_URL;
  const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });
  const chat = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'What does the CJS app set up in code ask?' }],
  });
  console.log('chat:', chat.choices[0].message.content);
  const msg = await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Hello from the CJS app set up in code' }],
  });
  console.log('anthropic:', msg.content[0].text);
  await oversight.shutdown();
}

main();
