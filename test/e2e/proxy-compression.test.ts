// The compression seam in the forwarding path, over real sockets: which requests reach
// the compressor, what is forwarded when it changes a body or fails, the
// x-headroom-tokens-* headers, accounting by kind, and the retrieval hook. A scripted
// compressor makes every case deterministic; one test runs the real engine.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompressInput, CompressResult, RetrievalContext } from "../../src/proxy/compress/index.ts";
import { type ProxyConfig, resolveProxyConfig } from "../../src/proxy/config.ts";
import { type RunningProxy, startProxy } from "../../src/proxy/server.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";

const quiet = { level: "error" as const, enabled: () => false, debug() {}, info() {}, warn() {}, error() {} };
const anthropicHeaders = { "content-type": "application/json", "x-api-key": "sk-ant-k", "anthropic-version": "2023-06-01" };
const openaiHeaders = { "content-type": "application/json", authorization: "Bearer sk-proj-k" };

let stub: UpstreamStub;
let ws: string;
let proxy: RunningProxy;
const calls: CompressInput[] = [];
const retrievals: RetrievalContext[] = [];
let next: ((input: CompressInput) => CompressResult | Promise<CompressResult>) | null = null;
let onRetrieve: ((ctx: RetrievalContext) => Promise<Response>) | null = null;

function unchanged(input: CompressInput, tokens = 0): CompressResult {
  return { body: input.body, changed: false, tokensBefore: tokens, tokensAfter: tokens, savedByKind: {} };
}

function config(over: Partial<ProxyConfig> = {}): ProxyConfig {
  return { ...resolveProxyConfig({ port: 0, anthropicApiUrl: stub.url, openaiApiUrl: stub.url, mode: "cache" }, { HEADROOM_WORKSPACE_DIR: ws }), ...over };
}

const scripted = {
  compressRequest: async (input: CompressInput) => {
    calls.push(input);
    return next ? next(input) : unchanged(input);
  },
  handleRetrievals: async (ctx: RetrievalContext) => {
    retrievals.push(ctx);
    return onRetrieve ? onRetrieve(ctx) : ctx.response;
  },
};

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), "headroom-proxy-compress-"));
  stub = await startUpstreamStub();
  proxy = await startProxy(config(), { log: quiet, compression: scripted });
});

afterAll(async () => {
  await proxy?.stop(100);
  await stub?.stop();
  rmSync(ws, { recursive: true, force: true });
});

beforeEach(() => {
  stub.reset();
  calls.length = 0;
  retrievals.length = 0;
  next = null;
  onRetrieve = null;
});

const post = (path: string, body: string, headers: Record<string, string>, base = proxy.url) => fetch(base + path, { method: "POST", headers, body });
const original = '{"model":"m",  "messages":[{"role":"user","content":"keep   my spacing"}]}';

