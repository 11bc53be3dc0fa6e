/**
 * A small time-bounded map living as long as the isolate. Entries older than `ttlMs` are misses,
 * which is what bounds how stale an edge can be (1 s for tenant contexts).
 */
export class IsolateCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    return this.peek(key, now)?.value;
  }

  /** The entry and how old it is; undefined when there is none or it is past `ttlMs`. */
  peek(key: string, now = Date.now()): { value: V; ageMs: number } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: entry.value, ageMs: now - entry.at };
  }

  set(key: string, value: V, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
