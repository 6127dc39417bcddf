/**
 * A string's UTF-16 code units in a reusable typed array, for scanners that
 * read every character: indexing a Uint16Array is several times cheaper than
 * `charCodeAt` on the sliced and concatenated strings that requests carry.
 */

type Ucs2Write = (this: Uint8Array, text: string, offset: number, length: number) => number;
type BufferFrom = (buffer: ArrayBuffer) => Uint8Array;

// Node's Buffer copies a string's code units in one native call; it writes little-endian,
// so it serves only where the typed arrays are little-endian too. Elsewhere: charCodeAt.
const NodeBuffer = (globalThis as { Buffer?: { from: BufferFrom; prototype: { ucs2Write?: unknown } } })
  .Buffer;
const ucs2Write = NodeBuffer?.prototype.ucs2Write as Ucs2Write | undefined;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const native = NodeBuffer !== undefined && ucs2Write !== undefined && littleEndian;

/** Entries a reused buffer may keep beyond what the text in hand needs. */
const KEPT_ENTRIES = 1 << 20;

/**
 * The length to reallocate a reused buffer of `length` entries to so it holds `needed`, or
 * `undefined` to keep it: grown by doubling from 4096, and cut back once it is over a million
 * entries and four times what is needed. Without the cut, one huge text (the guard scores
 * whatever the app hands it) kept its buffers for the life of the process: a 5 MB prompt left
 * 450 MB of them behind.
 */
export function resizedLength(length: number, needed: number): number | undefined {
  if (length >= needed && (length <= KEPT_ENTRIES || length <= needed * 4)) return undefined;
  let n = 4096;
  while (n < needed) n *= 2;
  return n;
}

/**
 * A reader with its own buffer: `read(text)` returns a Uint16Array whose first
 * `text.length` entries are the text's code units (with room for `extra` more),
 * valid until the reader's next call.
 */
export function codeUnitReader(extra = 0): (text: string) => Uint16Array {
  let units = new Uint16Array(4096);
  let bytes: Uint8Array | undefined;
  return (text) => {
    const len = text.length;
    const resized = resizedLength(units.length, len + extra);
    if (resized !== undefined) {
      units = new Uint16Array(resized);
      bytes = undefined;
    }
    if (native) {
      if (bytes === undefined) bytes = (NodeBuffer as { from: BufferFrom }).from(units.buffer);
      (ucs2Write as Ucs2Write).call(bytes, text, 0, len * 2);
    } else {
      for (let i = 0; i < len; i++) units[i] = text.charCodeAt(i);
    }
    return units;
  };
}

/** Whether `c` is a code unit JavaScript's `\s` matches (WhiteSpace or LineTerminator). */
export function isSpaceUnit(c: number): boolean {
  // Most units a scanner meets are ASCII: one range test settles them.
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
