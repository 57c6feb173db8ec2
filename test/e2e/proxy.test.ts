// The proxy's forwarding path end to end over real loopback sockets: an in-process
// proxy (startProxy) in front of the upstream stub. Proves byte-exact relay of plain and
// streamed responses for both APIs, header hygiene, decoding of compressed bodies,
// retries, error shapes, client aborts reaching the upstream, accounting, and the ledger.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { type ProxyConfig, resolveProxyConfig } from "../../src/proxy/config.ts";
import { type RunningProxy, startProxy } from "../../src/proxy/server.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";

const quiet = { level: "error" as const, enabled: () => false, debug() {}, info() {}, warn() {}, error() {} };

let stub: UpstreamStub;
let proxy: RunningProxy;
let ws: string;

function config(over: Partial<ProxyConfig> = {}): ProxyConfig {
  return {
    ...resolveProxyConfig({ port: 0, anthropicApiUrl: stub.url, openaiApiUrl: `${stub.url}/v1/`, optimize: false }, { HEADROOM_WORKSPACE_DIR: ws }),
    ...over,
  };
}

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), "headroom-proxy-e2e-"));
  stub = await startUpstreamStub();
  proxy = await startProxy(config(), { log: quiet, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
});

afterAll(async () => {
  await proxy?.stop(100);
  await stub?.stop();
  rmSync(ws, { recursive: true, force: true });
});

beforeEach(() => stub.reset());

const dec = new TextDecoder();
const anthropicHeaders = { "content-type": "application/json", "x-api-key": "sk-ant-api03-secret", "anthropic-version": "2023-06-01" };
const openaiHeaders = { "content-type": "application/json", authorization: "Bearer sk-proj-secret" };

async function post(path: string, body: unknown, headers: Record<string, string>, base = proxy.url): Promise<Response> {
  return fetch(base + path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

describe("relay", () => {
  const cases = [
    { name: "Anthropic messages", path: "/v1/messages", headers: anthropicHeaders },
    { name: "OpenAI chat completions", path: "/v1/chat/completions", headers: openaiHeaders },
    { name: "OpenAI responses", path: "/v1/responses", headers: openaiHeaders },
  ];
  for (const c of cases) {
    for (const stream of [false, true]) {
      test(`${c.name} ${stream ? "streamed" : "plain"}: the client gets exactly the upstream's bytes`, async () => {
        const res = await post(c.path, { model: "model-x", stream, messages: [{ role: "user", content: "hi" }] }, c.headers);
        const body = new Uint8Array(await res.arrayBuffer());
        expect(res.status).toBe(200);
        const rec = stub.requests[0]!;
        expect(rec.finished).toBe(true);
        expect(Buffer.from(body).equals(Buffer.from(rec.responseBody))).toBe(true);
        expect(res.headers.get("content-type")).toContain(stream ? "text/event-stream" : "application/json");
      });
    }
  }

  test("an unchanged request body reaches the upstream as the original bytes", async () => {
    const raw = '{ "model":"m",  "messages":[{"role":"user","content":"spacing \\u00e9 kept"}] }';
    await post("/v1/messages", raw, anthropicHeaders);
    expect(stub.requests[0]!.text).toBe(raw);
  });

  test("SSE chunks reach the client while the upstream is still sending", async () => {
    stub.setBehavior({ kind: "chunks", chunks: ["data: one\n\n", "data: two\n\n", "data: three\n\n"], chunkDelayMs: 150 });
    const res = await post("/v1/chat/completions", { model: "m", stream: true }, openaiHeaders);
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The first event arrived before the stub wrote its last one: nothing was buffered whole.
    expect(dec.decode(first.value)).toContain("data: one");
    expect(stub.requests[0]!.finished).toBe(false);
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += dec.decode(value);
    }
    expect(rest).toContain("data: three");
  });

  test("upstream error statuses and bodies are kept", async () => {
    stub.enqueue({ status: 400, body: { type: "error", error: { type: "invalid_request_error", message: "bad field x" } } });
    const res = await post("/v1/messages", { model: "m" }, anthropicHeaders);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ type: "error", error: { type: "invalid_request_error", message: "bad field x" } });
    expect(stub.requests.length).toBe(1); // 4xx is not retried
  });

  test("GET /v1/models and the catch-all are forwarded with method, path and query", async () => {
    const res = await fetch(`${proxy.url}/v1/models`, { headers: { authorization: "Bearer sk-proj-1" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data.length).toBe(1);
    const other = await fetch(`${proxy.url}/v1/files/abc?purpose=x&limit=2`, { method: "DELETE", headers: { authorization: "Bearer sk-proj-1" } });
    expect(await other.json()).toEqual({ stub: true, method: "DELETE", path: "/v1/files/abc", query: "purpose=x&limit=2" });
  });

  test("a gzip answer from the upstream reaches the client decoded, without content-encoding", async () => {
    const json = JSON.stringify({ id: "m", model: "claude-gz", content: [], usage: { input_tokens: 5, output_tokens: 6 } });
    stub.setBehavior({ kind: "custom", handle: () => new Response(gzipSync(json), { headers: { "content-type": "application/json", "content-encoding": "gzip" } }) });
    const res = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { ...anthropicHeaders, "accept-encoding": "gzip" }, body: "{}", decompress: false } as RequestInit);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.text()).toBe(json);
    expect(stub.requests[0]!.headers["accept-encoding"]).toBe("gzip");
  });

  test("count_tokens goes to the Anthropic upstream", async () => {
    const res = await post("/v1/messages/count_tokens", { model: "m", messages: [] }, anthropicHeaders);
    expect(await res.json()).toEqual({ input_tokens: 42 });
    expect(stub.requests[0]!.path).toBe("/v1/messages/count_tokens");
  });
});

