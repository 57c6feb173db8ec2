// The Redis mirror of the originals store and cache mode's memory (redis-state.ts) against a
// real redis-server: keys carry the stores' TTLs under the deployment's prefix, the size
// caps hold, a newer state from another replica wins and an older one does not, a server
// that stops answering costs a read at most its timeout, and without HEADROOM_REDIS_URL no
// Redis code is loaded at all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConversationCache, type ConversationState } from "../../../src/proxy/compress/conversations.ts";
import { RedisState } from "../../../src/proxy/compress/redis-state.ts";
import { attachShared, detachShared } from "../../../src/proxy/compress/shared.ts";
import { OriginalStore } from "../../../src/proxy/compress/store.ts";
import { resolveProxyConfig } from "../../../src/proxy/config.ts";
import { type Redis, startRedis, teamSkipReason } from "../../support/team.ts";

const skip = teamSkipReason(["redis-server"]);
const quiet = { info() {}, warn() {} };
const MIN = 60_000;

let redis: Redis;
const made: RedisState[] = [];

const warnings: string[] = [];
const quietButWarnings = { info() {}, warn: (m: string) => warnings.push(m) };

function mirror(store: OriginalStore, convs: ConversationCache, prefix: string, readTimeoutMs = 250): RedisState {
  const state = new RedisState({
    url: redis.url,
    prefix,
    originalTtlMs: store.limits.ttlMs,
    conversationTtlMs: 60 * MIN,
    maxPending: { originals: 100, conversations: 10 },
    local: { original: (h) => store.get(h), conversation: (k) => convs.get(k) },
    log: quietButWarnings,
    readTimeoutMs,
  });
  made.push(state);
  return state;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const state = (n: number, tag = "x"): ConversationState => ({
  originals: Array.from({ length: n }, (_, i) => `${tag}${i}`),
  forwarded: Array.from({ length: n }, (_, i) => (i % 2 ? { role: "user", content: `compressed ${tag}${i}` } : null)),
  changed: Array.from({ length: n }, (_, i) => i % 2 === 1),
});

describe.skipIf(!!skip)("Redis mirror", () => {
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    detachShared();
    for (const s of made) await s.close();
    await redis?.stop();
  }, 30_000);

  test("originals and conversations are written under the prefix with the stores' TTLs, and read back by another replica", async () => {
    const [storeA, convA, storeB, convB] = [new OriginalStore(), new ConversationCache(), new OriginalStore(), new ConversationCache()];
    const a = mirror(storeA, convA, "hr:ttl:");
    const b = mirror(storeB, convB, "hr:ttl:");
    await Promise.all([a.started, b.started]);
    attachShared(a, [storeA, convA]);
    storeA.put("a".repeat(24), "the original");
    convA.set("conv1", state(3));
    await until("the writes", async () => (await redis.command("EXISTS", "hr:ttl:cs:conv1")) === 1);
    const pttl = Number(await redis.command("PTTL", `hr:ttl:o:${"a".repeat(24)}`));
    expect(pttl).toBeGreaterThan(29 * MIN);
    expect(pttl).toBeLessThanOrEqual(30 * MIN);
    expect(Number(await redis.command("PTTL", "hr:ttl:c:conv1"))).toBeGreaterThan(59 * MIN);

    attachShared(b, [storeB, convB]);
    expect(storeB.get("a".repeat(24))).toBeUndefined();
    expect(await storeB.fetch("a".repeat(24))).toBe("the original");
    expect(storeB.get("a".repeat(24))).toBe("the original"); // kept locally from then on
    expect(await convB.fetch("conv1")).toEqual(state(3));
    expect(await storeB.fetch("b".repeat(24))).toBeUndefined();
  }, 30_000);

  test("a newer state from another replica wins over the local copy; an older one does not", async () => {
    const [storeA, convA, storeB, convB] = [new OriginalStore(), new ConversationCache(), new OriginalStore(), new ConversationCache()];
    const a = mirror(storeA, convA, "hr:fresh:");
    const b = mirror(storeB, convB, "hr:fresh:");
    await Promise.all([a.started, b.started]);
    attachShared(a, [storeA, convA]);
    convA.set("k", state(3));
    await until("A's write", async () => (await redis.command("EXISTS", "hr:fresh:cs:k")) === 1);
    attachShared(b, [storeB, convB]);
    expect(await convB.fetch("k")).toEqual(state(3));
    convB.set("k", state(5)); // B moves the conversation on
    await until("B's write", async () => JSON.parse(String(await redis.command("GET", "hr:fresh:c:k"))).originals.length === 5);

    attachShared(a, [storeA, convA]);
    expect(convA.get("k")).toEqual(state(3));
    expect(await convA.fetch("k")).toEqual(state(5));
    // A state Redis holds that is a prefix of the local one (older) is not taken.
    const older = state(2);
    await redis.command("SET", "hr:fresh:c:k", JSON.stringify(older));
    await redis.command("SET", "hr:fresh:cs:k", "some-other-stamp");
    expect(await convA.fetch("k")).toEqual(state(5));
    // A different history (the client edited it) is.
    const edited = state(4, "y");
    await redis.command("SET", "hr:fresh:c:k", JSON.stringify(edited));
    expect(await convA.fetch("k")).toEqual(edited);
  }, 30_000);

  test("the size caps hold: an original or a conversation larger than its store is kept nowhere", async () => {
    const store = new OriginalStore({ ttlMs: 30 * MIN, maxBytes: 1000, maxEntries: 10 });
    const convs = new ConversationCache();
    const s = mirror(store, convs, "hr:cap:");
    await s.started;
    attachShared(s, [store, convs]);
    expect(store.put("c".repeat(24), "x".repeat(600))).toBe(false); // 1200 bytes > 1000
    expect(store.put("d".repeat(24), "small")).toBe(true);
    const huge: ConversationState = { originals: ["h"], forwarded: [{ content: "z".repeat(64 * 1024 * 1024 + 1) }], changed: [true] };
    convs.set("huge", huge);
    await until("the small one", async () => (await redis.command("EXISTS", `hr:cap:o:${"d".repeat(24)}`)) === 1);
    expect(await redis.command("EXISTS", `hr:cap:o:${"c".repeat(24)}`)).toBe(0);
    expect(await redis.command("EXISTS", "hr:cap:c:huge")).toBe(0);
    expect(convs.get("huge")).toBeUndefined();
  }, 30_000);

  test("a server that stops answering: reads give up after their timeout, health says degraded, and it recovers", async () => {
    const store = new OriginalStore();
    const convs = new ConversationCache();
    const s = mirror(store, convs, "hr:stop:", 150);
    await s.started;
    attachShared(s, [store, convs]);
    store.put("e".repeat(24), "before the stop");
    await until("the write", async () => (await redis.command("EXISTS", `hr:stop:o:${"e".repeat(24)}`)) === 1);
    const pid = Number(String(await redis.command("INFO", "server")).match(/process_id:(\d+)/)![1]);
    process.kill(pid, "SIGSTOP");
    try {
      expect(await store.fetch("f".repeat(24))).toBeUndefined();
      expect(s.health().degraded).toContain("no answer within 150 ms");
      expect(await convs.fetch("nothing")).toBeUndefined();
      store.put("g".repeat(24), "written while it was silent");
      // Silent for longer than the reset delay: the connection is dropped and made anew
      // (a peer that vanished without closing never would close it).
      const t0 = Date.now();
      while (Date.now() - t0 < 2300) {
        expect(await store.fetch("f".repeat(24))).toBeUndefined();
        await Bun.sleep(50);
      }
      expect(s.health().degraded).toBeDefined();
      expect(warnings.some((w) => w.includes("connecting anew"))).toBe(true);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await until("recovery", async () => {
      await store.fetch("h".repeat(24));
      return s.health().degraded === undefined;
    });
    const other = new OriginalStore();
    const o = mirror(other, new ConversationCache(), "hr:stop:");
    await o.started;
    attachShared(o, [other]);
    await until("the write made while silent", async () => (await other.fetch("g".repeat(24))) === "written while it was silent");
  }, 30_000);

  test("an unreachable URL does not hold up the start; health says why", async () => {
    const store = new OriginalStore();
    const s = new RedisState({
      url: "redis://127.0.0.1:1",
      prefix: "hr:none:",
      originalTtlMs: 30 * MIN,
      conversationTtlMs: 60 * MIN,
      maxPending: { originals: 10, conversations: 10 },
      local: { original: (h) => store.get(h), conversation: () => undefined },
      log: quiet,
    });
    made.push(s);
    await s.started;
    attachShared(s, [store]);
    expect(store.put("i".repeat(24), "local only")).toBe(true);
    expect(await store.fetch("i".repeat(24))).toBe("local only");
    expect(await store.fetch("j".repeat(24))).toBeUndefined();
    const h = s.health();
    expect(h.connected).toBe(false);
    expect(h.degraded).toContain("Redis is unreachable");
    expect(h.unshared).toBe(1);
    expect(JSON.stringify(h)).not.toContain("127.0.0.1"); // /health is public: no address
  }, 30_000);
});

