// Two compiled `headroom proxy` replicas sharing one real redis-server (HEADROOM_REDIS_URL):
// what one compresses, the other retrieves (GET /v1/retrieve and a headroom_retrieve round
// trip against the upstream stub); a cache-mode conversation continued on the other keeps
// the first one's frozen bytes; Redis stopped mid-run fails no request, /health says
// degraded, and both come back by themselves when it returns. A third replica under another
// prefix is the control: without the shared state each case comes out differently.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { markerHashes } from "../../src/proxy/compress/marker.ts";
import { type Redis, type Replica, startRedis, startReplica, teamSkipReason } from "../support/team.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";

type J = Record<string, any>;
const skip = teamSkipReason(["redis-server"]);

const rows = (n: number, tag: string) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, name: `item ${tag}${i}`, status: "ok", size: 100 + (i % 5) })), null, 2);
const headers = { "content-type": "application/json", "x-api-key": "sk-ant-team", "anthropic-version": "2023-06-01" };
const tools = [{ name: "list", description: "Lists items.", input_schema: { type: "object", properties: {} } }];

function toolTurn(content: string, id: string, extra: J = {}): J[] {
  return [
    { role: "assistant", content: [{ type: "tool_use", id, name: "list", input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: id, content, ...extra }] },
  ];
}

/** Token mode keeps the newest output whole for a turn: these follow it. */
const nextTurn: J[] = [
  { role: "assistant", content: "Listed." },
  { role: "user", content: "continue" },
];

const post = (base: string, body: unknown) => fetch(`${base}/v1/messages`, { method: "POST", headers, body: JSON.stringify(body) });

