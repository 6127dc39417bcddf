/** `text` with each lone surrogate (half an emoji) as U+FFFD: JSON carries it as `\ud83d`, which ClickHouse refuses. */
export const wellFormedText = (text: string): string => (text.isWellFormed() ? text : text.toWellFormed());

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * `value` with every string and key well-formed (`wellFormedText`): arrays and
 * plain objects are copied (own properties, as JSON.parse makes them, so a
 * `__proto__` key stays a key), anything else is returned as it is.
 */
export function wellFormedDeep(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedText(value);
  if (Array.isArray(value)) return value.map(wellFormedDeep);
  if (isPlainObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [wellFormedText(key), wellFormedDeep(item)]),
    );
  return value;
}
