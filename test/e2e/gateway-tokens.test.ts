// A team gateway with per-user tokens, as users run it: the compiled executable twice on
// real loopback sockets. A laptop's local headroom (--anthropic-api-url/--openai-api-url
// pointing at the gateway, the gateway token from the variable HEADROOM_UPSTREAM_TOKEN_ENV
// names) -> the gateway (HEADROOM_TOKENS_FILE) -> the API stand-ins. Proves the user's own
// x-api-key, Claude subscription OAuth bearer and OpenAI key reach the provider untouched
// and no headroom token does; the gateway refuses a request without a token and with a
// wrong one (401 in the API's shape, nothing forwarded), the WebSocket upgrade included;
// the probes stay open; /stats and /metrics count per user; a changed tokens file is
// picked up without a restart; bad settings stop either process with one sentence.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { binPath, runBin } from "../support/bin.ts";
import { startResponsesWsUpstream, type ResponsesWsUpstream } from "../support/responses-ws-upstream.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";
import { freePort } from "../support/free-port.ts";

type J = Record<string, any>;

const ALICE = "gw-alice-7f3c9a1e5b2d4c6f8a0b";
const BOB = "gw-bob-1a2b3c4d5e6f7a8b9c0d";
const CAROL = "gw-carol-0f1e2d3c4b5a69788796";
const API_KEY = "sk-ant-api03-user-own-key-0001";
const OAUTH = "sk-ant-oat01-claude-subscription-0001";
const OPENAI_KEY = "sk-proj-user-own-openai-0001";

let stub: UpstreamStub;
let wsUp: ResponsesWsUpstream;
let home: string;
let tokensPath: string;
const running = new Set<Subprocess>();


function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("HEADROOM_")) env[k] = v;
  return { ...env, HOME: home, ...extra };
}

interface Spawned {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  output: () => Promise<string>;
}

async function spawnProxy(name: string, args: string[], env: Record<string, string>): Promise<Spawned> {
  const port = freePort();
  const proc = Bun.spawn([binPath, "proxy", "--port", String(port), ...args], {
    env: baseEnv({ HEADROOM_WORKSPACE_DIR: join(home, name), ...env }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(proc);
  const out = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then(([a, b]) => a + b);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(500) })).ok) break;
    } catch {
      // not yet
    }
    if (proc.exitCode !== null) throw new Error(`${name} exited early: ${await out}`);
    if (Date.now() > deadline) throw new Error(`${name} did not become ready`);
    await Bun.sleep(25);
  }
  return { proc, url, output: () => out };
}

let gateway: Spawned;
let local: Spawned;

beforeAll(async () => {
  if (!existsSync(binPath)) throw new Error(`the compiled binary is missing at ${binPath}; run bun scripts/build.ts first`);
  home = mkdtempSync(join(tmpdir(), "headroom-gateway-"));
  tokensPath = join(home, "tokens.json");
  writeFileSync(tokensPath, JSON.stringify({ [ALICE]: "alice", [BOB]: "bob" }));
  stub = await startUpstreamStub();
  wsUp = await startResponsesWsUpstream();
  gateway = await spawnProxy("gateway", ["--anthropic-api-url", stub.url, "--openai-api-url", wsUp.url, "--no-optimize"], { HEADROOM_TOKENS_FILE: tokensPath });
  // The laptop: its manifest would record only the variable's name.
  local = await spawnProxy("local", ["--anthropic-api-url", gateway.url, "--openai-api-url", `${gateway.url}/v1`], {
    HEADROOM_UPSTREAM_TOKEN_ENV: "TEAM_GATEWAY_TOKEN",
    TEAM_GATEWAY_TOKEN: ALICE,
  });
}, 60_000);

afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await Promise.all([...running].map((p) => p.exited));
  await stub?.stop();
  await wsUp?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
}, 30_000);

