// An ordinary CommonJS app. With OVERSIGHT_AUTO=1 it loads Oversight the
// CommonJS way, as its first require; otherwise it runs bare.
if (process.env.OVERSIGHT_AUTO === '1') require('@oversight/sdk/auto');
const OpenAI = require('openai');
const Anthropic = require('@anthropic-ai/sdk');

async function main() {
  const base = process.env.MOCK_LLM_URL;
  const openai = new OpenAI({ apiKey: 'sk-fixture', baseURL: `${base}/v1`, maxRetries: 1 });
  const anthropic = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: base, maxRetries: 0 });

  const chat = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'What does the CJS app ask?' }],
  });
  console.log('chat:', chat.choices[0].message.content, chat.usage.total_tokens);

  const res = await openai.responses.create({ model: 'gpt-4o-mini', input: 'Respond to the CJS app' });
  console.log('responses:', res.output_text);

  const stream = await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    stream: true,
    messages: [{ role: 'user', content: 'Stream from the CJS app' }],
  });
  let text = '';
  for await (const e of stream)
    if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
  console.log('anthropic stream:', text);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
