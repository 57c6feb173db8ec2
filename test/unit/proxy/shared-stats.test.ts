// The team counters (src/proxy/shared-stats.ts) against a real redis-server: two replicas'
// counts add up per user, model and kind; a batch whose answer was lost (applied, then the
// reply never arrived) is counted once when resent; a Redis that lost its data gets each
// replica's counts again; a replica's counts wait while Redis is down and go when it returns.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisState } from "../../../src/proxy/compress/redis-state.ts";
import { enableSharedStats, type SharedStats } from "../../../src/proxy/shared-stats.ts";
import { type RequestRecord, Stats } from "../../../src/proxy/stats.ts";
import { type Redis, startRedis, teamSkipReason } from "../../support/team.ts";

type J = Record<string, any>;
const skip = teamSkipReason(["redis-server"]);
const quiet = { info() {}, warn() {} };

const rec = (user: string, input: number, extra: Partial<RequestRecord> = {}): RequestRecord => ({
  provider: "anthropic",
  status: 200,
  model: "claude-sonnet-4",
  user,
  latencyMs: 1,
  overheadMs: 0.1,
  usage: { input, output: 2, cacheRead: 3, cacheWrite: 4 } as RequestRecord["usage"],
  ...extra,
});

describe.skipIf(!!skip)("team counters in a real Redis", () => {
  let redis: Redis;
  const states: RedisState[] = [];
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(states.map((s) => s.close()));
    await redis?.stop();
  });

  /** A replica's stats wired to Redis under `prefix`; `state` may be wrapped to simulate failures. */
  async function replica(prefix: string, wrap?: (s: RedisState) => RedisState): Promise<{ stats: Stats; shared: SharedStats; state: RedisState }> {
    const state = new RedisState({ url: redis.url, prefix, originalTtlMs: 60_000, conversationTtlMs: 60_000, maxPending: { originals: 10, conversations: 10 }, local: { original: () => undefined, conversation: () => undefined }, log: quiet });
    states.push(state);
    await state.started;
    const stats = new Stats();
    const shared = enableSharedStats(stats, { state: wrap ? wrap(state) : state, prefix, log: quiet });
    return { stats, shared, state };
  }
  /** The team block of /stats, with lifetime beside it. */
  const team = async (s: SharedStats): Promise<J> => {
    const body = (await s.withTeam({ lifetime: {} })) as J;
    return { ...body.team, lifetime: body.lifetime };
  };

  test("two replicas' counts add up per user, model and compressor kind; the local figures stay each replica's own", async () => {
    const prefix = `t${n++}:`;
    const a = await replica(prefix);
    const b = await replica(prefix);
    const compression = { tokensBefore: 100, tokensAfter: 40, changed: true, failed: false, savedByKind: { json: 60 }, cache: { passthrough: 10.25, billed: 7.1 } };
    a.stats.record(rec("alice", 10, { compression }));
    a.stats.record(rec("bob", 5, { status: 500 }));
    b.stats.record(rec("alice", 7, { model: "gpt-5", provider: "openai" }));
    await a.shared.flush();
    const t = await team(b.shared); // b flushes its own before reading
    expect(t.requests.total).toBe(3);
    expect(t.requests.errors).toBe(1);
    expect(t.requests.by_user.alice).toEqual({ requests: 2, errors: 0, tokens_input: 17, tokens_output: 4, tokens_cache_read: 6, tokens_cache_write: 8, tokens_saved: 60, tokens_net_saved: 3.15 });
    expect(t.requests.by_user.bob.errors).toBe(1);
    expect(t.requests.by_model["gpt-5"]).toMatchObject({ provider: "openai", requests: 1, tokens_input: 7 });
    expect(t.requests.by_provider).toEqual({ anthropic: { requests: 2, tokens_input: 15, tokens_output: 4, tokens_saved: 60 }, openai: { requests: 1, tokens_input: 7, tokens_output: 2, tokens_saved: 0 } });
    expect(t.compressions.by_kind).toEqual({ json: { count: 1, tokens_saved: 60 } });
    expect(t.tokens.before_compression).toBe(100);
    expect(t.tokens.after_compression).toBe(40);
    expect(t.tokens.net_saved).toBe(3.15);
    expect(t.lifetime.team).toMatchObject({ requests: 3, tokens_saved: 60, saved_by_kind: { json: 60 }, tokens_net_saved: 3.15 });
    expect(t.unflushed_requests).toBe(0);
    expect(a.stats.requests).toBe(2);
    expect(b.stats.requests).toBe(1);
  });

  test("a batch applied whose answer was lost is counted once when resent", async () => {
    const prefix = `t${n++}:`;
    let loseNext = false;
    const r = await replica(prefix, (state) => {
      const lossy = Object.create(state) as RedisState;
      lossy.command = async (issue, timeoutMs) => {
        const out = await state.command(issue, timeoutMs);
        if (loseNext) {
          loseNext = false;
          throw new Error("no answer within 1000 ms");
        }
        return out;
      };
      return lossy;
    });
    r.stats.record(rec("alice", 1));
    await r.shared.flush(); // learns the epoch, applies
    r.stats.record(rec("alice", 10));
    loseNext = true;
    await r.shared.flush(); // applied in Redis, but this replica never heard so
    expect(r.shared.unflushed()).toBe(1);
    expect(await redis.command("HGET", `${prefix}s:totals`, "tokens_input")).toBe("11");
    r.stats.record(rec("alice", 100));
    const t = await team(r.shared); // resends the lost batch (skipped), then the new one
    expect(t.requests.by_user.alice.requests).toBe(3);
    expect(t.requests.by_user.alice.tokens_input).toBe(111);
    expect(t.unflushed_requests).toBe(0);
  });

  test("Redis lost its data: each replica adds again what it counted since it started", async () => {
    const prefix = `t${n++}:`;
    const a = await replica(prefix);
    const b = await replica(prefix);
    for (let i = 0; i < 4; i++) a.stats.record(rec("alice", 1));
    b.stats.record(rec("bob", 1));
    await Promise.all([a.shared.flush(), b.shared.flush()]);
    expect((await team(a.shared)).requests.total).toBe(5);
    await redis.command("FLUSHALL");
    expect((await team(a.shared)).requests.total).toBe(0); // nothing to send: Redis as it is
    a.stats.record(rec("alice", 1));
    await a.shared.flush(); // finds a new epoch: sends its 5
    b.stats.record(rec("bob", 1));
    const t = await team(b.shared); // and b its 2
    expect(t.requests.by_user).toMatchObject({ alice: { requests: 5 }, bob: { requests: 2 } });
    expect(t.requests.total).toBe(7);
  });

  test("Redis down: counts wait on the replica, /stats says stale, and they go when it returns", async () => {
    const prefix = `t${n++}:`;
    const r = await replica(prefix);
    r.stats.record(rec("alice", 1));
    expect((await team(r.shared)).requests.total).toBe(1);
    await redis.stop();
    for (let i = 0; i < 3; i++) r.stats.record(rec("alice", 1));
    const down = await team(r.shared);
    expect(down.unflushed_requests).toBe(3);
    expect(down.stale).toContain("Redis did not answer");
    expect(down.requests.total).toBe(1); // the last figures read
    expect(r.state.health().degraded).toBeDefined();
    await redis.start();
    const deadline = Date.now() + 10_000;
    while (!r.state.health().connected && Date.now() < deadline) await Bun.sleep(20);
    const up = await team(r.shared);
    // Redis came back empty: the replica's 4 requests since it started, once each.
    expect(up.requests.total).toBe(4);
    expect(up.unflushed_requests).toBe(0);
    expect(up.stale).toBeUndefined();
  });
});
