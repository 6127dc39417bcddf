export {
  buildJudgePrompt,
  createLlmJudge,
  type LlmJudgeOptions,
  type LlmJudgeVerdict,
  parseJudgeReply,
} from './llm-judge.ts';
export {
  chunkContext,
  createNliJudge,
  type NliClaimVerdict,
  type NliJudge,
  type NliJudgeOptions,
  type NliVerdict,
} from './nli.ts';
export { type PairEncoding, type PairTokenizer, WordPieceTokenizer } from './wordpiece.ts';
