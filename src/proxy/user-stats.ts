// Per-user counters of a gateway with HEADROOM_TOKENS_FILE (SPEC 10): the user is the
// tokens file's name for the caller's token (RouteInfo.user -> RequestRecord.user). Fed by
// Stats.record for every request that carries a user; read by /stats (requests.by_user).
// /metrics carries the user as a `user` label on its request and token families
// (Stats.requestSeries / tokenSeries), not from here. In memory, per replica, like
// the rest of the stats until they move to Redis. The number of users is bounded by the
// tokens file.
import type { RequestRecord } from "./request-record.ts";

export interface UserCounters {
  requests: number;
  errors: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** Estimated request tokens removed by compression. */
  saved: number;
  /** Emulated prompt-cache bill as sent minus as forwarded (base-input tokens). */
  netSaved: number;
}

export class ByUser {
  readonly users = new Map<string, UserCounters>();

  record(r: RequestRecord & { user?: string }): void {
    if (r.user === undefined) return;
    let u = this.users.get(r.user);
    if (!u) {
      u = { requests: 0, errors: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, saved: 0, netSaved: 0 };
      this.users.set(r.user, u);
    }
    u.requests++;
    if (r.status >= 400) u.errors++;
    if (r.usage) {
      u.input += r.usage.input;
      u.output += r.usage.output;
      u.cacheRead += r.usage.cacheRead;
      u.cacheWrite += r.usage.cacheWrite;
    }
    const c = r.compression;
    if (c) {
      if (c.changed) u.saved += Math.max(0, c.tokensBefore - c.tokensAfter);
      // As in Stats.record: a rejected request is not billed.
      if (c.cache && r.status < 400) u.netSaved += c.cache.passthrough - c.cache.billed;
    }
  }
}
