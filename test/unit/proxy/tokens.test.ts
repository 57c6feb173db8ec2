// Per-user gateway tokens (HEADROOM_TOKENS_FILE): the file's format and its refusals, the
// reload on change (a rewrite, a Kubernetes-style symlink swap, a broken or vanished file
// keeping the last good table), the guard on every route but the probes (loopback
// included, provider credentials never taken for a gateway token), HEADROOM_PROXY_TOKEN
// beside it, the 401 shapes, the gateway token a local proxy adds upstream, and the
// per-user counters in /stats and /metrics.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveProxyConfig } from "../../../src/proxy/config.ts";
import type { ProxyContext } from "../../../src/proxy/context.ts";
import { checkCaller, SHARED_TOKEN_USER, unauthorized } from "../../../src/proxy/guard.ts";
import { upstreamRequestHeaders } from "../../../src/proxy/headers.ts";
import { Ledger } from "../../../src/proxy/ledger.ts";
import { createLogger } from "../../../src/proxy/log.ts";
import { metricsText, statsBody } from "../../../src/proxy/report.ts";
import { type RequestRecord, Stats } from "../../../src/proxy/stats.ts";
import { MIN_TOKEN_CHARS, parseTokens, tokenDigest, TokensFileError, TokenTable, upstreamTokenFromEnv } from "../../../src/proxy/tokens.ts";
import { DEFAULT_RETRY } from "../../../src/proxy/upstream.ts";

