/**
 * The attributes the RAG and agent step helpers write, by role. Public (apps
 * and tests read spans by these keys); the names come from the shared
 * conventions so the collector reads exactly what is written here.
 */
import * as C from '@oversight/conventions/attributes';

export const RAG_ATTRIBUTES = {
  operationName: C.ATTR_GEN_AI_OPERATION_NAME,
  providerName: C.ATTR_GEN_AI_PROVIDER_NAME,
  requestModel: C.ATTR_GEN_AI_REQUEST_MODEL,
  responseModel: C.ATTR_GEN_AI_RESPONSE_MODEL,
  topK: C.ATTR_GEN_AI_REQUEST_TOP_K,
  dataSourceId: C.ATTR_GEN_AI_DATA_SOURCE_ID,
  queryText: C.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT,
  documents: C.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
  /** base64 of the vector as float32 little-endian; see `encodeEmbedding`. */
  queryEmbedding: C.ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING,
  queryEmbeddingDimensions: C.ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING_DIMENSIONS,
  oversightOperation: C.ATTR_OVERSIGHT_OPERATION_NAME,
  rerankInputDocuments: C.ATTR_OVERSIGHT_RERANK_INPUT_DOCUMENTS,
  embeddingDimensions: C.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  embeddingInputCount: C.ATTR_OVERSIGHT_EMBEDDINGS_INPUT_COUNT,
  inputTokens: C.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  costUsd: C.ATTR_OVERSIGHT_USAGE_COST_USD,
  toolName: C.ATTR_GEN_AI_TOOL_NAME,
  toolCallId: C.ATTR_GEN_AI_TOOL_CALL_ID,
  toolDescription: C.ATTR_GEN_AI_TOOL_DESCRIPTION,
  toolType: C.ATTR_GEN_AI_TOOL_TYPE,
  toolArguments: C.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  toolResult: C.ATTR_GEN_AI_TOOL_CALL_RESULT,
  agentName: C.ATTR_GEN_AI_AGENT_NAME,
  agentId: C.ATTR_GEN_AI_AGENT_ID,
  agentDescription: C.ATTR_GEN_AI_AGENT_DESCRIPTION,
  workflowName: C.ATTR_GEN_AI_WORKFLOW_NAME,
  workflowId: C.ATTR_OVERSIGHT_WORKFLOW_ID,
  errorType: C.ATTR_ERROR_TYPE,
} as const;
