/**
 * `Array.prototype.sort` for the short lists of the request path (a text's findings, its
 * offsets): V8's sort allocates about 1 kB of working state per call whatever the length,
 * and a guard call sorted a dozen short lists. Both sorts are stable, so the order is the
 * same for any comparator.
 */

/** Longer lists go to `Array.prototype.sort`: insertion is quadratic. */
const SHORT = 64;

/** Sorts `list` in place, as `list.sort(compare)` does, and returns it. */
export function sortShort<T>(list: T[], compare: (a: T, b: T) => number): T[] {
  if (list.length > SHORT) return list.sort(compare);
  for (let i = 1; i < list.length; i++) {
    const item = list[i] as T;
    let j = i - 1;
    while (j >= 0 && compare(list[j] as T, item) > 0) {
      list[j + 1] = list[j] as T;
      j--;
    }
    list[j + 1] = item;
  }
  return list;
}
