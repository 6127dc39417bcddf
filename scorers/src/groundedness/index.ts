export { type ContextIndex, indexContext } from './context-index.ts';
export {
  GROUNDEDNESS_THRESHOLD,
  GROUNDEDNESS_VERSION,
  type GroundednessLabel,
  type GroundednessOptions,
  type GroundednessResult,
  groundedness,
  type UnsupportedClaim,
  type UnsupportedReason,
} from './groundedness.ts';
export { isRefusal, type RefusalReading, readRefusal } from './refusal.ts';
