// The bounded in-memory store of originals (SPEC 9.2 "Reversible"): least recently used
// entries go first, every entry expires after its TTL, and the total size is capped
// (bounded-cache.ts). With a shared store attached (shared.ts: Redis, HEADROOM_REDIS_URL)
// every original kept here is mirrored there, and one missing here is looked up there.
import { BoundedCache } from "./bounded-cache.ts";
import type { Mirrored, SharedBackend } from "./state-types.ts";

export interface StoreLimits {
  ttlMs: number;
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { ttlMs: 30 * 60_000, maxBytes: 64 * 1024 * 1024, maxEntries: 4096 };

/** Originals by hash; an original's size is its UTF-16 bytes. */
export class OriginalStore implements Mirrored {
  private cache: BoundedCache<string>;
  shared?: SharedBackend;

  constructor(
    readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
    now: () => number = Date.now,
  ) {
    this.cache = new BoundedCache({ ttlMs: limits.ttlMs, maxSize: limits.maxBytes, maxEntries: limits.maxEntries }, now);
  }

  /** Stores (or refreshes) an original. Texts larger than the whole store are not kept. */
  put(hash: string, text: string): boolean {
    const kept = this.cache.set(hash, text, text.length * 2);
    if (kept) this.shared?.putOriginal(hash, text);
    return kept;
  }

  /** This process's copy only. */
  get(hash: string): string | undefined {
    return this.cache.get(hash);
  }

  /** This process's copy, else the shared store's (then kept here too). */
  async fetch(hash: string): Promise<string | undefined> {
    const local = this.cache.get(hash);
    if (local !== undefined || !this.shared) return local;
    const remote = await this.shared.getOriginal(hash);
    if (remote !== undefined) this.cache.set(hash, remote, remote.length * 2);
    return remote;
  }

  has(hash: string): boolean {
    return this.get(hash) !== undefined;
  }

  get size(): number {
    return this.cache.count;
  }

  get totalBytes(): number {
    return this.cache.totalSize;
  }

  clear(): void {
    this.cache.clear();
  }
}

/** The process-wide store the proxy and the retrieve routes share. */
export const originals = new OriginalStore();
