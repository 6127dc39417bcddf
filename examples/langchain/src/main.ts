/**
 * `npm start -w examples/langchain`: a LangChain.js RAG chain (retriever →
 * prompt → chat model → parser) traced into Oversight. `init()` sets up
 * tracing; `instrumentLangChain()` adds Oversight's callback handler to every
 * run, so the chain needs no changes: the trace shows the chain, the
 * embeddings, the retrieval with its documents and the chat call, and the
 * collector scores the answer against the retrieved context. Traces go to
 * OVERSIGHT_ENDPOINT (default http://127.0.0.1:4318); the model is OpenAI
 * with OPENAI_API_KEY, else the local mock LLM.
 */
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { getOversight, init, withContext } from '@oversight/sdk';
import { instrumentLangChain } from '@oversight/sdk/langchain';
import { InMemoryStore } from './vector-store.ts';

init({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'langchain-example' });
instrumentLangChain();

const mock = process.env.OPENAI_API_KEY
  ? undefined
  : await (await import('@oversight/mock-llm')).startMockLlm();
const configuration = mock ? { baseURL: `${mock.url}/v1` } : {};
const apiKey = process.env.OPENAI_API_KEY || 'sk-mock';

const store = new InMemoryStore(
  new OpenAIEmbeddings({ model: 'text-embedding-3-small', dimensions: 256, apiKey, configuration }),
);
await store.addDocuments([
  new Document({
    id: 'password',
    pageContent: 'Reset your password from Settings > Account. The emailed link is valid for 30 minutes.',
  }),
  new Document({
    id: 'invoices',
    pageContent: 'Invoices are emailed on the first day of each month as PDF.',
  }),
  new Document({ id: 'export', pageContent: 'Export a project as CSV or JSON from the project menu.' }),
]);

const retriever = store.asRetriever({ k: 2, metadata: { data_source_id: 'help-center' } });
const chain = RunnableSequence.from([
  {
    context: retriever.pipe((docs: DocumentInterface[]) => docs.map((d) => d.pageContent).join('\n')),
    question: new RunnablePassthrough(),
  },
  ChatPromptTemplate.fromMessages([
    ['system', 'Answer from the context only.\nContext: {context}'],
    ['human', '{question}'],
  ]),
  new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0.2, apiKey, configuration }),
  new StringOutputParser(),
]);

try {
  await withContext({ sessionId: 'langchain-session', userId: 'user-lc' }, async () => {
    for (const question of ['How do I reset my password?', 'When are invoices sent?']) {
      console.log(`Q: ${question}\nA: ${await chain.invoke(question)}`);
    }
  });
} finally {
  await getOversight()?.shutdown();
  await mock?.close();
}
