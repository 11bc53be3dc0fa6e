/**
 * The map behind @upstash/ratelimit's ephemeral cache (identifier → blocked-until, ms). The library
 * deletes an entry only when the same identifier is checked again after it lapsed, so a tenant
 * refused once and never seen again in this isolate would stay for the isolate's life: with tenants
 * coming and going, a map without end. This one holds at most `maxEntries`: when full, it drops the
 * lapsed entries, then the oldest.
 */
export class BlockCache extends Map<string, number> {
  constructor(private readonly maxEntries = 10_000) {
    super();
  }

  override set(identifier: string, blockedUntil: number): this {
    if (!this.has(identifier) && this.size >= this.maxEntries) this.evict(Date.now());
    return super.set(identifier, blockedUntil);
  }

  private evict(now: number): void {
    for (const [identifier, blockedUntil] of this) {
      if (blockedUntil < now) this.delete(identifier);
    }
    // Maps iterate in insertion order: the first is the oldest.
    if (this.size >= this.maxEntries) this.delete(this.keys().next().value!);
  }
}
