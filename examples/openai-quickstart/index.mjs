import '@oversight/sdk/auto'; // first: traces every OpenAI call to OVERSIGHT_ENDPOINT

// Loaded after Oversight's hooks are in place, so the client is instrumented.
const { default: OpenAI } = await import('openai');

const openai = new OpenAI(); // OPENAI_API_KEY, and OPENAI_BASE_URL for any compatible server
const reply = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'In one sentence: why trace LLM calls?' }],
});
console.log(reply.choices[0]?.message.content);
