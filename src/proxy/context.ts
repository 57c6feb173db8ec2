// What every route handler shares: settings, counters, the ledger, the log and the
// lifecycle flags.
import type { compressRequest, handleRetrievals } from "./compress/index.ts";
import type { ProxyConfig } from "./config.ts";
import type { Ledger } from "./ledger.ts";
import type { Logger } from "./log.ts";
import type { Stats } from "./stats.ts";
import type { TokenTable } from "./tokens.ts";
import type { RetryPolicy } from "./upstream.ts";

export interface Lifecycle {
  /** False while starting and once draining begins. */
  ready: boolean;
  draining: boolean;
  /** Forwarded requests whose response has not finished. */
  inFlight: number;
}

/** The compression engine's entry points (replaceable in tests). */
export interface CompressionSeam {
  compressRequest: typeof compressRequest;
  handleRetrievals: typeof handleRetrievals;
}

export interface ProxyContext {
  config: ProxyConfig;
  /** The port actually bound (differs from config.port when it was 0). */
  port: number;
  stats: Stats;
  ledger: Ledger;
  log: Logger;
  retry: RetryPolicy;
  life: Lifecycle;
  compression: CompressionSeam;
  /** HEADROOM_TOKENS_FILE's per-user tokens, when set (guard.ts). */
  tokens?: TokenTable;
  /** HEADROOM_REDIS_URL: the team's counters in Redis, added to /stats (shared-stats.ts). */
  teamStats?: { withTeam(body: Record<string, unknown>): Promise<Record<string, unknown>>; close(): Promise<void> };
  /** Resolves when inFlight drops to 0 (set while draining). */
  onIdle?: () => void;
}
