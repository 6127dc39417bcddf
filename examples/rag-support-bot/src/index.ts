export {
  BLOCKED_ANSWER,
  type Chatbot,
  createChatbot,
  NO_MATCH_CONTEXT,
  type Outcome,
  type TurnResult,
} from './chatbot.ts';
export { DOCUMENTS, KnowledgeBase } from './knowledge-base.ts';
export { MOCK_SCRIPT, QUESTIONS, type Question, type QuestionKind } from './questions.ts';
export {
  type DemoOptions,
  type DemoRun,
  formatTurn,
  llmTarget,
  OPENAI_API_URL,
  runDemo,
} from './run-demo.ts';
export type { SimulationSummary, TurnLine } from './simulation.ts';
