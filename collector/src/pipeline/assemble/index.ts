export {
  type AssembledTrace,
  type AssemblerCounters,
  type AssemblerOptions,
  estimateSpanBytes,
  type FlushReason,
  TraceAssembler,
} from './assembler.ts';
export {
  type ContextSource,
  type GenerationPair,
  isGeneration,
  pairGenerations,
  type SpanLink,
} from './pairing.ts';