const messages = (base: string, headers: Record<string, string>, body: J = {}) =>
  fetch(`${base}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify({ model: "claude-gw", max_tokens: 16, messages: [{ role: "user", content: "hi" }], ...body }),
  });

const getJson = async (url: string, headers: Record<string, string> = {}) => (await (await fetch(url, { headers })).json()) as J;

const headroomHeaders = (h: Record<string, string>) => Object.keys(h).filter((k) => k.startsWith("x-headroom-"));

describe("local headroom -> gateway -> provider", () => {
  test("an API key and a Claude subscription's OAuth token reach the provider untouched; no headroom token does", async () => {
    stub.reset();
    const a = await messages(local.url, { "x-api-key": API_KEY });
    expect(a.status).toBe(200);
    expect(((await a.json()) as J).type).toBe("message");
    const b = await messages(local.url, { authorization: `Bearer ${OAUTH}`, "anthropic-beta": "oauth-2025-04-20" }, { stream: true });
    expect(b.status).toBe(200);
    expect(await b.text()).toContain("message_stop");

    expect(stub.requests).toHaveLength(2);
    const [first, second] = stub.requests;
    expect(first!.headers["x-api-key"]).toBe(API_KEY);
    expect(first!.headers.authorization).toBeUndefined();
    expect(second!.headers.authorization).toBe(`Bearer ${OAUTH}`);
    expect(second!.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
    expect(second!.headers["x-api-key"]).toBeUndefined();
    for (const r of stub.requests) {
      expect(headroomHeaders(r.headers)).toEqual([]);
      expect(JSON.stringify(r.headers)).not.toContain(ALICE);
    }
  });

  test("an OpenAI key over HTTP and over the Responses WebSocket: untouched, accounted to the laptop's user", async () => {
    wsUp.reset();
    const http = await fetch(`${local.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${OPENAI_KEY}` },
      body: JSON.stringify({ model: "gpt-gw", input: "hi" }),
    });
    expect(http.status).toBe(200);
    await http.arrayBuffer();
    expect(wsUp.http.at(-1)!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(headroomHeaders(wsUp.http.at(-1)!.headers)).toEqual([]);

    const sock = new WebSocket(`${local.url.replace(/^http/, "ws")}/v1/responses`, { headers: { authorization: `Bearer ${OPENAI_KEY}` } } as unknown as string[]);
    const frames: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      sock.onmessage = (e) => {
        frames.push(String(e.data));
        if (String(e.data).includes('"response.completed"')) resolve();
      };
      sock.onerror = (e) => reject(new Error((e as ErrorEvent).message));
    });
    await new Promise<void>((resolve, reject) => {
      sock.onopen = () => resolve();
      sock.onerror = (e) => reject(new Error((e as ErrorEvent).message));
    });
    sock.send(JSON.stringify({ type: "response.create", model: "gpt-gw", input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }] }));
    await done;
    sock.close();
    expect(wsUp.handshakes).toHaveLength(1);
    expect(wsUp.handshakes[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(headroomHeaders(wsUp.handshakes[0]!.headers)).toEqual([]);
  });

  test("the gateway counts the laptop's requests under its user in /stats and /metrics", async () => {
    const stats = await getJson(`${gateway.url}/stats`, { "x-headroom-proxy-token": BOB });
    const alice = stats.requests.by_user.alice;
    // Two Anthropic requests, one HTTP and one WebSocket Responses request (the earlier tests).
    expect(alice.requests).toBe(4);
    expect(alice.errors).toBe(0);
    expect(alice.tokens_input).toBe(stats.tokens.input);
    expect(alice.tokens_output).toBe(stats.tokens.output);
    expect(alice.tokens_input).toBeGreaterThan(0);
    expect(stats.requests.by_user.bob).toBeUndefined();
    // A Prometheus scrape sends a user token as a bearer.
    const metrics = await (await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${BOB}` } })).text();
    const alicesRequests = metrics.split("\n").filter((l) => /^headroom_requests_total\{.*user="alice"/.test(l)).reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    expect(alicesRequests).toBe(4);
    // The laptop's own /stats (no tokens file there) is open to its loopback caller, and knows no user.
    expect((await getJson(`${local.url}/stats`)).requests.by_user).toEqual({});
  });
});

