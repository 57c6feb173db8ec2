// Cache mode's memory: per conversation, what each earlier message was (hash of the
// client's version) and the exact object forwarded for it, so that a prefix the provider
// has cached is forwarded byte-identical on the next turn. Bounded, least recently used out.
// With a shared store attached (shared.ts: Redis) the replicas of a deployment share it, so
// a conversation whose turns land on different replicas keeps its frozen bytes.
import { isObj } from "./apis/types.ts";
import { BoundedCache } from "./bounded-cache.ts";
import { contentHash, quickKey } from "./hash.ts";
import type { ConversationState, Mirrored, SharedBackend } from "./state-types.ts";
import { bodyChars } from "./tokens.ts";

export type { ConversationState };

export const CONVERSATION_LIMITS = { maxEntries: 256, maxSize: 64 * 1024 * 1024, ttlMs: 60 * 60_000 };

const sizeOf = (state: ConversationState) => bodyChars(state.forwarded) + state.originals.length * 16;

/** Conversations by key; a conversation's size is the characters of what was forwarded. */
export class ConversationCache implements Mirrored {
  private cache: BoundedCache<ConversationState>;
  shared?: SharedBackend;
  constructor(now: () => number = Date.now) {
    this.cache = new BoundedCache(CONVERSATION_LIMITS, now);
  }

  /** This process's copy only. */
  get(key: string): ConversationState | undefined {
    return this.cache.get(key);
  }

  /**
   * The freshest state: the shared store's when another replica moved the conversation on
   * since this one saw it (then kept here too), else this process's copy.
   */
  async fetch(key: string): Promise<ConversationState | undefined> {
    const local = this.cache.get(key);
    if (!this.shared) return local;
    const remote = await this.shared.fetchConversation(key, local);
    if (!remote) return local;
    this.cache.set(key, remote, sizeOf(remote));
    return remote;
  }

  /** Keeps the state; one above the size cap is not kept (here nor in the shared store). */
  set(key: string, state: ConversationState): void {
    if (this.cache.set(key, state, sizeOf(state))) this.shared?.putConversation(key, state);
  }

  clear(): void {
    this.cache.clear();
  }
}

export const conversations = new ConversationCache();

/**
 * A message's key for prefix matching. `cache_control` is left out: clients (Claude Code)
 * move their cache breakpoint to the newest message every turn, which changes no content
 * the provider caches.
 */
export function itemHash(item: unknown): string {
  return quickKey(JSON.stringify(item, (k, v) => (k === "cache_control" ? undefined : v)) ?? "");
}

/** The frozen message with the client's current cache_control placement on its blocks. */
export function withCurrentCacheControl(frozen: unknown, current: unknown): unknown {
  if (!isObj(frozen) || !isObj(current)) return frozen;
  const blocks = frozen.content;
  const now = current.content;
  if (!Array.isArray(blocks) || !Array.isArray(now) || blocks.length !== now.length) return frozen;
  let content: unknown[] | null = null;
  blocks.forEach((block: unknown, j) => {
    const sent: unknown = now[j];
    const want = isObj(sent) ? sent.cache_control : undefined;
    if (!isObj(block)) return;
    if (JSON.stringify(block.cache_control) === JSON.stringify(want)) return;
    content ??= blocks.slice();
    const next = { ...block };
    if (want === undefined) delete next.cache_control;
    else next.cache_control = want;
    content[j] = next;
  });
  return content ? { ...frozen, content } : frozen;
}

/** A conversation is named by its API, system prompt and first two messages. */
export function conversationKey(api: string, system: unknown, first: unknown): string {
  return contentHash(`${api}\u0000${JSON.stringify(system ?? null)}\u0000${JSON.stringify(first ?? null)}`);
}
