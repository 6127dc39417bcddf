export { DEFAULT_VECTOR_CACHE, VectorCache } from './cache.ts';
export {
  HashedEmbedder,
  type HashedEmbedderOptions,
  type HashedEmbedderState,
  isFunctionWord,
  isStopword,
  STUDENT_SHARE,
  stem,
  words,
} from './hashed.ts';
export { OnnxEmbedder, type OnnxEmbedderOptions, WordPiece } from './onnx.ts';
export { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openai.ts';
export { followsUp, namesItsSubject, requestOf } from './request.ts';
export {
  encodeStudent,
  SentenceStudent,
  SHIPPED_STUDENT_URL,
  type StudentShape,
  type StudentToken,
  type StudentWeights,
} from './student.ts';
export { type SuppliedEmbedding, suppliedEmbedding } from './supplied.ts';
export {
  builtinHashedWidth,
  builtinTopicThresholds,
  CALIBRATED_TOPIC_THRESHOLDS,
  HASHED_TOPIC_THRESHOLDS,
  STUDENT_TOPIC_THRESHOLDS,
  type TopicThresholds,
  USE_TOPIC_THRESHOLDS,
} from './topic-thresholds.ts';
export {
  cosine,
  type Embedder,
  isSyncEmbedder,
  normalizeInPlace,
  QUESTION_CHARS,
  type QuestionReading,
  questionReading,
  questionText,
  type SyncEmbedder,
} from './types.ts';
export {
  USE_PACKAGES,
  USE_WIDTH,
  UseEmbedder,
  type UseEmbedderOptions,
  UseEncoder,
  type UseEncoderOptions,
} from './use.ts';
export { encodeWordTable, WordTable } from './word-table.ts';
