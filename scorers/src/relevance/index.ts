export {
  answerRelevance,
  contextRelevance,
  RELEVANCE_THRESHOLD,
  type RelevanceLabel,
  type RelevanceResult,
} from './relevance.ts';
