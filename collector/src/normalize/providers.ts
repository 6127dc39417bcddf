/**
 * Provider names as the OTel GenAI conventions spell them, whatever a
 * framework calls them (`openai.chat`, `azure-openai`, `google.vertex_ai`,
 * `mistralai`, `amazon-bedrock`, …).
 */
const aliases: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  azure: 'azure.ai.openai',
  'azure.openai': 'azure.ai.openai',
  'azure-openai': 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  azureopenai: 'azure.ai.openai',
  'az.ai.openai': 'azure.ai.openai',
  'azure.ai.openai': 'azure.ai.openai',
  'azure.ai.inference': 'azure.ai.inference',
  'azure-ai-inference': 'azure.ai.inference',
  'az.ai.inference': 'azure.ai.inference',
  'gcp.vertex_ai': 'gcp.vertex_ai',
  'google.vertex_ai': 'gcp.vertex_ai',
  'google.vertex': 'gcp.vertex_ai',
  'google-vertex': 'gcp.vertex_ai',
  vertex: 'gcp.vertex_ai',
  vertex_ai: 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  'gcp.gemini': 'gcp.gemini',
  'google.generative-ai': 'gcp.gemini',
  'google-generative-ai': 'gcp.gemini',
  google_genai: 'gcp.gemini',
  'google.genai': 'gcp.gemini',
  google: 'gcp.gemini',
  gemini: 'gcp.gemini',
  'gcp.gen_ai': 'gcp.gen_ai',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  mistral_ai: 'mistral_ai',
  bedrock: 'aws.bedrock',
  'amazon-bedrock': 'aws.bedrock',
  amazon_bedrock: 'aws.bedrock',
  'aws.bedrock': 'aws.bedrock',
  'aws-bedrock': 'aws.bedrock',
  aws: 'aws.bedrock',
  xai: 'x_ai',
  'x-ai': 'x_ai',
  x_ai: 'x_ai',
  cohere: 'cohere',
  groq: 'groq',
  deepseek: 'deepseek',
  perplexity: 'perplexity',
  ibm: 'ibm.watsonx.ai',
  watsonx: 'ibm.watsonx.ai',
  'ibm.watsonx.ai': 'ibm.watsonx.ai',
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
    const hit = aliases[segments.slice(0, n).join('.')];
    if (hit) return hit;
  }
  return name;
}
