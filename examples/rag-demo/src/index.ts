export {
  BLOCKED_ANSWER,
  type Chatbot,
  createChatbot,
  NO_MATCH_CONTEXT,
  type Outcome,
  type TurnResult,
} from './chatbot.ts';
export { DOCUMENTS, KnowledgeBase } from './knowledge-base.ts';
export { QUESTIONS, type Question } from './questions.ts';
export { type DemoOptions, type DemoRun, formatTurn, runDemo } from './run-demo.ts';
export type { SimulationSummary, TurnLine } from './simulation.ts';
