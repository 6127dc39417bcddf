/**
 * A map that keeps its `capacity` most recent entries: setting a key makes it
 * the newest, and the oldest go once there are too many. A Map iterates in
 * insertion order, so deleting and re-inserting is all "newest" takes.
 */
export class RecentMap<K, V> {
  readonly capacity: number;
  private readonly entries = new Map<K, V>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, leaving its place in the order as it is. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The value, made the newest entry: a least-recently-used cache reads through this. */
  use(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }
}
