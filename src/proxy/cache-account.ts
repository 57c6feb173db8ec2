// What compression saved on the user's bill once prompt caching is priced in: per
// Anthropic request, the prompt-cache emulator (prompt-cache.ts) bills both the body the
// client sent (what passthrough would have cost) and the body headroom forwarded, each
// against its own emulated cache, so net saving = bill(original) - bill(forwarded). A
// compression that busts the provider's cache shows up here as a negative saving even
// when it removed tokens.
//
// Memory is bounded: a conversation's state is only its stored prefix hashes (two small
// LRU maps of 64-bit hashes, one per world), and conversations themselves are least
// recently used out. A conversation is named by its model, system prompt and first
// message (without cache_control), as the provider's cache would see them; the same
// prefix in two conversations is billed in each (the provider would share it).
import { canonicalJson, type CacheBlock, cacheBlocks, PromptCache } from "./prompt-cache.ts";

export interface CacheNet {
  /** Emulated billed input of the request as the client sent it (base-input tokens). */
  passthrough: number;
  /** Emulated billed input of the request as forwarded. */
  billed: number;
}

export interface CacheAccountOptions {
  /** Conversations remembered (default 512). */
  maxConversations?: number;
  /** Stored prefixes per conversation and world (default 64). */
  maxEntries?: number;
  /** Lifetime of a cached prefix (default the provider's 5 minutes). */
  ttlMs?: number;
  now?: () => number;
}

interface Conversation {
  original: PromptCache;
  forwarded: PromptCache;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function conversationKey(body: Obj): bigint {
  const first = Array.isArray(body.messages) ? body.messages[0] : undefined;
  const model = typeof body.model === "string" ? body.model : "";
  return Bun.hash.wyhash(`${model}\u0000${canonicalJson(body.system ?? null)}\u0000${canonicalJson(first ?? null)}`);
}

export class CacheAccount {
  /** Map order is least recently used first. */
  private readonly conversations = new Map<bigint, Conversation>();
  private readonly maxConversations: number;
  private readonly cacheOptions: { maxEntries: number; ttlMs?: number; now?: () => number };

  constructor(opts: CacheAccountOptions = {}) {
    this.maxConversations = opts.maxConversations ?? 512;
    this.cacheOptions = { maxEntries: opts.maxEntries ?? 64, ttlMs: opts.ttlMs, now: opts.now };
  }

  get size(): number {
    return this.conversations.size;
  }

  private conversation(key: bigint): Conversation {
    let c = this.conversations.get(key);
    if (c) this.conversations.delete(key);
    else c = { original: new PromptCache(this.cacheOptions), forwarded: new PromptCache(this.cacheOptions) };
    this.conversations.set(key, c);
    if (this.conversations.size > this.maxConversations) this.conversations.delete(this.conversations.keys().next().value!);
    return c;
  }

  /**
   * Bills one Anthropic Messages request in both worlds and updates the conversation's
   * emulated caches. `forwarded` is undefined when headroom forwarded the original (the
   * saving is 0; the blocks are hashed once). Undefined for bodies that are not Messages
   * requests or that the provider would reject (more than four breakpoints).
   */
  observe(original: unknown, forwarded?: unknown): CacheNet | undefined {
    if (!isObj(original) || !Array.isArray(original.messages)) return undefined;
    try {
      const changed = forwarded !== undefined && forwarded !== original;
      // The forwarded body shares its untouched blocks with the original: serialise them once.
      const memo = changed ? new Map<unknown, string>() : undefined;
      const sent = cacheBlocks(original, memo);
      let out: CacheBlock[] = sent;
      if (changed) {
        if (!isObj(forwarded) || !Array.isArray(forwarded.messages)) return undefined;
        out = cacheBlocks(forwarded, memo);
      }
      const c = this.conversation(conversationKey(original));
      const passthrough = c.original.billBlocks(sent).billed;
      const billed = c.forwarded.billBlocks(out).billed;
      return { passthrough, billed };
    } catch {
      // TooManyBreakpoints: the provider rejects the request, nothing is billed. The
      // accounting never fails a request, whatever else went wrong.
      return undefined;
    }
  }
}
