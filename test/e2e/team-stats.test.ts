// The team's counters shared in Redis, with real parts: three compiled `headroom proxy`
// replicas behind a Debian haproxy, sharing a Debian redis-server, guarded by per-user
// tokens (HEADROOM_TOKENS_FILE). Requests from two users spread over the replicas; the
// `team` block of /stats on every replica reports per-user totals equal to what the test
// sent (and to the sum of the replicas' own figures), and `lifetime.team` the same
// totals. Then Redis is stopped mid-run and started again empty (no persistence): no
// request fails, /health says degraded meanwhile, and once it is back the totals again
// equal everything sent since the start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Balancer, type Redis, type Replica, startBalancer, startRedis, startReplica, teamSkipReason } from "../support/team.ts";

type J = Record<string, any>;
const skip = teamSkipReason(["redis-server", "haproxy"]);

const TOKENS = { "alice-token-0123456789abcdef": "alice", "bob-token-0123456789abcdef00": "bob" } as const;
const USERS = Object.entries(TOKENS).map(([token, name]) => ({ token, name }));
const rows = (n: number, tag: string) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, name: `item ${tag}${i}`, status: "ok", size: 100 + (i % 5) })), null, 2);
const tools = [{ name: "list", description: "Lists items.", input_schema: { type: "object", properties: {} } }];

interface Expected {
  requests: number;
  tokens_input: number;
  tokens_output: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
}
const none = (): Expected => ({ requests: 0, tokens_input: 0, tokens_output: 0, tokens_cache_read: 0, tokens_cache_write: 0 });

/** The upstream's usage for a request: derived from its max_tokens, so the test knows what each user was billed. */
const usageFor = (m: number) => ({ input_tokens: 3 * m, output_tokens: m, cache_read_input_tokens: 2 * m, cache_creation_input_tokens: m });

