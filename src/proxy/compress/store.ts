// The bounded in-memory store of originals (SPEC 9.2 "Reversible"): least recently used
// entries go first, every entry expires after its TTL, and the total size is capped.
export interface StoreLimits {
  ttlMs: number;
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { ttlMs: 30 * 60_000, maxBytes: 64 * 1024 * 1024, maxEntries: 4096 };

interface Entry {
  text: string;
  bytes: number;
  expiresAt: number;
}

export class OriginalStore {
  private entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
    private now: () => number = Date.now,
  ) {}

  /** Stores (or refreshes) an original. Texts larger than the whole store are not kept. */
  put(hash: string, text: string): boolean {
    const bytes = text.length * 2;
    this.delete(hash);
    if (bytes > this.limits.maxBytes) return false;
    this.entries.set(hash, { text, bytes, expiresAt: this.now() + this.limits.ttlMs });
    this.bytes += bytes;
    this.evict();
    return true;
  }

  get(hash: string): string | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(hash);
      return undefined;
    }
    // Most recently used goes to the end of the map's order.
    this.entries.delete(hash);
    this.entries.set(hash, entry);
    return entry.text;
  }

  has(hash: string): boolean {
    return this.get(hash) !== undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) return;
    this.entries.delete(hash);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    const now = this.now();
    for (const [hash, entry] of this.entries) {
      const over = this.bytes > this.limits.maxBytes || this.entries.size > this.limits.maxEntries;
      if (!over && entry.expiresAt > now) break;
      this.delete(hash);
    }
  }
}

/** The process-wide store the proxy and the retrieve routes share. */
export const originals = new OriginalStore();
