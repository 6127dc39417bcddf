/**
 * The one provider-name table. Values are the GenAI conventions'
 * `gen_ai.provider.name` well-known names; keys are what frameworks call the
 * same provider (Vercel AI SDK `openai.chat`, LangChain `google_genai`,
 * OpenLLMetry `Azure`, …).
 *
 * Google has three names in the conventions: `gcp.gemini` is the Gemini
 * Developer API (AI Studio, generativelanguage.googleapis.com), `gcp.vertex_ai`
 * is Vertex AI, and `gcp.gen_ai` is for a client that may reach either and
 * does not say which. LangChain's `google_genai` (`ChatGoogleGenerativeAI`)
 * and the AI SDK's `google.generative-ai` call the Gemini Developer API, so
 * they are `gcp.gemini`.
 */

export const GEN_AI_PROVIDER = {
  openai: 'openai',
  anthropic: 'anthropic',
  awsBedrock: 'aws.bedrock',
  azureAiOpenai: 'azure.ai.openai',
  azureAiInference: 'azure.ai.inference',
  gcpGemini: 'gcp.gemini',
  gcpVertexAi: 'gcp.vertex_ai',
  gcpGenAi: 'gcp.gen_ai',
  cohere: 'cohere',
  mistralAi: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  perplexity: 'perplexity',
  xAi: 'x_ai',
  ibmWatsonxAi: 'ibm.watsonx.ai',
} as const;

export type GenAiProvider = (typeof GEN_AI_PROVIDER)[keyof typeof GEN_AI_PROVIDER];

const P = GEN_AI_PROVIDER;

/** Lower-case framework spelling → provider name. Every value is one of `GEN_AI_PROVIDER`. */
export const PROVIDER_ALIASES: Readonly<Record<string, GenAiProvider>> = {
  openai: P.openai,
  anthropic: P.anthropic,
  azure: P.azureAiOpenai,
  'azure.openai': P.azureAiOpenai,
  'azure-openai': P.azureAiOpenai,
  azure_openai: P.azureAiOpenai,
  azureopenai: P.azureAiOpenai,
  // @traceloop/instrumentation-azure writes `gen_ai.system: "Azure OpenAI"`.
  'azure openai': P.azureAiOpenai,
  'az.ai.openai': P.azureAiOpenai,
  'azure.ai.openai': P.azureAiOpenai,
  'azure.ai.inference': P.azureAiInference,
  'azure-ai-inference': P.azureAiInference,
  'az.ai.inference': P.azureAiInference,
  'gcp.vertex_ai': P.gcpVertexAi,
  'google.vertex_ai': P.gcpVertexAi,
  'google.vertex': P.gcpVertexAi,
  'google-vertex': P.gcpVertexAi,
  google_vertexai: P.gcpVertexAi,
  vertex: P.gcpVertexAi,
  vertex_ai: P.gcpVertexAi,
  vertexai: P.gcpVertexAi,
  'gcp.gemini': P.gcpGemini,
  'google.generative-ai': P.gcpGemini,
  'google-generative-ai': P.gcpGemini,
  google_genai: P.gcpGemini,
  'google.genai': P.gcpGemini,
  google: P.gcpGemini,
  gemini: P.gcpGemini,
  'gcp.gen_ai': P.gcpGenAi,
  mistral: P.mistralAi,
  mistralai: P.mistralAi,
  mistral_ai: P.mistralAi,
  bedrock: P.awsBedrock,
  'amazon-bedrock': P.awsBedrock,
  amazon_bedrock: P.awsBedrock,
  'aws.bedrock': P.awsBedrock,
  'aws-bedrock': P.awsBedrock,
  aws: P.awsBedrock,
  xai: P.xAi,
  'x-ai': P.xAi,
  x_ai: P.xAi,
  cohere: P.cohere,
  groq: P.groq,
  deepseek: P.deepseek,
  perplexity: P.perplexity,
  ibm: P.ibmWatsonxAi,
  watsonx: P.ibmWatsonxAi,
  'ibm.watsonx.ai': P.ibmWatsonxAi,
};

/**
 * Tries the whole name, then drops trailing `.segments` (`openai.chat` →
 * `openai`, `vertex.anthropic.messages` → `vertex`); unknown names pass
 * through lower-cased.
 */
export function canonicalProvider(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!name) return '';
  const segments = name.split('.');
  for (let n = segments.length; n > 0; n -= 1) {
    const hit = PROVIDER_ALIASES[segments.slice(0, n).join('.')];
    if (hit) return hit;
  }
  return name;
}

/**
 * Provider from a client class name (LangChain's `ChatGoogleGenerativeAI`,
 * `AzureChatOpenAI`, …) when the framework gives no provider string. Ordered:
 * Azure before OpenAI, Vertex before the generic Google names.
 */
const CLASS_PATTERNS: ReadonlyArray<readonly [RegExp, GenAiProvider]> = [
  [/AzureChatOpenAI|AzureOpenAI/, P.azureAiOpenai],
  [/OpenAI/, P.openai],
  [/Anthropic/, P.anthropic],
  [/Bedrock/, P.awsBedrock],
  [/VertexAI/, P.gcpVertexAi],
  [/GoogleGenerativeAI/, P.gcpGemini],
  [/Mistral/, P.mistralAi],
  [/Cohere/, P.cohere],
  [/Groq/, P.groq],
];

export function providerFromClassName(className: string): GenAiProvider | undefined {
  for (const [pattern, provider] of CLASS_PATTERNS) if (pattern.test(className)) return provider;
  return undefined;
}