describe("routing", () => {
  let anthropic: UpstreamStub;
  let openai: UpstreamStub;
  let routed: RunningProxy;
  beforeAll(async () => {
    anthropic = await startUpstreamStub();
    openai = await startUpstreamStub();
    routed = await startProxy(config({ anthropicApiUrl: anthropic.url, openaiApiUrl: openai.url }), { log: quiet });
  });
  afterAll(async () => {
    await routed.stop(100);
    await anthropic.stop();
    await openai.stop();
  });
  beforeEach(() => {
    anthropic.reset();
    openai.reset();
  });

  const catchAll: Array<[string, Record<string, string>, "anthropic" | "openai"]> = [
    ["x-api-key", { "x-api-key": "k" }, "anthropic"],
    ["anthropic-version", { "anthropic-version": "2023-06-01" }, "anthropic"],
    ["a Bearer sk-ant- token", { authorization: "Bearer sk-ant-oat01-abc" }, "anthropic"],
    ["an OpenAI bearer token", { authorization: "Bearer sk-proj-abc" }, "openai"],
    ["no credentials", {}, "openai"],
  ];
  for (const [name, headers, expected] of catchAll) {
    test(`catch-all with ${name} goes to ${expected}`, async () => {
      await fetch(`${routed.url}/v1/some/thing`, { headers });
      expect(anthropic.requests.length).toBe(expected === "anthropic" ? 1 : 0);
      expect(openai.requests.length).toBe(expected === "openai" ? 1 : 0);
    });
  }

  test("/p/<project>/ is stripped and counted as the project; X-Headroom-Project wins", async () => {
    await post("/p/alpha/v1/messages?beta=true", { model: "m" }, anthropicHeaders, routed.url);
    expect(anthropic.requests[0]!.path).toBe("/v1/messages");
    expect(anthropic.requests[0]!.query).toBe("beta=true");
    await post("/p/alpha/v1/chat/completions", { model: "m" }, { ...openaiHeaders, "x-headroom-project": "beta" }, routed.url);
    expect(openai.requests[0]!.path).toBe("/v1/chat/completions");
    await Bun.sleep(20);
    const stats = (await (await fetch(`${routed.url}/stats`)).json()) as { requests: { by_project: Record<string, number> } };
    expect(stats.requests.by_project).toEqual({ alpha: 1, beta: 1 });
  });

  test("paths outside /v1/ are not forwarded", async () => {
    const res = await fetch(`${routed.url}/v2/messages`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(anthropic.requests.length + openai.requests.length).toBe(0);
  });
});

describe("headers", () => {
  test("auth and ordinary headers pass untouched; host, content-length, hop-by-hop and x-headroom-* do not", async () => {
    const res = await fetch(`${proxy.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        ...anthropicHeaders,
        authorization: "Bearer sk-ant-oat01-token",
        "anthropic-beta": "prompt-caching-2024-07-31",
        "user-agent": "claude-cli/1.0",
        "x-custom": "kept",
        "x-headroom-project": "p1",
        "x-headroom-bypass": "true",
        "proxy-authorization": "Basic abc",
        te: "trailers",
        "keep-alive": "timeout=5",
        connection: "keep-alive, x-drop-me",
        "x-drop-me": "listed in Connection",
      },
      body: JSON.stringify({ model: "m" }),
    });
    expect(res.status).toBe(200);
    const h = stub.requests[0]!.headers;
    expect(h["x-api-key"]).toBe("sk-ant-api03-secret");
    expect(h.authorization).toBe("Bearer sk-ant-oat01-token");
    expect(h["anthropic-version"]).toBe("2023-06-01");
    expect(h["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expect(h["user-agent"]).toBe("claude-cli/1.0");
    expect(h["x-custom"]).toBe("kept");
    expect(h.host).toBe(`127.0.0.1:${stub.port}`);
    for (const gone of ["x-headroom-project", "x-headroom-bypass", "proxy-authorization", "te", "keep-alive", "x-drop-me"]) {
      expect(h[gone]).toBeUndefined();
    }
    expect(stub.requests[0]!.query).toBe("beta=true");
  });

  test("upstream response headers reach the client, hop-by-hop ones do not", async () => {
    stub.enqueue({ text: "x", stream: false, headers: { "request-id": "req_123", "anthropic-ratelimit-requests-remaining": "99", "x-custom-up": "1" } });
    const res = await post("/v1/messages", { model: "m" }, anthropicHeaders);
    expect(res.headers.get("request-id")).toBe("req_123");
    expect(res.headers.get("anthropic-ratelimit-requests-remaining")).toBe("99");
    expect(res.headers.get("x-custom-up")).toBe("1");
    await res.arrayBuffer();
  });
});

describe("compressed request bodies", () => {
  const json = JSON.stringify({ model: "m", messages: [{ role: "user", content: "compressed body ".repeat(50) }] });
  const encoders: Array<[string, (b: Buffer) => Uint8Array]> = [
    ["gzip", (b) => gzipSync(b)],
    ["deflate", (b) => deflateSync(b)],
    ["br", (b) => brotliCompressSync(b)],
    ["zstd", (b) => Bun.zstdCompressSync(b)],
  ];
  for (const [encoding, encode] of encoders) {
    test(`${encoding} is decoded before forwarding`, async () => {
      const res = await fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { ...anthropicHeaders, "content-encoding": encoding },
        body: encode(Buffer.from(json)),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const rec = stub.requests[0]!;
      expect(rec.text).toBe(json);
      expect(rec.headers["content-encoding"]).toBeUndefined();
    });
  }

  test("an unknown encoding is a 400 and nothing is forwarded", async () => {
    const res = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { ...anthropicHeaders, "content-encoding": "snappy" }, body: "xx" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { type: string; error: { message: string } };
    expect(body.type).toBe("error");
    expect(body.error.message).toContain("snappy");
    expect(stub.requests.length).toBe(0);
  });

  test("a corrupt gzip body is a 400", async () => {
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", headers: { ...openaiHeaders, "content-encoding": "gzip" }, body: "not gzip" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });

  test("a body over 100 MB is a 413", async () => {
    const big = new Uint8Array(100 * 1024 * 1024 + 10);
    const res = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: anthropicHeaders, body: big });
    expect(res.status).toBe(413);
    await res.arrayBuffer();
    expect(stub.requests.length).toBe(0);
  });
});

describe("retries and failures", () => {
  test("429 with Retry-After is waited for, then retried", async () => {
    stub.enqueue({ status: 429, headers: { "retry-after": "1" } });
    const started = Date.now();
    const res = await post("/v1/messages", { model: "m" }, anthropicHeaders);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(stub.requests.length).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // lower bound only: the wait happened
  });

  test("529 overloaded is retried", async () => {
    stub.enqueue({ status: 529, headers: { "retry-after": "0" } });
    const res = await post("/v1/messages", { model: "m" }, anthropicHeaders);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(stub.requests.length).toBe(2);
  });

  test("a Retry-After longer than the proxy waits returns the 429 as it is", async () => {
    stub.enqueue({ status: 429, headers: { "retry-after": "3600" }, body: { error: { message: "slow down", type: "rate_limit" } } });
    const res = await post("/v1/chat/completions", { model: "m" }, openaiHeaders);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3600");
    expect(await res.json()).toEqual({ error: { message: "slow down", type: "rate_limit" } });
    expect(stub.requests.length).toBe(1);
  });

  test("5xx is retried with backoff, up to 3 attempts, and the last answer kept", async () => {
    stub.setBehavior({ status: 503, body: "unavailable" });
    const res = await post("/v1/chat/completions", { model: "m" }, openaiHeaders);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("unavailable");
    expect(stub.requests.length).toBe(3);
  });

  test("a 5xx followed by success returns the success", async () => {
    stub.enqueue({ status: 500 }, { status: 502 });
    const res = await post("/v1/messages", { model: "m", stream: true }, anthropicHeaders);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("message_stop");
    expect(stub.requests.length).toBe(3);
  });

  test("a dropped connection is retried", async () => {
    stub.enqueue({ kind: "drop" });
    const res = await post("/v1/messages", { model: "m" }, anthropicHeaders);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(stub.requests.length).toBe(2);
  });

  test("a stream that breaks after its first bytes is not retried", async () => {
    stub.enqueue({ kind: "drop", afterChunks: 2, then: { stream: true, chunkDelayMs: 100 } });
    const res = await post("/v1/messages", { model: "m", stream: true }, anthropicHeaders);
    expect(res.status).toBe(200);
    let text = "";
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += dec.decode(value);
      }
    } catch {
      // the relay ends with an error: the client sees the break
    }
    expect(text).toContain("message_start");
    expect(text).not.toContain("message_stop");
    await Bun.sleep(100);
    expect(stub.requests.length).toBe(1);
  });

  test("an unreachable upstream is a 502 shaped for each API, naming the upstream", async () => {
    const dead = await startUpstreamStub();
    const deadUrl = dead.url;
    await dead.stop();
    const p = await startProxy(config({ anthropicApiUrl: deadUrl, openaiApiUrl: deadUrl }), { log: quiet, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      const a = await post("/v1/messages", { model: "m" }, anthropicHeaders, p.url);
      expect(a.status).toBe(502);
      const ab = (await a.json()) as { type: string; error: { type: string; message: string } };
      expect(ab.type).toBe("error");
      expect(ab.error.type).toBe("api_error");
      expect(ab.error.message).toContain(deadUrl);
      const o = await post("/v1/chat/completions", { model: "m" }, openaiHeaders, p.url);
      expect(o.status).toBe(502);
      const ob = (await o.json()) as { error: { message: string; type: string } };
      expect(ob.error.message).toContain(deadUrl);
      expect(ob.error.type).toBe("upstream_unreachable");
    } finally {
      await p.stop(100);
    }
  });
});

describe("client disconnect", () => {
  test("aborting a stream closes the upstream connection", async () => {
    stub.setBehavior({ kind: "chunks", chunks: Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`), chunkDelayMs: 100 });
    const ac = new AbortController();
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", headers: openaiHeaders, body: "{}", signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const rec = stub.requests[0]!;
    await Promise.race([rec.ended, Bun.sleep(5000)]);
    expect(rec.clientClosed).toBe(true);
    expect(rec.finished).toBe(false);
  });

  test("aborting before the upstream answered cancels the upstream request", async () => {
    stub.setBehavior({ text: "late", delayMs: 3000 });
    const ac = new AbortController();
    const pending = fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: anthropicHeaders, body: "{}", signal: ac.signal }).catch(() => null);
    await stub.waitForRequests(1);
    ac.abort();
    await pending;
    const rec = stub.requests[0]!;
    await Promise.race([rec.ended, Bun.sleep(5000)]);
    expect(rec.clientClosed).toBe(true);
    await Bun.sleep(50);
    expect(stub.requests.length).toBe(1); // not retried
  });
});

