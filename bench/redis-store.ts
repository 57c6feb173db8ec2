// What sharing the compression state in Redis costs (HEADROOM_REDIS_URL), on loopback with
// a real redis-server and a real haproxy, all measured in the same run:
// 1. added latency of a compressed request: a proxy with the Redis store against one with
//    the in-memory store, requests alternating between them (token mode: a fresh tool
//    output per request, its original written to Redis; cache mode: a growing conversation,
//    its state read from and written to Redis every turn), and the upstream direct;
// 2. throughput at concurrency 32 of one replica (in memory, the baseline), one with Redis,
//    one with Redis behind haproxy, and three with Redis behind haproxy. On a machine with
//    two cores three replicas cannot scale: this measures what the balancer and Redis cost,
//    not how far replicas scale;
// 3. start-up to /readyz with and without Redis.
// Ratios are against the baseline of the same run. Bounded: ROUNDS (300) alternating
// requests per mode, REQUESTS (3000) per throughput case.
//   bun bench/redis-store.ts      (HEADROOM_TEST_BIN overrides dist/headroom)
import { resolve } from "node:path";
import { type Replica, startBalancer, startRedis, startReplica, teamSkipReason } from "../test/support/team.ts";
import { fmt, freePort, percentile, spawnChild, waitReady } from "./support/common.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 300);
const WARMUP = 30;
const REQUESTS = Number(process.env.REQUESTS ?? 3000);
const CONCURRENCY = 32;

if (teamSkipReason(["redis-server", "haproxy"])) process.exit(0);

const headers = { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" };
const rows = (n: number, tag: string) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, name: `item ${tag}${i}`, status: "ok", size: 100 + (i % 5) })), null, 2);
const tools = [{ name: "list", description: "Lists items.", input_schema: { type: "object", properties: {} } }];
const toolTurn = (content: string, id: string) => [
  { role: "assistant", content: [{ type: "tool_use", id, name: "list", input: {} }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: id, content }] },
];
/** Token mode: a fresh output, followed by a turn (the newest output is kept whole for one turn). */
const tokenBody = (i: number) =>
  JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, tools, messages: [{ role: "user", content: "list" }, ...toolTurn(rows(120, `t${i}-`), `t${i}`), { role: "assistant", content: "ok" }, { role: "user", content: "go on" }] });
/** Cache mode: conversation `i / 30`, turn `i % 30`: every earlier output frozen, one new. */
function cacheBody(i: number): string {
  const conv = Math.floor(i / 30);
  const turns = (i % 30) + 1;
  const messages: unknown[] = [{ role: "user", content: [{ type: "text", text: `conversation ${conv}: list things` }] }];
  for (let t = 0; t < turns; t++) messages.push(...toolTurn(rows(120, `c${conv}-${t}-`), `c${conv}-${t}`));
  (messages.at(-1) as { content: Record<string, unknown>[] }).content[0]!.cache_control = { type: "ephemeral" };
  return JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, system: [{ type: "text", text: "You are an agent." }], tools, messages });
}

async function once(base: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/messages`, { method: "POST", headers, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${base} answered ${res.status}`);
  return performance.now() - t0;
}