describe("the gateway's guard", () => {
  test("no token, a wrong token, or a token in the provider's headers: 401 in the API's shape, nothing forwarded", async () => {
    stub.reset();
    const none = await messages(gateway.url, { "x-api-key": API_KEY });
    expect(none.status).toBe(401);
    const nb = (await none.json()) as J;
    expect(nb).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    expect(nb.error.message).toContain("x-headroom-proxy-token");

    const wrong = await messages(gateway.url, { "x-api-key": API_KEY, "x-headroom-proxy-token": `${ALICE}-not` });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as J).error.message).toMatch(/does not hold a token/);

    const inAuthorization = await messages(gateway.url, { authorization: `Bearer ${ALICE}` });
    expect(inAuthorization.status).toBe(401);
    const inApiKey = await messages(gateway.url, { "x-api-key": ALICE });
    expect(inApiKey.status).toBe(401);

    const openai = await fetch(`${gateway.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${OPENAI_KEY}` }, body: "{}" });
    expect(openai.status).toBe(401);
    expect(((await openai.json()) as J).error).toMatchObject({ type: "authentication_error", param: null });

    // Loopback is no exemption on a gateway (a port-forward arrives from 127.0.0.1).
    for (const path of ["/stats", "/metrics", "/v1/models"]) expect((await fetch(`${gateway.url}${path}`)).status).toBe(401);
    expect(stub.requests).toHaveLength(0);

    // A laptop with a wrong gateway token gets the gateway's 401 back.
    const badLocal = await spawnProxy("local-wrong", ["--anthropic-api-url", gateway.url], { HEADROOM_UPSTREAM_TOKEN: `${BOB}-revoked` });
    const viaBad = await messages(badLocal.url, { "x-api-key": API_KEY });
    expect(viaBad.status).toBe(401);
    await viaBad.arrayBuffer();
    expect(stub.requests).toHaveLength(0);
    badLocal.proc.kill("SIGTERM");
    await badLocal.proc.exited;
  });

  test("the WebSocket upgrade on /v1/responses is refused without a token, before any upstream socket", async () => {
    wsUp.reset();
    const sock = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/v1/responses`, { headers: { authorization: `Bearer ${OPENAI_KEY}` } } as unknown as string[]);
    const outcome = await new Promise<string>((resolve) => {
      sock.onopen = () => resolve("open");
      sock.onerror = (e) => resolve(`error: ${(e as ErrorEvent).message}`);
    });
    expect(outcome).toMatch(/^error: .*401/);
    expect(wsUp.handshakes).toHaveLength(0);
  });

  test("the probes answer without a token", async () => {
    expect((await fetch(`${gateway.url}/livez`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    const health = await getJson(`${gateway.url}/health`);
    expect(health.status).toBe("healthy");
    expect(health.config.per_user_tokens).toBe(true);
  });

  test("a changed tokens file is picked up without a restart: a new user gets in, a removed one is out", async () => {
    stub.reset();
    writeFileSync(tokensPath, JSON.stringify({ [BOB]: "bob", [CAROL]: "carol" }));
    // The gateway checks the file at most once a second; wait for it to answer carol.
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      const r = await fetch(`${gateway.url}/stats`, { headers: { "x-headroom-proxy-token": CAROL } });
      status = r.status;
      await r.arrayBuffer();
      if (status === 200) break;
      await Bun.sleep(100);
    }
    expect(status).toBe(200);
    const carol = await messages(gateway.url, { "x-api-key": API_KEY, "x-headroom-proxy-token": CAROL });
    expect(carol.status).toBe(200);
    await carol.arrayBuffer();
    // The laptop's token (alice) is gone now.
    const alice = await messages(local.url, { "x-api-key": API_KEY });
    expect(alice.status).toBe(401);
    await alice.arrayBuffer();
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]!.headers["x-headroom-proxy-token"]).toBeUndefined();
    const stats = await getJson(`${gateway.url}/stats`, { "x-headroom-proxy-token": CAROL });
    expect(stats.requests.by_user.carol.requests).toBe(1);
    expect(stats.requests.by_user.alice.errors).toBe(0); // a refused request reaches no user's count

    // The gateway's log told of the reload and named no token.
    gateway.proc.kill("SIGTERM");
    expect(await gateway.proc.exited).toBe(0);
    const log = await gateway.output();
    expect(log).toMatch(/Per-user tokens from .*tokens\.json: 2 token/);
    expect(log).toMatch(/Reloaded the tokens file .*: 2 token/);
    for (const t of [ALICE, BOB, CAROL]) expect(log).not.toContain(t);
  }, 30_000);
});

describe("settings that stop a process with one sentence", () => {
  test("a gateway with an invalid tokens file does not start", async () => {
    const bad = join(home, "bad-tokens.json");
    writeFileSync(bad, JSON.stringify({ short: "alice" }));
    const r = await runBin(["proxy", "--port", String(freePort())], { env: baseEnv({ HEADROOM_TOKENS_FILE: bad, HEADROOM_WORKSPACE_DIR: join(home, "bad") }) });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Entry 1 of the tokens file .*at least 16 characters/);
    const missing = await runBin(["proxy", "--port", String(freePort())], { env: baseEnv({ HEADROOM_TOKENS_FILE: join(home, "absent.json"), HEADROOM_WORKSPACE_DIR: join(home, "bad") }) });
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/absent\.json cannot be read \(ENOENT\)/);
  });

  test("a local proxy whose HEADROOM_UPSTREAM_TOKEN_ENV names an unset variable does not start", async () => {
    const r = await runBin(["proxy", "--port", String(freePort())], { env: baseEnv({ HEADROOM_UPSTREAM_TOKEN_ENV: "NO_SUCH_GATEWAY_TOKEN", HEADROOM_WORKSPACE_DIR: join(home, "bad") }) });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("HEADROOM_UPSTREAM_TOKEN_ENV names NO_SUCH_GATEWAY_TOKEN, which is not set");
  });
});
