// Three compiled `headroom proxy` replicas behind a real haproxy (round robin, loopback)
// sharing one real redis-server: a tool output compressed through the balancer is
// retrieved through it whichever replica answers (GET /v1/retrieve and headroom_retrieve
// round trips); and a bounded load run (10,000 requests at concurrency 32) with one replica
// killed (SIGKILL) mid-run fails no request that was not in flight on that replica.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { markerHashes } from "../../src/proxy/compress/marker.ts";
import { type Balancer, type Redis, type Replica, startBalancer, startRedis, startReplica, teamSkipReason } from "../support/team.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";

type J = Record<string, any>;
const skip = teamSkipReason(["redis-server", "haproxy"]);

const rows = (n: number, tag: string) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, name: `item ${tag}${i}`, status: "ok", size: 100 + (i % 5) })), null, 2);
const headers = { "content-type": "application/json", "x-api-key": "sk-ant-team", "anthropic-version": "2023-06-01" };
const tools = [{ name: "list", description: "Lists items.", input_schema: { type: "object", properties: {} } }];
const toolTurn = (content: string, id: string): J[] => [
  { role: "assistant", content: [{ type: "tool_use", id, name: "list", input: {} }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: id, content }] },
];
const post = (base: string, body: unknown) => fetch(`${base}/v1/messages`, { method: "POST", headers, body: JSON.stringify(body) });