async function healthOf(r: Replica): Promise<J> {
  return (await (await fetch(`${r.url}/health`)).json()) as J;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

let redis: Redis;
let stub: UpstreamStub;
let a: Replica;
let b: Replica;
let other: Replica;

describe.skipIf(!!skip)("replicas sharing one Redis", () => {
  beforeAll(async () => {
    redis = await startRedis();
    stub = await startUpstreamStub();
    const shared = { HEADROOM_REDIS_URL: redis.url, HEADROOM_REDIS_PREFIX: "headroom:team-test:" };
    [a, b, other] = await Promise.all([
      startReplica("a", stub.url, shared),
      startReplica("b", stub.url, shared),
      startReplica("other", stub.url, { ...shared, HEADROOM_REDIS_PREFIX: "headroom:another-deployment:" }),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a, b, other].map((r) => r?.kill()));
    await stub?.stop();
    await redis?.stop();
  }, 30_000);

  /** Sends a tool output through `via`; returns what went upstream for it and the marker's hash. */
  async function compressThrough(via: Replica, original: string, id: string): Promise<{ forwarded: string; hash: string }> {
    const res = await post(via.url, { model: "claude-sonnet-4", max_tokens: 64, tools, messages: [{ role: "user", content: "list the items" }, ...toolTurn(original, id), ...nextTurn] });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    // Other requests may be under way (the outage test's load): find this one by its tool id.
    const request = stub.requests.findLast((r) => (r.json as J | undefined)?.messages?.[2]?.content?.[0]?.tool_use_id === id);
    const forwarded = (request!.json as J).messages[2].content[0].content as string;
    const [hash] = markerHashes(forwarded);
    expect(hash).toBeDefined();
    expect(forwarded.length).toBeLessThan(original.length / 3);
    return { forwarded, hash: hash! };
  }

  test("a tool output compressed through A is retrieved through B: GET /v1/retrieve and a headroom_retrieve round trip", async () => {
    const original = rows(200, "r");
    const { forwarded, hash } = await compressThrough(a, original, "t1");

    const viaB = await fetch(`${b.url}/v1/retrieve/${hash}`);
    expect(viaB.status).toBe(200);
    expect(((await viaB.json()) as J).original).toBe(original);
    // Another deployment's prefix does not see it.
    expect((await fetch(`${other.url}/v1/retrieve/${hash}`)).status).toBe(404);

    // The client continues on B with the compressed text in its history (as a client of
    // the gateway that only ever saw the marker would); the model asks for the original.
    const roundTrip = async (via: Replica) => {
      stub.reset();
      stub.enqueue({ content: [{ type: "tool_use", id: "r1", name: "headroom_retrieve", input: { hash } }] }, { text: "item r150 is ok" });
      const res = await post(via.url, { model: "claude-sonnet-4", max_tokens: 64, tools, messages: [{ role: "user", content: "list the items" }, ...toolTurn(forwarded, "t1"), { role: "user", content: "what is item r150?" }] });
      const body = (await res.json()) as J;
      expect(res.status).toBe(200);
      expect(stub.requests.length).toBe(2);
      const answer = (stub.requests[1]!.json as J).messages.at(-1).content[0];
      return { text: body.content.map((c: J) => c.text).join(""), answer };
    };
    const fromB = await roundTrip(b);
    expect(fromB.text).toBe("item r150 is ok");
    expect(fromB.answer).toEqual({ type: "tool_result", tool_use_id: "r1", content: original });
    const fromOther = await roundTrip(other);
    expect(fromOther.answer.content).toContain(`no original is stored under ${hash}`);
  }, 30_000);

  test("a cache-mode conversation continued on B keeps the bytes A froze", async () => {
    const cc = { type: "ephemeral" };
    const first = [{ role: "user", content: [{ type: "text", text: "list the cache items" }] }];
    const turn1 = { model: "claude-sonnet-4", max_tokens: 64, tools, messages: [...first, ...toolTurn(rows(150, "c"), "c1", { cache_control: cc })] };
    stub.reset();
    await (await post(a.url, turn1)).arrayBuffer();
    const sentByA = (stub.requests[0]!.json as J).messages as J[];
    expect(markerHashes(sentByA[2]!.content[0].content)).toHaveLength(1);

    // Turn 2 asks about an item A's compression left out: compressed afresh, it would keep it.
    const turn2 = {
      ...turn1,
      messages: [...first, ...toolTurn(rows(150, "c"), "c1"), { role: "assistant", content: "Listed." }, { role: "user", content: [{ type: "text", text: "now look at item c77", cache_control: cc }] }],
    };
    const forwardedBy = async (via: Replica) => {
      stub.reset();
      await (await post(via.url, turn2)).arrayBuffer();
      return (stub.requests[0]!.json as J).messages as J[];
    };
    const sentByB = await forwardedBy(b);
    const { cache_control: _moved, ...frozen } = sentByA[2]!.content[0];
    expect(sentByB[2]!.content[0]).toEqual(frozen);
    expect(JSON.stringify(sentByB.slice(0, 2))).toBe(JSON.stringify(sentByA.slice(0, 2)));
    // Without the shared memory the same turn compresses that output differently.
    const sentByOther = await forwardedBy(other);
    expect(sentByOther[2]!.content[0].content).not.toBe(frozen.content);

    // And back on A (round robin): A takes B's state, not its own older one.
    const turn3 = { ...turn2, messages: [...turn2.messages.slice(0, 3), ...turn2.messages.slice(3, 4), { role: "user", content: [{ type: "text", text: "now look at item c77" }] }, { role: "assistant", content: "Done." }, { role: "user", content: [{ type: "text", text: "and c78?", cache_control: cc }] }] };
    stub.reset();
    await (await post(a.url, turn3)).arrayBuffer();
    const sentAgainByA = (stub.requests[0]!.json as J).messages as J[];
    expect(sentAgainByA[2]!.content[0]).toEqual(frozen);
  }, 30_000);

  test("Redis stopped mid-run: no request fails, /health says degraded, /readyz stays ready, both recover when it returns", async () => {
    stub.reset();
    let failures = 0;
    let sent = 0;
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        const via = i % 2 === 0 ? a : b;
        try {
          const res = await post(via.url, { model: "claude-sonnet-4", max_tokens: 64, tools, messages: [{ role: "user", content: "go" }, ...toolTurn(rows(120, `load${i}-`), `l${i}`), ...nextTurn] });
          await res.arrayBuffer();
          if (res.status !== 200) failures++;
        } catch {
          failures++;
        }
        sent++;
      }
    })();
    await until("some load", async () => sent >= 10);

    const sentBeforeStop = sent;
    await redis.stop();
    await until("A to say degraded", async () => (await healthOf(a)).status === "degraded");
    const degraded = await healthOf(a);
    expect(degraded.degraded[0]).toContain("Redis is unreachable");
    expect(degraded.shared_state.connected).toBe(false);
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);

    // Compression goes on while Redis is down; the original is on A, not yet shared.
    const during = rows(200, "outage");
    const { hash } = await compressThrough(a, during, "o1");
    expect((await fetch(`${a.url}/v1/retrieve/${hash}`)).status).toBe(200);
    expect((await fetch(`${b.url}/v1/retrieve/${hash}`)).status).toBe(404);
    expect((await healthOf(a)).shared_state.unshared).toBeGreaterThan(0);
    await until("load during the outage", async () => sent >= sentBeforeStop + 10);
    const sentDuringOutage = sent;

    await redis.start();
    await until("A and B to be healthy again", async () => (await healthOf(a)).status === "healthy" && (await healthOf(b)).status === "healthy");
    // What A kept while Redis was away was pushed when it came back: B finds it now.
    await until("the outage's original to reach B", async () => (await fetch(`${b.url}/v1/retrieve/${hash}`)).status === 200);
    const after = rows(200, "after");
    const { hash: hashAfter } = await compressThrough(b, after, "p1");
    await until("B's new original to reach A", async () => (await fetch(`${a.url}/v1/retrieve/${hashAfter}`)).status === 200);

    await until("load after the recovery", async () => sent >= sentDuringOutage + 10);
    running = false;
    await load;
    expect(failures).toBe(0);
    expect(a.log()).toContain("Compression state is shared in Redis");
    expect(a.log()).toContain("is unreachable");
    expect(a.log()).toContain("reachable again");
  }, 30_000);
});
