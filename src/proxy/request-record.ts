// What one finished request leaves for the counters: the forwarder (forward.ts) and the
// WebSocket relay (ws-responses.ts) make one, the stats (stats.ts), the per-user counters
// (user-stats.ts) and the savings ledger (ledger.ts) read it. Types only.
import type { CacheNet } from "./cache-account.ts";
import type { Provider } from "./routing.ts";
import type { Usage } from "./usage.ts";

export interface CompressionRecord {
  tokensBefore: number;
  tokensAfter: number;
  changed: boolean;
  failed: boolean;
  savedByKind: Record<string, number>;
  /** Emulated prompt-cache bill of the original and the forwarded body (Anthropic requests the compressor saw). */
  cache?: CacheNet;
}

export interface RequestRecord {
  provider: Provider;
  status: number;
  model?: string;
  project?: string;
  /** The gateway user (HEADROOM_TOKENS_FILE), counted in byUser. */
  user?: string;
  usage?: Usage;
  /** Arrival to last byte relayed. */
  latencyMs: number;
  /** Time spent in the proxy itself: before the upstream call and after its headers arrived. */
  overheadMs: number;
  compression?: CompressionRecord;
}