describe.skipIf(!!skip)("three replicas behind haproxy", () => {
  let redis: Redis;
  let stub: UpstreamStub;
  let replicas: Replica[];
  let lb: Balancer;

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startUpstreamStub();
    const env = { HEADROOM_REDIS_URL: redis.url, HEADROOM_REDIS_PREFIX: "headroom:lb-test:" };
    replicas = await Promise.all(["r1", "r2", "r3"].map((n) => startReplica(n, stub.url, env)));
    lb = await startBalancer(replicas);
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all((replicas ?? []).map((r) => r.kill()));
    await stub?.stop();
    await redis?.stop();
  }, 30_000);

  test("compressed through one replica, retrieved through the balancer by every replica", async () => {
    const original = rows(200, "lb");
    const res = await post(lb.url, { model: "claude-sonnet-4", max_tokens: 64, tools, messages: [{ role: "user", content: "list" }, ...toolTurn(original, "t1"), { role: "assistant", content: "Listed." }, { role: "user", content: "continue" }] });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const compressedBy = res.headers.get("x-served-by");
    const request = stub.requests.findLast((r) => (r.json as J | undefined)?.messages?.[2]?.content?.[0]?.tool_use_id === "t1")!;
    const forwarded = (request.json as J).messages[2].content[0].content as string;
    const [hash] = markerHashes(forwarded);
    expect(hash).toBeDefined();

    const servedBy = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${lb.url}/v1/retrieve/${hash}`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as J).original).toBe(original);
      servedBy.add(r.headers.get("x-served-by")!);
    }
    expect(servedBy.size).toBe(3); // round robin: each replica answered once, two of them from Redis
    expect(servedBy.has(compressedBy!)).toBe(true);

    // headroom_retrieve answered inside whichever replica gets the next turn.
    const answeredBy = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const before = stub.requests.length;
      stub.enqueue({ content: [{ type: "tool_use", id: `r${i}`, name: "headroom_retrieve", input: { hash } }] }, { text: "found it" });
      const turn = await post(lb.url, { model: "claude-sonnet-4", max_tokens: 64, tools, messages: [{ role: "user", content: "list" }, ...toolTurn(forwarded, "t1"), { role: "user", content: "what is item lb150?" }] });
      expect(turn.status).toBe(200);
      expect(((await turn.json()) as J).content[0].text).toBe("found it");
      answeredBy.add(turn.headers.get("x-served-by")!);
      const followUp = stub.requests[before + 1]!.json as J;
      expect(followUp.messages.at(-1).content[0]).toEqual({ type: "tool_result", tool_use_id: `r${i}`, content: original });
    }
    expect(answeredBy.size).toBe(3);
  }, 30_000);
});

describe.skipIf(!!skip)("a replica killed under load", () => {
  const TOTAL = 10_000;
  const CONCURRENCY = 32;
  let redis: Redis;
  let upstream: ReturnType<typeof Bun.serve>;
  let replicas: Replica[];
  let lb: Balancer;

  beforeAll(async () => {
    redis = await startRedis();
    // A minimal upstream (the recording stub would hold 10,000 bodies): answers at once.
    const answer = JSON.stringify({ id: "msg_load", type: "message", role: "assistant", model: "m", content: [{ type: "text", text: "ok" }], stop_reason: "end_turn", usage: { input_tokens: 10, output_tokens: 1 } });
    upstream = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        await req.arrayBuffer();
        return new Response(answer, { headers: { "content-type": "application/json" } });
      },
    });
    const env = { HEADROOM_REDIS_URL: redis.url, HEADROOM_REDIS_PREFIX: "headroom:load-test:" };
    replicas = await Promise.all(["r1", "r2", "r3"].map((n) => startReplica(n, `http://127.0.0.1:${upstream.port}`, env)));
    lb = await startBalancer(replicas);
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all((replicas ?? []).map((r) => r.kill()));
    upstream?.stop(true);
    await redis?.stop();
  }, 30_000);

  test("10,000 requests at concurrency 32, one replica SIGKILLed mid-run: only requests in flight on it may fail", async () => {
    const victim = replicas[1]!;
    interface Outcome {
      start: number;
      end: number;
      status: number;
      servedBy: string | null;
      error?: string;
    }
    const outcomes: Outcome[] = [];
    let next = 0;
    let killAt = Number.POSITIVE_INFINITY;
    let deadAt = Number.POSITIVE_INFINITY;
    // Every fourth request carries a tool output that compresses (an original written to Redis).
    const body = (i: number) =>
      JSON.stringify({
        model: "claude-sonnet-4",
        max_tokens: 16,
        tools,
        messages: i % 4 === 0 ? [{ role: "user", content: "list" }, ...toolTurn(rows(60, `n${i}-`), `t${i}`), { role: "assistant", content: "ok" }, { role: "user", content: "go on" }] : [{ role: "user", content: `hello ${i}` }],
      });
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const start = performance.now();
        try {
          // One connection per request: haproxy answers a request a dying replica had with a
          // 502 naming it, where on a reused keep-alive connection it would close the client's
          // connection instead (so a client retries) and nothing would say which replica it was.
          const res = await fetch(`${lb.url}/v1/messages`, { method: "POST", headers: { ...headers, connection: "close" }, body: body(i) });
          await res.arrayBuffer();
          outcomes.push({ start, end: performance.now(), status: res.status, servedBy: res.headers.get("x-served-by") });
        } catch (err) {
          outcomes.push({ start, end: performance.now(), status: 0, servedBy: null, error: String(err) });
        }
        if (i === Math.floor(TOTAL / 3)) {
          killAt = performance.now();
          victim.proc.kill("SIGKILL");
          victim.proc.exited.then(() => (deadAt = performance.now()));
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - t0) / 1000;

    expect(outcomes.length).toBe(TOTAL);
    expect(deadAt).toBeLessThan(Number.POSITIVE_INFINITY);
    const failed = outcomes.filter((o) => o.status !== 200);
    const served = (name: string) => outcomes.filter((o) => o.status === 200 && o.servedBy === name).length;
    console.log(
      `load: ${TOTAL} requests in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s), ${failed.length} failed; served r1 ${served("r1")}, r2 ${served("r2")} (killed), r3 ${served("r3")}`,
    );
    for (const f of failed) {
      // In flight at the kill: sent before the replica was gone, answered after the kill...
      expect(f.start).toBeLessThan(deadAt);
      expect(f.end).toBeGreaterThan(killAt);
      // ...and on the killed replica (haproxy names the server it tried).
      expect(f.servedBy).toBe(victim.name);
      expect(f.error).toBeUndefined();
    }
    expect(failed.length).toBeLessThanOrEqual(CONCURRENCY);
    // Everything sent once the replica was gone went to the other two.
    const later = outcomes.filter((o) => o.start > deadAt + 1000);
    expect(later.length).toBeGreaterThan(1000);
    expect(later.every((o) => o.status === 200 && o.servedBy !== victim.name)).toBe(true);
    expect(served("r2")).toBeGreaterThan(0);
    // The survivors still answer and share: their Redis is fine.
    for (const r of [replicas[0]!, replicas[2]!]) expect(((await (await fetch(`${r.url}/health`)).json()) as J).status).toBe("healthy");
  }, 60_000);
});
