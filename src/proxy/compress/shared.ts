// The seam to compression state shared by the replicas of one deployment (a team gateway
// behind a balancer). With HEADROOM_REDIS_URL the store of originals (store.ts) and cache
// mode's conversation memory (conversations.ts) are mirrored in Redis (redis-state.ts,
// imported only then); without it nothing here runs and both stay in this process only.
//
// The local stores stay the first word for everything written here: a write goes to the
// local LRU at once and to Redis without waiting; a read that misses locally asks Redis.
import type { RedisState } from "./redis-state.ts";
import type { Mirrored, SharedBackend, SharedHealth } from "./state-types.ts";

let current: { backend: SharedBackend; targets: Mirrored[] } | undefined;

export function attachShared(backend: SharedBackend, targets: Mirrored[]): void {
  detachShared();
  for (const t of targets) t.shared = backend;
  current = { backend, targets };
}

/** Stops mirroring (the local stores keep what they hold). */
export function detachShared(backend?: SharedBackend): void {
  if (!current || (backend && current.backend !== backend)) return;
  for (const t of current.targets) if (t.shared === current.backend) delete t.shared;
  current = undefined;
}

/** The shared store's state for /health; undefined when there is none. */
export function sharedHealth(): SharedHealth | undefined {
  return current?.backend.health();
}

export interface SharedOptions {
  url: string;
  prefix: string;
  log: { info(m: string): void; warn(m: string): void };
}

/**
 * Connects the process-wide stores to Redis (loads the Redis code only now). Resolves once
 * the first connection attempt ended, at most after about a second: an unreachable Redis
 * never keeps the proxy from starting, it starts degraded and keeps retrying.
 */
export async function enableSharedState(opts: SharedOptions): Promise<RedisState> {
  const [{ RedisState }, { originals }, { conversations, CONVERSATION_LIMITS }] = await Promise.all([
    import("./redis-state.ts"),
    import("./store.ts"),
    import("./conversations.ts"),
  ]);
  const backend = new RedisState({
    url: opts.url,
    prefix: opts.prefix,
    originalTtlMs: originals.limits.ttlMs,
    conversationTtlMs: CONVERSATION_LIMITS.ttlMs,
    maxPending: { originals: originals.limits.maxEntries, conversations: CONVERSATION_LIMITS.maxEntries },
    local: { original: (h) => originals.get(h), conversation: (k) => conversations.get(k) },
    log: opts.log,
  });
  attachShared(backend, [originals, conversations]);
  await backend.started;
  return backend;
}