describe("compression seam", () => {
  test("each API route hands its parsed body, API kind, mode and headers to the compressor", async () => {
    for (const [path, headers, api] of [
      ["/v1/messages", anthropicHeaders, "anthropic-messages"],
      ["/v1/chat/completions", openaiHeaders, "openai-chat"],
      ["/v1/responses", openaiHeaders, "openai-responses"],
    ] as const) {
      await (await post(path, original, headers)).arrayBuffer();
      const call = calls.at(-1)!;
      expect(call.api).toBe(api);
      expect(call.body).toEqual(JSON.parse(original));
      expect(call.mode).toBe("cache");
      expect(call.headers.get("content-type")).toBe("application/json");
    }
    expect(calls.length).toBe(3);
  });

  test("a changed body is forwarded as JSON.stringify of the result, with token headers and stats by kind", async () => {
    const replaced = { model: "m", messages: [{ role: "user", content: "[compressed]" }] };
    next = () => ({ body: replaced, changed: true, tokensBefore: 1000, tokensAfter: 400, savedByKind: { json: 450, log: 150 }, compressed: 2 });
    const res = await post("/v1/messages", original, anthropicHeaders);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(stub.requests[0]!.text).toBe(JSON.stringify(replaced));
    expect(res.headers.get("x-headroom-tokens-before")).toBe("1000");
    expect(res.headers.get("x-headroom-tokens-after")).toBe("400");
    expect(res.headers.get("x-headroom-tokens-saved")).toBe("600");
    expect(res.headers.get("x-headroom-compression-failed")).toBeNull();
    await Bun.sleep(20);
    const stats = (await (await fetch(`${proxy.url}/stats`)).json()) as {
      tokens: { saved: number; before_compression: number };
      compressions: { requests: number; by_kind: Record<string, { count: number; tokens_saved: number }> };
    };
    expect(stats.tokens.saved).toBeGreaterThanOrEqual(600);
    expect(stats.compressions.by_kind.json!.tokens_saved).toBeGreaterThanOrEqual(450);
    expect(stats.compressions.by_kind.log!.count).toBeGreaterThanOrEqual(1);
  });

  test("an unchanged body is forwarded as the original bytes", async () => {
    next = (input) => unchanged(input, 20);
    const res = await post("/v1/chat/completions", original, openaiHeaders);
    await res.arrayBuffer();
    expect(stub.requests[0]!.text).toBe(original);
    expect(res.headers.get("x-headroom-tokens-saved")).toBe("0");
  });

  test("a failed compression forwards the original and says so in a response header", async () => {
    next = (input) => ({ ...unchanged(input, 30), failed: true, failure: "timed out" });
    const res = await post("/v1/messages", original, anthropicHeaders);
    await res.arrayBuffer();
    expect(stub.requests[0]!.text).toBe(original);
    expect(res.headers.get("x-headroom-compression-failed")).toBe("true");
  });

  test("a compressor that throws does not fail the request", async () => {
    next = () => {
      throw new Error("boom");
    };
    const res = await post("/v1/messages", original, anthropicHeaders);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(stub.requests[0]!.text).toBe(original);
    expect(res.headers.get("x-headroom-compression-failed")).toBe("true");
  });

  test("x-headroom-bypass, non-JSON bodies and other routes skip the compressor", async () => {
    await (await post("/v1/messages", original, { ...anthropicHeaders, "x-headroom-bypass": "true" })).arrayBuffer();
    await (await post("/v1/messages", "not json at all", anthropicHeaders)).arrayBuffer();
    await (await post("/v1/messages/count_tokens", original, anthropicHeaders)).arrayBuffer();
    await (await fetch(`${proxy.url}/v1/models`, { headers: openaiHeaders })).arrayBuffer();
    await (await post("/v1/embeddings", original, openaiHeaders)).arrayBuffer();
    expect(calls.length).toBe(0);
    expect(stub.requests.map((r) => r.text)).toEqual([original, "not json at all", original, "", original]);
  });

  test("--no-optimize skips the compressor", async () => {
    const p = await startProxy(config({ optimize: false }), { log: quiet, compression: scripted });
    try {
      await (await post("/v1/messages", original, anthropicHeaders, p.url)).arrayBuffer();
      expect(calls.length).toBe(0);
      expect(stub.requests[0]!.text).toBe(original);
    } finally {
      await p.stop(100);
    }
  });

  test("with retrieval markers the upstream answer goes through handleRetrievals, which can resend", async () => {
    const forwarded = { model: "m", stream: true, messages: [{ role: "user", content: "[marker abc]" }], tools: [{ name: "headroom_retrieve" }] };
    next = () => ({ body: forwarded, changed: true, tokensBefore: 900, tokensAfter: 300, savedByKind: { json: 600 }, hasMarkers: true });
    onRetrieve = async (ctx) => {
      await ctx.response.arrayBuffer();
      const again = await ctx.resend({ ...(ctx.body as object), messages: [{ role: "user", content: "second turn" }] });
      const text = await again.text();
      return new Response(`retrieved:${text.includes("message_stop")}`, { status: 200, headers: { "content-type": "text/plain", "x-from": "retrieval" } });
    };
    const res = await post("/v1/messages?beta=true", JSON.stringify({ model: "m", stream: true, messages: [] }), anthropicHeaders);
    expect(await res.text()).toBe("retrieved:true");
    expect(res.headers.get("x-from")).toBe("retrieval");
    expect(res.headers.get("x-headroom-tokens-saved")).toBe("600");
    expect(retrievals.length).toBe(1);
    expect(retrievals[0]!.api).toBe("anthropic-messages");
    expect(retrievals[0]!.stream).toBe(true);
    expect(retrievals[0]!.body).toEqual(forwarded);
    expect(stub.requests.length).toBe(2);
    expect(stub.requests[1]!.json).toMatchObject({ messages: [{ content: "second turn" }] });
    expect(stub.requests[1]!.query).toBe("beta=true");
    expect(stub.requests[1]!.headers["x-api-key"]).toBe("sk-ant-k");
  });

  test("a retrieval round trip that fails is a 502 in the client's API shape", async () => {
    next = (input) => ({ body: input.body, changed: true, tokensBefore: 10, tokensAfter: 5, savedByKind: {}, hasMarkers: true });
    onRetrieve = async () => {
      throw new Error("resend failed");
    };
    const res = await post("/v1/chat/completions", original, openaiHeaders);
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("resend failed");
  });

  test("/v1/compress and /v1/retrieve are answered by the compression routes, never forwarded", async () => {
    const c = await post("/v1/compress", original, { "content-type": "application/json" });
    expect([403, 404]).not.toContain(c.status);
    await c.arrayBuffer();
    const r = await fetch(`${proxy.url}/v1/retrieve/abc123`);
    expect([403, 404]).not.toContain(r.status);
    await r.arrayBuffer();
    expect((await fetch(`${proxy.url}/v1/compress`)).status).toBe(405);
    expect(stub.requests.length).toBe(0);
  });
});

describe("the real engine", () => {
  test("a bulky tool result: the upstream gets valid JSON, and token headers match what was forwarded", async () => {
    const p = await startProxy(config({ mode: "token" }), { log: quiet });
    try {
      const rows = Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item-${i}`, status: i === 137 ? "error: disk full" : "ok", size: 1000 + i }));
      const body = JSON.stringify({
        model: "claude-x",
        max_tokens: 100,
        messages: [
          { role: "user", content: "list the items" },
          { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "list", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: JSON.stringify(rows) }] },
        ],
      });
      const res = await post("/v1/messages", body, anthropicHeaders, p.url);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const sent = stub.requests[0]!;
      expect(sent.json).toBeDefined();
      if (sent.text !== body) {
        const before = Number(res.headers.get("x-headroom-tokens-before"));
        const after = Number(res.headers.get("x-headroom-tokens-after"));
        expect(after).toBeLessThan(before);
        expect(Number(res.headers.get("x-headroom-tokens-saved"))).toBe(before - after);
        expect(sent.text.length).toBeLessThan(body.length);
      }
    } finally {
      await p.stop(100);
    }
  });
});