describe("configuration", () => {
  test("HEADROOM_REDIS_PREFIX defaults to headroom:<deployment profile, else port>:; nothing without HEADROOM_REDIS_URL", () => {
    expect(resolveProxyConfig({}, {}).redisUrl).toBeUndefined();
    expect(resolveProxyConfig({}, {}).redisPrefix).toBeUndefined();
    expect(resolveProxyConfig({ port: 9000 }, { HEADROOM_REDIS_URL: "redis://r:6379" }).redisPrefix).toBe("headroom:9000:");
    expect(resolveProxyConfig({}, { HEADROOM_REDIS_URL: "redis://r", HEADROOM_DEPLOYMENT_PROFILE: "team" }).redisPrefix).toBe("headroom:team:");
    expect(resolveProxyConfig({}, { HEADROOM_REDIS_URL: "redis://r", HEADROOM_REDIS_PREFIX: "gw:" }).redisPrefix).toBe("gw:");
  }, 30_000);

  test("without HEADROOM_REDIS_URL the proxy never loads the Redis code", async () => {
    const script = `
      const { startProxy } = await import(${JSON.stringify(resolve(import.meta.dir, "../../../src/proxy/server.ts"))});
      const { resolveProxyConfig } = await import(${JSON.stringify(resolve(import.meta.dir, "../../../src/proxy/config.ts"))});
      const log = { level: "error", enabled: () => false, debug() {}, info() {}, warn() {}, error() {} };
      const env = { HEADROOM_WORKSPACE_DIR: process.env.WS, ...(process.env.URL ? { HEADROOM_REDIS_URL: process.env.URL } : {}) };
      const p = await startProxy(resolveProxyConfig({ port: 0 }, env), { log });
      await fetch(p.url + "/health");
      console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes("redis-state"))));
      await p.stop(10);`;
    const run = (url: string) => {
      const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, WS: `/tmp/headroom-redis-load-${process.pid}`, URL: url }, stdout: "pipe", stderr: "pipe" });
      return JSON.parse(r.stdout.toString().trim().split("\n").at(-1)!) as string[];
    };
    expect(run("")).toEqual([]);
    expect(run("redis://127.0.0.1:1")).toHaveLength(1); // the control: with it, it is loaded
  }, 30_000);
});