async function throughput(base: string, bodies: string[]): Promise<{ rps: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        try {
          const res = await fetch(`${base}/v1/messages`, { method: "POST", headers, body });
          await res.arrayBuffer();
          if (res.status !== 200) failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { rps: bodies.length / ((performance.now() - t0) / 1000), failed };
}

const redis = await startRedis();
const upPort = freePort();
spawnChild([process.execPath, resolve(import.meta.dir, "support/upstream-server.ts"), String(upPort)]);
const upstream = `http://127.0.0.1:${upPort}`;
await waitReady(`${upstream}/v1/models`);
const started: Replica[] = [];
const replica = async (name: string, redisPrefix: string | null, args: string[] = []) => {
  const r = await startReplica(name, upstream, redisPrefix ? { HEADROOM_REDIS_URL: redis.url, HEADROOM_REDIS_PREFIX: redisPrefix } : {}, args);
  started.push(r);
  return r;
};
const stopAll = async () => {
  await Promise.all(started.splice(0).map((r) => r.kill()));
};

try {
  console.log(`redis-server ${String(await redis.command("INFO", "server")).match(/redis_version:(\S+)/)?.[1]}, haproxy, ${navigator.hardwareConcurrency} cores; loopback`);

  // ---- 1. added latency of a compressed request
  for (const mode of ["token", "cache"] as const) {
    const memory = await replica(`mem-${mode}`, null, ["--mode", mode]);
    const shared = await replica(`redis-${mode}`, `bench:${mode}:`, ["--mode", mode]);
    const make = mode === "token" ? tokenBody : cacheBody;
    const samples = { direct: [] as number[], memory: [] as number[], redis: [] as number[] };
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const body = make(i);
      const d = await once(upstream, body);
      const m = await once(memory.url, body);
      const r = await once(shared.url, body);
      if (i < WARMUP) continue;
      samples.direct.push(d);
      samples.memory.push(m);
      samples.redis.push(r);
    }
    const p = (xs: number[], q: number) => percentile(xs, q);
    const added = p(samples.redis, 0.5) - p(samples.memory, 0.5);
    const kb = (i: number) => (make(i).length / 1024).toFixed(0);
    const size = mode === "token" ? `${kb(0)} KB, a fresh output each` : `${kb(0)}-${kb(29)} KB, 30-turn conversations, one fresh output per turn`;
    console.log(`\n${mode} mode, compressed request (${size}), ${ROUNDS} rounds alternating:`);
    for (const [name, xs] of Object.entries(samples)) console.log(`  ${name.padEnd(8)} p50 ${fmt(p(xs, 0.5))} ms   p90 ${fmt(p(xs, 0.9))} ms`);
    console.log(`  Redis store minus in-memory at p50: ${fmt(added)} ms (target < 1 ms); ratio ${fmt(p(samples.redis, 0.5) / p(samples.memory, 0.5), 2)}x`);
    const keys = Number(await redis.command("DBSIZE"));
    console.log(`  keys in Redis after the run: ${keys}`);
    await stopAll();
  }

  // ---- 2. throughput
  const bodies = Array.from({ length: REQUESTS }, (_, i) => tokenBody(100_000 + i));
  const warm = bodies.slice(0, 200);
  console.log(`\nthroughput, ${REQUESTS} compressed requests (token mode) at concurrency ${CONCURRENCY}; ${navigator.hardwareConcurrency} cores, so this is the balancer's and Redis's cost, not scale:`);
  const direct = async (r: Promise<Replica>) => ({ url: (await r).url, stop: async () => {} });
  const cases: [string, () => Promise<{ url: string; stop(): Promise<void> }>][] = [
    ["1 replica, in memory (baseline)", () => direct(replica("tp-mem", null))],
    ["1 replica, Redis", () => direct(replica("tp-redis", "bench:tp1:"))],
    ["1 replica, Redis, haproxy", async () => startBalancer([await replica("r1", "bench:tp2:")])],
    ["3 replicas, Redis, haproxy", async () => startBalancer(await Promise.all(["r1", "r2", "r3"].map((n) => replica(n, "bench:tp3:"))))],
  ];
  let baseline = 0;
  for (const [name, setup] of cases) {
    const target = await setup();
    await throughput(target.url, warm);
    const { rps, failed } = await throughput(target.url, bodies);
    baseline ||= rps;
    console.log(`  ${name.padEnd(30)} ${rps.toFixed(0).padStart(6)} req/s   ${fmt(rps / baseline, 2)}x baseline${failed ? `   ${failed} failed` : ""}`);
    await target.stop();
    await stopAll();
  }

  // ---- 3. start-up
  const starts = { memory: [] as number[], redis: [] as number[] };
  for (let i = 0; i < 8; i++) {
    for (const kind of ["memory", "redis"] as const) {
      const t0 = performance.now();
      await replica(`start-${kind}`, kind === "redis" ? "bench:start:" : null);
      starts[kind].push(performance.now() - t0);
      await stopAll();
    }
  }
  console.log(`\nstart-up to /readyz (8 each, alternating): in memory p50 ${fmt(percentile(starts.memory, 0.5), 1)} ms, with Redis p50 ${fmt(percentile(starts.redis, 0.5), 1)} ms`);
} finally {
  await stopAll();
  await redis.stop();
}
process.exit(0);