describe.skipIf(!!skip)("team counters in Redis across three replicas", () => {
  let redis: Redis;
  let upstream: ReturnType<typeof Bun.serve>;
  let replicas: Replica[];
  let lb: Balancer;
  let dir: string;
  const expected = new Map(USERS.map((u) => [u.name, none()]));
  let sentTotal = 0;
  let counter = 0;
  const servedBy = new Set<string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "headroom-team-stats-"));
    const tokensFile = join(dir, "tokens.json");
    writeFileSync(tokensFile, JSON.stringify(TOKENS));
    redis = await startRedis();
    upstream = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        const body = (await req.json()) as J;
        return Response.json({ id: "msg_team", type: "message", role: "assistant", model: body.model, content: [{ type: "text", text: "ok" }], stop_reason: "end_turn", usage: usageFor(body.max_tokens) });
      },
    });
    const env = { HEADROOM_REDIS_URL: redis.url, HEADROOM_REDIS_PREFIX: "headroom:stats-test:", HEADROOM_TOKENS_FILE: tokensFile };
    replicas = await Promise.all(["r1", "r2", "r3"].map((n) => startReplica(n, `http://127.0.0.1:${upstream.port}`, env)));
    lb = await startBalancer(replicas);
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all((replicas ?? []).map((r) => r.kill()));
    upstream?.stop(true);
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** One request through the balancer as user `i % 3 === 0 ? bob : alice`; every fifth carries a tool output that compresses. */
  async function send(): Promise<number> {
    const i = counter++;
    const user = USERS[i % 3 === 0 ? 1 : 0]!;
    const m = 1 + (i % 17);
    const messages = i % 5 === 0 ? [{ role: "user", content: "list" }, { role: "assistant", content: [{ type: "tool_use", id: `t${i}`, name: "list", input: {} }] }, { role: "user", content: [{ type: "tool_result", tool_use_id: `t${i}`, content: rows(80, `n${i}-`) }] }, { role: "assistant", content: "ok" }, { role: "user", content: "go on" }] : [{ role: "user", content: `hello ${i}` }];
    const res = await fetch(`${lb.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-team", "x-headroom-proxy-token": user.token },
      body: JSON.stringify({ model: i % 2 ? "claude-sonnet-4" : "claude-haiku-4", max_tokens: m, tools, messages }),
    });
    await res.arrayBuffer();
    if (res.status === 200) {
      servedBy.add(res.headers.get("x-served-by") ?? "?");
      const u = usageFor(m);
      const e = expected.get(user.name)!;
      e.requests++;
      e.tokens_input += u.input_tokens;
      e.tokens_output += u.output_tokens;
      e.tokens_cache_read += u.cache_read_input_tokens;
      e.tokens_cache_write += u.cache_creation_input_tokens;
      sentTotal++;
    }
    return res.status;
  }

  async function load(n: number, concurrency: number): Promise<number[]> {
    const statuses: number[] = [];
    let left = n;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) statuses.push(await send());
      }),
    );
    return statuses;
  }

  const statsOf = async (r: Replica): Promise<J> => {
    const res = await fetch(`${r.url}/stats`, { headers: { "x-headroom-proxy-token": USERS[0]!.token } });
    expect(res.status).toBe(200);
    return (await res.json()) as J;
  };
  const healthOf = async (r: Replica): Promise<J> => (await (await fetch(`${r.url}/health`)).json()) as J;
  const pick = (u: J | undefined): Expected => ({ requests: u?.requests, tokens_input: u?.tokens_input, tokens_output: u?.tokens_output, tokens_cache_read: u?.tokens_cache_read, tokens_cache_write: u?.tokens_cache_write });
  const want = () => Object.fromEntries([...expected].map(([name, e]) => [name, { ...e }]));

  /** Polls until every replica's team block holds what was sent (replicas write about once a second); returns the last bodies. */
  async function untilTeamMatches(timeoutMs = 15_000): Promise<J[]> {
    const deadline = Date.now() + timeoutMs;
    let bodies: J[] = [];
    for (;;) {
      bodies = await Promise.all(replicas.map(statsOf));
      const ok = bodies.every((b) => b.team?.requests?.total === sentTotal && USERS.every((u) => JSON.stringify(pick(b.team.requests.by_user[u.name])) === JSON.stringify(expected.get(u.name))));
      if (ok) return bodies;
      if (Date.now() > deadline) {
        // Fails with the difference in view.
        expect(bodies.map((b) => Object.fromEntries(USERS.map((u) => [u.name, pick(b.team?.requests?.by_user?.[u.name])])))).toEqual(replicas.map(want));
        return bodies;
      }
      await Bun.sleep(100);
    }
  }

  test("per-user totals in /stats of every replica equal what both users sent through the balancer", async () => {
    const statuses = await load(240, 8);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(servedBy.size).toBe(3);

    const bodies = await untilTeamMatches();
    for (const b of bodies) {
      const team = b.team as J;
      expect(team.backend).toBe("redis");
      expect(team.stale).toBeUndefined();
      for (const u of USERS) expect(pick(team.requests.by_user[u.name])).toEqual(expected.get(u.name)!);
      // Tokens that nobody sent are nowhere: the team's totals are the users' sums.
      expect(team.tokens.input).toBe(USERS.reduce((n, u) => n + expected.get(u.name)!.tokens_input, 0));
      expect(team.requests.by_provider.anthropic.requests).toBe(sentTotal);
      expect(team.requests.by_model["claude-sonnet-4"].requests + team.requests.by_model["claude-haiku-4"].requests).toBe(sentTotal);
      // The ledger's shape, the same totals.
      expect(b.lifetime.team.requests).toBe(sentTotal);
      expect(b.lifetime.team.tokens_output).toBe(team.tokens.output);
      expect(b.lifetime.team.since).toBe(team.since);
    }
    // Each replica's own figures are a part; together they are the team's.
    const local = (k: (b: J) => number) => bodies.reduce((n, b) => n + k(b), 0);
    expect(local((b) => b.requests.total)).toBe(sentTotal);
    for (const b of bodies) expect(b.requests.total).toBeLessThan(sentTotal);
    for (const u of USERS) expect(local((b) => b.requests.by_user[u.name]?.requests ?? 0)).toBe(expected.get(u.name)!.requests);
    const team = bodies[0]!.team as J;
    expect(team.tokens.saved).toBeGreaterThan(0);
    expect(team.tokens.saved).toBe(local((b) => b.tokens.saved));
    expect(team.compressions.requests).toBe(local((b) => b.compressions.requests));
    expect(team.tokens.net_saved).toBeCloseTo(local((b) => b.tokens.net_saved), 1);
    expect(Object.keys(team.compressions.by_kind).length).toBeGreaterThan(0);
  }, 60_000);

  test("Redis stopped and started again empty mid-run: no request fails, degraded meanwhile, totals add up after recovery", async () => {
    let running = true;
    const failures: number[] = [];
    const background = (async () => {
      while (running) {
        const statuses = await load(8, 4);
        failures.push(...statuses.filter((s) => s !== 200));
      }
    })();
    const until = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 15_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await Bun.sleep(50);
      }
    };
    const before = sentTotal;
    await until("some load", async () => sentTotal >= before + 20);
    await redis.stop();
    await until("every replica to say degraded", async () => (await Promise.all(replicas.map(healthOf))).every((h) => h.status === "degraded"));
    const atStop = sentTotal;
    await until("load during the outage", async () => sentTotal >= atStop + 40);
    // Counted here, not yet in Redis: /stats still answers, marks the team figures stale.
    const during = await Promise.all(replicas.map(statsOf));
    expect(during.reduce((n, b) => n + b.team.unflushed_requests, 0)).toBeGreaterThan(0);
    expect(during.some((b) => typeof b.team.stale === "string")).toBe(true);
    expect((await fetch(`${replicas[0]!.url}/readyz`)).status).toBe(200);

    await redis.start();
    await until("every replica healthy again", async () => (await Promise.all(replicas.map(healthOf))).every((h) => h.status === "healthy"));
    const atStart = sentTotal;
    await until("load after the recovery", async () => sentTotal >= atStart + 20);
    running = false;
    await background;
    expect(failures).toEqual([]);

    // Redis came back empty: each replica added again what it counted since it started.
    const bodies = await untilTeamMatches();
    for (const b of bodies) {
      expect(b.team.requests.total).toBe(sentTotal);
      expect(b.team.unflushed_requests).toBe(0);
      expect(b.lifetime.team.requests).toBe(sentTotal);
    }
    expect(bodies.reduce((n, b) => n + b.requests.total, 0)).toBe(sentTotal);
    expect(replicas.some((r) => r.log().includes("team counters in Redis were reset"))).toBe(true);
  }, 90_000);
});
