// Cache mode's memory: per conversation, what each earlier message was (hash of the
// client's version) and the exact object forwarded for it, so that a prefix the provider
// has cached is forwarded byte-identical on the next turn. Bounded, least recently used out.
import { contentHash, quickKey } from "./hash.ts";

export interface ConversationState {
  originals: string[];
  forwarded: unknown[];
}

const MAX_CONVERSATIONS = 256;
const TTL_MS = 60 * 60_000;

export class ConversationCache {
  private map = new Map<string, { state: ConversationState; at: number }>();
  constructor(private now: () => number = Date.now) {}

  get(key: string): ConversationState | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    if (this.now() - hit.at > TTL_MS) return undefined;
    this.map.set(key, hit);
    return hit.state;
  }

  set(key: string, state: ConversationState): void {
    this.map.delete(key);
    this.map.set(key, { state, at: this.now() });
    while (this.map.size > MAX_CONVERSATIONS) this.map.delete(this.map.keys().next().value!);
  }

  clear(): void {
    this.map.clear();
  }
}

export const conversations = new ConversationCache();

export function itemHash(item: unknown): string {
  return quickKey(JSON.stringify(item) ?? "");
}

/** A conversation is named by its API, system prompt and first message. */
export function conversationKey(api: string, system: unknown, first: unknown): string {
  return contentHash(`${api}\u0000${JSON.stringify(system ?? null)}\u0000${JSON.stringify(first ?? null)}`);
}
