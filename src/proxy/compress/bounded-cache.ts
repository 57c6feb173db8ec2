// The one bounded in-memory map of the compression side: least recently used entries go
// first, every entry expires after its TTL, and both the entry count and the total size
// are capped. Serves the store of originals (store.ts), cache mode's conversation memory
// (conversations.ts) and the engine's memory of results (engine.ts).
export interface CacheLimits {
  /** Lifetime of an entry from its last write; Infinity: entries never expire. */
  ttlMs: number;
  /** Cap on the sum of the sizes the caller gives each entry. */
  maxSize: number;
  maxEntries: number;
}

interface Entry<V> {
  value: V;
  size: number;
  expiresAt: number;
}

export class BoundedCache<V> {
  private entries = new Map<string, Entry<V>>();
  private total = 0;

  constructor(
    readonly limits: CacheLimits,
    private now: () => number = Date.now,
  ) {}

  /** Stores (or refreshes) a value. One larger than the whole cache is not kept (false). */
  set(key: string, value: V, size: number): boolean {
    this.delete(key);
    if (size > this.limits.maxSize) return false;
    this.entries.set(key, { value, size, expiresAt: this.now() + this.limits.ttlMs });
    this.total += size;
    this.evict();
    return true;
  }

  /** The live value, which becomes the most recently used; undefined when absent or expired. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    // Most recently used goes to the end of the map's order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  get count(): number {
    return this.entries.size;
  }

  get totalSize(): number {
    return this.total;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }

  /** From the least recently used end: drops entries while over a cap, and expired ones. */
  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      const over = this.total > this.limits.maxSize || this.entries.size > this.limits.maxEntries;
      if (!over && entry.expiresAt > now) break;
      this.delete(key);
    }
  }
}
