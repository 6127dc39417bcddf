/**
 * Documents as stores and frameworks return them, read into one shape and
 * recorded as `gen_ai.retrieval.documents`; query vectors as base64 float32.
 */
import { captureText } from './capture.ts';

/** One retrieved document as recorded on the span. */
export interface RetrievedDoc {
  id?: string | number | undefined;
  score?: number | null | undefined;
  content?: string | undefined;
}

/** What goes into `gen_ai.retrieval.documents`. */
export interface RecordedDocument {
  id: string;
  score: number | null;
  content?: string | undefined;
}

const MAX_DOCUMENTS = 100;

type Loose = Record<string, unknown>;

export function asRecord(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null ? (value as Loose) : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string') return v;
  return undefined;
}

function firstId(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

export function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

/**
 * Reads the document shapes stores and frameworks return: `{id, score,
 * content}`, LangChain `Document` (`pageContent`, `metadata.id`), LangChain's
 * `[document, score]` pairs, Pinecone/Qdrant matches (`payload`/`metadata`
 * text), Cohere rerank results (`index`, `relevance_score`) and bare strings.
 */
export function normalizeDocument(item: unknown, inputs?: readonly RetrievedDoc[]): RetrievedDoc | undefined {
  if (typeof item === 'string') return { content: item };
  if (Array.isArray(item) && item.length === 2 && typeof item[1] === 'number') {
    const doc = normalizeDocument(item[0]);
    return doc ? { ...doc, score: item[1] } : undefined;
  }
  const rec = asRecord(item);
  if (!rec) return undefined;
  const meta = asRecord(rec.metadata);
  const payload = asRecord(rec.payload);
  const score = firstNumber(
    rec.score,
    rec.relevance_score,
    rec.relevanceScore,
    rec.similarity,
    meta?.score,
    meta?.relevance_score,
    meta?.relevanceScore,
  );
  const content = firstString(
    rec.content,
    rec.pageContent,
    rec.text,
    rec.document,
    asRecord(rec.document)?.text,
    payload?.content,
    payload?.text,
    payload?.page_content,
    meta?.text,
    meta?.content,
  );
  const id = firstId(rec.id, rec._id, meta?.id, meta?._id, meta?.documentId, meta?.source);
  if (content === undefined && id === undefined && typeof rec.index === 'number' && inputs) {
    const original = inputs[rec.index];
    if (original) return { ...original, score: score ?? original.score ?? null };
  }
  const doc: RetrievedDoc = {};
  if (id !== undefined) doc.id = id;
  if (score !== undefined) doc.score = score;
  if (content !== undefined) doc.content = content;
  return doc;
}

/** Finds the list of documents in what a retriever returned. */
function documentList(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  const rec = asRecord(result);
  if (!rec) return [];
  for (const key of ['documents', 'matches', 'results', 'hits', 'points', 'data']) {
    const list = rec[key];
    if (Array.isArray(list)) return list;
  }
  return [];
}

export function normalizeDocuments(result: unknown, inputs?: readonly RetrievedDoc[]): RetrievedDoc[] {
  const out: RetrievedDoc[] = [];
  for (const item of documentList(result)) {
    const doc = normalizeDocument(item, inputs);
    if (doc) out.push(doc);
  }
  return out;
}

/**
 * A stable id for a document that came without one, so the same chunk
 * retrieved by many queries counts as one document. 53-bit two-lane FNV-1a.
 */
export function contentId(content: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ content.length;
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  const hi = (h2 >>> 0) & 0x1fffff;
  return `fnv:${hi.toString(16).padStart(6, '0')}${(h1 >>> 0).toString(16).padStart(8, '0')}`;
}

/** The JSON recorded as `gen_ai.retrieval.documents`; content only when capture allows. */
export function documentsAttribute(docs: readonly RetrievedDoc[]): string {
  const recorded: RecordedDocument[] = [];
  for (const [index, doc] of docs.slice(0, MAX_DOCUMENTS).entries()) {
    const id =
      doc.id !== undefined
        ? String(doc.id)
        : doc.content !== undefined
          ? contentId(doc.content)
          : String(index);
    const entry: RecordedDocument = { id, score: doc.score ?? null };
    const content = doc.content === undefined ? undefined : captureText(doc.content);
    if (content !== undefined) entry.content = content;
    recorded.push(entry);
  }
  return JSON.stringify(recorded);
}

/**
 * `oversight.retrieval.query.embedding` is the base64 of the vector as
 * float32 little-endian: 4 bytes per dimension before base64, a third of a
 * JSON float list, and one string attribute survives every exporter.
 */
export function encodeEmbedding(vector: ArrayLike<number>): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, Number(vector[i]), true);
  return Buffer.from(bytes).toString('base64');
}

export function decodeEmbedding(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = new Array(Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
