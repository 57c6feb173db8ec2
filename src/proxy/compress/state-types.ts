// The shapes that the local stores of compression state (store.ts, conversations.ts) and
// a shared backend (shared.ts, redis-state.ts) hand each other. Types only: every one of
// those files imports them from here, so none of them needs another's module for a type.

/** Cache mode's memory of one conversation (conversations.ts). */
export interface ConversationState {
  /** Key of each message as the client sent it. */
  originals: string[];
  /** Each compressed message exactly as it was forwarded (null for the others). */
  forwarded: unknown[];
  /** Whether the forwarded message differs from the client's (compressed). */
  changed: boolean[];
}

/** What the local stores hand to a shared backend. */
export interface SharedBackend {
  /** Mirrors an original the local store accepted (fire and forget). */
  putOriginal(hash: string, text: string): void;
  /** The original from the shared store, or undefined (absent, or the store unreachable). */
  getOriginal(hash: string): Promise<string | undefined>;
  /** Mirrors a conversation's state the local cache accepted (fire and forget). */
  putConversation(key: string, state: ConversationState): void;
  /**
   * The conversation's shared state when it differs from `local` (another replica moved
   * the conversation on); null when the local one is as fresh, absent, or unreachable.
   */
  fetchConversation(key: string, local: ConversationState | undefined): Promise<ConversationState | null>;
  health(): SharedHealth;
  close(): Promise<void>;
}

/** For /health (any caller: no address, no prefix; the log names the server). */
export interface SharedHealth {
  backend: "redis";
  connected: boolean;
  /** Why the shared store is not serving (unset when it is). */
  degraded?: string;
  /** Entries written while the store was unreachable, pushed again when it returns. */
  unshared: number;
}

/** Local stores that mirror into the shared backend while one is attached. */
export interface Mirrored {
  shared?: SharedBackend;
}