const dir = mkdtempSync(join(tmpdir(), "headroom-tokens-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ALICE = "tok-alice-0123456789abcdef";
const BOB = "tok-bob-0123456789abcdef00";
const SHARED = "shared-proxy-token-0123456789";

let n = 0;
function tokensFile(content: unknown): string {
  const path = join(dir, `tokens-${++n}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("tokens file", () => {
  test("maps digests of tokens to user names; the table holds no token", () => {
    const table = parseTokens(JSON.stringify({ [ALICE]: "alice", [BOB]: "bob" }), "t.json");
    expect(table.size).toBe(2);
    expect(table.get(tokenDigest(ALICE))).toBe("alice");
    expect([...table.keys()].some((k) => k.includes(ALICE))).toBe(false);
    expect(parseTokens("{}", "t.json").size).toBe(0);
  });

  test("refuses what is not {token: user}, naming entries by position, never by token", () => {
    const bad: Array<[string, RegExp]> = [
      ["not json", /not valid JSON/],
      ["[]", /one JSON object/],
      ["null", /one JSON object/],
      [JSON.stringify({ short: "alice" }), new RegExp(`Entry 1 .*at least ${MIN_TOKEN_CHARS} characters`)],
      [JSON.stringify({ [ALICE]: "alice", "has a space in the token": "bob" }), /Entry 2 /],
      [JSON.stringify({ [ALICE]: 7 }), /user name/],
      [JSON.stringify({ [ALICE]: "" }), /user name/],
      [JSON.stringify({ [ALICE]: " alice" }), /user name/],
      [JSON.stringify({ [ALICE]: 'al"ice' }), /user name/],
      [JSON.stringify({ [ALICE]: "a\nb" }), /user name/],
      [JSON.stringify({ [ALICE]: "x".repeat(129) }), /user name/],
    ];
    for (const [text, msg] of bad) {
      let err: unknown;
      try {
        parseTokens(text, "t.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TokensFileError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain(ALICE);
    }
  });

  test("load fails on a missing file with the path in the sentence", () => {
    expect(() => TokenTable.load(join(dir, "nope.json"))).toThrow(/tokens file .*nope\.json cannot be read \(ENOENT\)/);
  });

  test("a rewrite is picked up at the next check; a broken file keeps the last good table and warns once", () => {
    const path = tokensFile({ [ALICE]: "alice" });
    const warnings: string[] = [];
    const infos: string[] = [];
    let now = 1000;
    const t = TokenTable.load(path, { checkMs: 500, now: () => now, warn: (m) => warnings.push(m), info: (m) => infos.push(m) });
    expect(t.lookup(ALICE)).toBe("alice");
    expect(t.lookup(BOB)).toBeUndefined();

    writeFileSync(path, JSON.stringify({ [BOB]: "bob" }));
    // Within the check interval the table in force still answers.
    expect(t.lookup(ALICE)).toBe("alice");
    now += 500;
    expect(t.lookup(BOB)).toBe("bob");
    expect(t.lookup(ALICE)).toBeUndefined();
    expect(infos.at(-1)).toMatch(/Reloaded .*1 token/);

    writeFileSync(path, "{ half written");
    now += 500;
    expect(t.lookup(BOB)).toBe("bob");
    now += 500;
    expect(t.lookup(BOB)).toBe("bob");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not valid JSON.*Keeping the 1 token/);

    unlinkSync(path);
    now += 500;
    expect(t.lookup(BOB)).toBe("bob");
    expect(warnings.at(-1)).toMatch(/cannot be read \(ENOENT\); keeping the 1 token/);

    writeFileSync(path, JSON.stringify({ [ALICE]: "alice-again", [BOB]: "bob" }));
    now += 500;
    expect(t.lookup(ALICE)).toBe("alice-again");
    expect(t.size).toBe(2);
  });

  test("a Kubernetes Secret update (the ..data symlink swapped to a new folder) is picked up", () => {
    const mount = join(dir, "secret-mount");
    mkdirSync(join(mount, "..v1"), { recursive: true });
    writeFileSync(join(mount, "..v1", "tokens.json"), JSON.stringify({ [ALICE]: "alice" }));
    symlinkSync("..v1", join(mount, "..data"));
    symlinkSync("..data/tokens.json", join(mount, "tokens.json"));
    const t = TokenTable.load(join(mount, "tokens.json"), { checkMs: 0 });
    expect(t.lookup(ALICE)).toBe("alice");

    mkdirSync(join(mount, "..v2"));
    writeFileSync(join(mount, "..v2", "tokens.json"), JSON.stringify({ [ALICE]: "alice", [BOB]: "bob" }));
    symlinkSync("..v2", join(mount, "..data_tmp"));
    renameSync(join(mount, "..data_tmp"), join(mount, "..data"));
    rmSync(join(mount, "..v1"), { recursive: true });
    expect(t.lookup(BOB)).toBe("bob");
  });
});

describe("guard with a tokens file", () => {
  const tokens = TokenTable.load(tokensFile({ [ALICE]: "alice", [BOB]: "bob" }), { checkMs: 0 });
  const h = (o: Record<string, string>) => new Headers(o);

  test("every route but the probes needs a user token, loopback callers included", () => {
    for (const remote of ["127.0.0.1", "::1", "203.0.113.9", undefined]) {
      for (const path of ["/v1/messages", "/v1/responses", "/stats", "/metrics", "/v1/compress", "/nowhere"]) {
        expect(checkCaller(path, h({}), remote, undefined, tokens)).toEqual({ allowed: false, reason: "missing" });
      }
      for (const path of ["/livez", "/readyz", "/health", "/healthz"]) expect(checkCaller(path, h({}), remote, undefined, tokens).allowed).toBe(true);
    }
  });

  test("the user comes from x-headroom-proxy-token; a wrong token is refused", () => {
    expect(checkCaller("/v1/messages", h({ "x-headroom-proxy-token": ALICE }), "127.0.0.1", undefined, tokens)).toEqual({ allowed: true, authorizationIsProxyToken: false, user: "alice" });
    expect(checkCaller("/v1/messages", h({ "x-headroom-proxy-token": ` ${BOB} ` }), "10.0.0.1", undefined, tokens)).toEqual({ allowed: true, authorizationIsProxyToken: false, user: "bob" });
    expect(checkCaller("/v1/messages", h({ "x-headroom-proxy-token": `${ALICE}x` }), "10.0.0.1", undefined, tokens)).toEqual({ allowed: false, reason: "invalid" });
  });

  test("provider credentials are never read as a gateway token on forwarded routes", () => {
    // A user token in Authorization would be the provider's credential there: refused, not forwarded.
    expect(checkCaller("/v1/messages", h({ authorization: `Bearer ${ALICE}` }), "10.0.0.1", undefined, tokens)).toEqual({ allowed: false, reason: "missing" });
    expect(checkCaller("/v1/messages", h({ "x-api-key": ALICE }), "10.0.0.1", undefined, tokens).allowed).toBe(false);
    // An OAuth bearer token beside the gateway token stays the provider's (not dropped).
    const oauth = h({ authorization: "Bearer sk-ant-oat01-subscription", "x-headroom-proxy-token": ALICE });
    expect(checkCaller("/v1/messages", oauth, "10.0.0.1", undefined, tokens)).toEqual({ allowed: true, authorizationIsProxyToken: false, user: "alice" });
  });

  test("/stats and /metrics, which forward nothing, also take a user token as a bearer (a Prometheus scrape)", () => {
    expect(checkCaller("/metrics", h({ authorization: `Bearer ${BOB}` }), "10.0.0.1", undefined, tokens)).toEqual({ allowed: true, authorizationIsProxyToken: true, user: "bob" });
    expect(checkCaller("/stats", h({ authorization: `Bearer ${BOB}` }), "10.0.0.1", undefined, tokens).allowed).toBe(true);
    expect(checkCaller("/metrics", h({ authorization: "Bearer not-a-user-token-at-all" }), "10.0.0.1", undefined, tokens)).toEqual({ allowed: false, reason: "invalid" });
  });

  test("HEADROOM_PROXY_TOKEN beside the file: one more credential, in either header, accounted to its own user; no loopback exemption", () => {
    expect(checkCaller("/v1/messages", h({ "x-headroom-proxy-token": SHARED }), "10.0.0.1", SHARED, tokens)).toEqual({ allowed: true, authorizationIsProxyToken: false, user: SHARED_TOKEN_USER });
    expect(checkCaller("/v1/messages", h({ authorization: `Bearer ${SHARED}` }), "10.0.0.1", SHARED, tokens)).toEqual({ allowed: true, authorizationIsProxyToken: true, user: SHARED_TOKEN_USER });
    expect(checkCaller("/v1/messages", h({ "x-headroom-proxy-token": ALICE }), "10.0.0.1", SHARED, tokens)).toMatchObject({ allowed: true, user: "alice" });
    expect(checkCaller("/v1/messages", h({}), "127.0.0.1", SHARED, tokens).allowed).toBe(false);
  });

  test("the 401 speaks the route's API shape and never echoes a token", async () => {
    const a = unauthorized({ provider: "anthropic", perUser: true, reason: "missing" });
    expect(a.status).toBe(401);
    expect(a.headers.get("www-authenticate")).toContain("Bearer");
    const ab = (await a.json()) as any;
    expect(ab.type).toBe("error");
    expect(ab.error.type).toBe("authentication_error");
    expect(ab.error.message).toContain("x-headroom-proxy-token");
    const o = (await unauthorized({ provider: "openai", perUser: true, reason: "invalid" }).json()) as any;
    expect(o.error).toMatchObject({ type: "authentication_error", code: "authentication_error", param: null });
    expect(o.error.message).toMatch(/does not hold a token/);
    const own = (await unauthorized({ perUser: true }).json()) as any;
    expect(own.error.type).toBe("authentication_error");
  });
});

describe("a local proxy whose upstream is a gateway", () => {
  test("the gateway token comes from the variable HEADROOM_UPSTREAM_TOKEN_ENV names, else HEADROOM_UPSTREAM_TOKEN", () => {
    expect(upstreamTokenFromEnv({})).toEqual({});
    expect(upstreamTokenFromEnv({ HEADROOM_UPSTREAM_TOKEN: ALICE })).toEqual({ token: ALICE });
    expect(upstreamTokenFromEnv({ HEADROOM_UPSTREAM_TOKEN_ENV: "TEAM_GW", TEAM_GW: BOB, HEADROOM_UPSTREAM_TOKEN: ALICE })).toEqual({ token: BOB });
    expect(upstreamTokenFromEnv({ HEADROOM_UPSTREAM_TOKEN_ENV: "TEAM_GW" }).error).toMatch(/names TEAM_GW, which is not set/);
    expect(upstreamTokenFromEnv({ HEADROOM_UPSTREAM_TOKEN: "a\u0007b" }).error).toMatch(/cannot carry/);
    const config = resolveProxyConfig({}, { HEADROOM_UPSTREAM_TOKEN_ENV: "TEAM_GW", TEAM_GW: BOB, HEADROOM_TOKENS_FILE: " /etc/headroom/tokens.json " });
    expect(config.upstreamToken).toBe(BOB);
    expect(config.tokensFile).toBe("/etc/headroom/tokens.json");
  });

  test("it is added as x-headroom-proxy-token after the client's own x-headroom-* headers are dropped; provider auth untouched", () => {
    const incoming = new Headers({ "x-api-key": "sk-ant-user", authorization: "Bearer sk-ant-oat01-x", "x-headroom-proxy-token": "client-sent", "x-headroom-project": "p" });
    const out = upstreamRequestHeaders(incoming, { gatewayToken: ALICE });
    expect(out.get("x-headroom-proxy-token")).toBe(ALICE);
    expect(out.get("x-headroom-project")).toBeNull();
    expect(out.get("x-api-key")).toBe("sk-ant-user");
    expect(out.get("authorization")).toBe("Bearer sk-ant-oat01-x");
    expect(upstreamRequestHeaders(incoming).get("x-headroom-proxy-token")).toBeNull();
  });
});

describe("per-user counters", () => {
  const rec = (over: Partial<RequestRecord>): RequestRecord => ({
    provider: "anthropic", status: 200, latencyMs: 5, overheadMs: 0.1,
    usage: { model: "claude-x", input: 100, output: 10, cacheRead: 40, cacheWrite: 4 }, ...over,
  });

  test("requests, errors, tokens and savings by user in /stats and as a user label in /metrics", () => {
    const stats = new Stats();
    const compression = { tokensBefore: 1000, tokensAfter: 300, changed: true, failed: false, savedByKind: { json: 700 }, cache: { passthrough: 900, billed: 400 } };
    stats.record(rec({ user: "alice", compression }));
    stats.record(rec({ user: "alice", status: 429, usage: undefined, compression }));
    stats.record(rec({ user: "bob" }));
    stats.record(rec({}));
    const ctx: ProxyContext = {
      stats, ledger: new Ledger({ path: join(dir, "ledger.json"), intervalMs: 0 }), life: { ready: true, draining: false, inFlight: 0 },
      config: resolveProxyConfig({}, { HEADROOM_WORKSPACE_DIR: dir }), retry: DEFAULT_RETRY, port: 0, log: createLogger("error"),
      compression: { compressRequest: async () => { throw new Error("unused"); }, handleRetrievals: async (c) => c.response },
    };
    const body = statsBody(ctx) as any;
    expect(body.requests.total).toBe(4);
    expect(body.requests.by_user).toEqual({
      alice: { requests: 2, errors: 1, tokens_input: 100, tokens_output: 10, tokens_cache_read: 40, tokens_cache_write: 4, tokens_saved: 1400, tokens_net_saved: 500 },
      bob: { requests: 1, errors: 0, tokens_input: 100, tokens_output: 10, tokens_cache_read: 40, tokens_cache_write: 4, tokens_saved: 0, tokens_net_saved: 0 },
    });
    const text = metricsText(ctx);
    // Per user: the user label on the request and token families (absent without a user).
    const sum = (re: RegExp) => text.split("\n").filter((l) => re.test(l)).reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    expect(sum(/^headroom_requests_total\{.*user="alice"/)).toBe(2);
    expect(sum(/^headroom_requests_total\{.*user="bob"/)).toBe(1);
    expect(sum(/^headroom_requests_total\{.*status="4\d\d".*user="alice"/)).toBe(1);
    expect(sum(/^headroom_requests_total\{(?!.*user=)/)).toBe(1);
    expect(text).toContain('headroom_cache_tokens_total{op="read",provider="anthropic",model="claude-x",user="bob"} 40');
    expect(sum(/^headroom_tokens_total\{direction="saved".*user="alice"/)).toBe(1400);
    // Net saving: the emulated bill as sent minus as forwarded (the 429 is not billed).
    expect(sum(/^headroom_billed_input_tokens_total\{as="sent".*user="alice"/) - sum(/^headroom_billed_input_tokens_total\{as="forwarded".*user="alice"/)).toBe(500);
    expect(text).toContain("# TYPE headroom_requests_total counter");
  });
});