describe("accounting", () => {
  let acct: RunningProxy;
  let savings: string;
  beforeAll(async () => {
    savings = join(ws, "acct-savings.json");
    acct = await startProxy(config({ savingsPath: savings }), { log: quiet });
  });
  afterAll(async () => {
    await acct.stop(100);
  });

  test("/stats, /metrics and the ledger count requests, models and usage", async () => {
    stub.enqueue(
      { stream: true, model: "claude-x", usage: { input: 100, output: 20, cacheRead: 30, cacheWrite: 5 } },
      { stream: false, model: "claude-x", usage: { input: 10, output: 2 } },
      { stream: true, model: "gpt-y", usage: { input: 50, output: 7, cacheRead: 8 } },
      { stream: true, model: "gpt-z", usage: { input: 40, output: 4 } },
    );
    for (const [path, headers, stream] of [
      ["/v1/messages", anthropicHeaders, true],
      ["/v1/messages", anthropicHeaders, false],
      ["/v1/chat/completions", openaiHeaders, true],
      ["/v1/responses", openaiHeaders, true],
    ] as const) {
      const res = await post(path, { model: "ignored", stream }, headers, acct.url);
      await res.arrayBuffer();
    }
    await Bun.sleep(30);
    const stats = (await (await fetch(`${acct.url}/stats`)).json()) as {
      requests: { total: number; by_provider: Record<string, number>; by_model: Record<string, { requests: number; tokens_input: number; tokens_output: number }> };
      tokens: { input: number; output: number; cache_read: number; cache_write: number; savings_percent: number };
      latency_ms: { avg: number; p50: number; p99: number };
      overhead_ms: { p50: number };
      lifetime: { requests: number };
    };
    expect(stats.requests.total).toBe(4);
    expect(stats.requests.by_provider).toEqual({ anthropic: 2, openai: 2 });
    expect(stats.requests.by_model["claude-x"]).toMatchObject({ requests: 2, tokens_input: 110, tokens_output: 22 });
    expect(stats.requests.by_model["gpt-y"]).toMatchObject({ requests: 1, tokens_input: 50, tokens_output: 7 });
    expect(stats.tokens).toMatchObject({ input: 200, output: 33, cache_read: 38, cache_write: 5 });
    expect(stats.latency_ms.p50).toBeGreaterThan(0);
    expect(stats.latency_ms.p99).toBeGreaterThanOrEqual(stats.latency_ms.p50);
    expect(stats.lifetime.requests).toBe(4);

    const metrics = await (await fetch(`${acct.url}/metrics`)).text();
    const sum = (re: RegExp) => metrics.split("\n").filter((l) => re.test(l)).reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    expect(sum(/^headroom_requests_total\{provider="anthropic"/)).toBe(2);
    expect(sum(/^headroom_tokens_total\{direction="in",/)).toBe(200);
    expect(sum(/^headroom_tokens_total\{direction="out",/)).toBe(33);
    expect(sum(/^headroom_cache_tokens_total\{op="read",/)).toBe(38);
    expect(metrics).toContain('headroom_requests_total{provider="openai",model="gpt-z",status="200"} 1');
    expect(metrics).toContain('headroom_tokens_total{direction="in",provider="anthropic",model="claude-x"} 110');
    expect(metrics).toMatch(/# TYPE headroom_tokens_total counter/);
    expect(metrics).toContain('headroom_request_duration_seconds_count{provider="openai",status="200"} 2');

    // The ledger is written within about a second.
    let ledger: { lifetime: { requests: number; tokens_input: number }; history: Array<{ requests: number }> } | null = null;
    for (let i = 0; i < 50 && !ledger; i++) {
      try {
        ledger = JSON.parse(readFileSync(savings, "utf8"));
        if (ledger!.lifetime.requests < 4) ledger = null;
      } catch {
        ledger = null;
      }
      if (!ledger) await Bun.sleep(100);
    }
    expect(ledger).not.toBeNull();
    expect(ledger!.lifetime).toMatchObject({ requests: 4, tokens_input: 200 });
    expect(ledger!.history.reduce((n, b) => n + b.requests, 0)).toBe(4);
  });

  test("the ledger keeps lifetime totals across restarts", async () => {
    await acct.stop(100);
    const again = await startProxy(config({ savingsPath: savings }), { log: quiet });
    try {
      const stats = (await (await fetch(`${again.url}/stats`)).json()) as { requests: { total: number }; lifetime: { requests: number } };
      expect(stats.requests.total).toBe(0);
      expect(stats.lifetime.requests).toBe(4);
      await (await post("/v1/messages", { model: "m" }, anthropicHeaders, again.url)).arrayBuffer();
    } finally {
      await again.stop(100);
    }
    expect(JSON.parse(readFileSync(savings, "utf8")).lifetime.requests).toBe(5);
    acct = await startProxy(config({ savingsPath: savings }), { log: quiet });
  });
});

describe("health", () => {
  test("/livez, /readyz and /health answer; the config block names upstreams and port for loopback callers", async () => {
    const live = (await (await fetch(`${proxy.url}/livez`)).json()) as Record<string, unknown>;
    expect(live).toMatchObject({ status: "healthy", alive: true });
    const ready = await fetch(`${proxy.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
    const health = (await (await fetch(`${proxy.url}/health`)).json()) as Record<string, any>;
    expect(health.status).toBe("healthy");
    expect(health.pid).toBe(process.pid);
    expect(typeof health.version).toBe("string");
    expect(typeof health.uptime_seconds).toBe("number");
    expect(health.stats).toHaveProperty("requests");
    expect(health.config).toMatchObject({ backend: "anthropic", mode: "auto", port: proxy.port, anthropic_api_url: stub.url, openai_api_url: stub.url });
    expect(health.deployment).toBeUndefined();
  });

  test("the deployment block comes from the config", async () => {
    const deployment = { profile: "default", preset: "persistent-service", runtime: "native", supervisor: "service", scope: "user" };
    const p = await startProxy(config({ deployment }), { log: quiet });
    try {
      const health = (await (await fetch(`${p.url}/health`)).json()) as Record<string, unknown>;
      expect(health.deployment).toEqual(deployment);
    } finally {
      await p.stop(100);
    }
  });

  test("draining lets a request in flight finish", async () => {
    const p = await startProxy(config(), { log: quiet });
    stub.setBehavior({ text: "slow", delayMs: 600 });
    const inflight = post("/v1/messages", { model: "m" }, anthropicHeaders, p.url);
    await stub.waitForRequests(1);
    const stopping = p.stop(5000);
    expect(p.context.life.draining).toBe(true);
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("slow");
    await stopping;
  });
});
