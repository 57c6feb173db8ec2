// The Responses WebSocket relay over real loopback sockets: an in-process proxy
// (startProxy) between a Bun WebSocket client and a recording WebSocket stand-in for
// the OpenAI API. Proves the handshake headers and key reach the upstream (and headroom's
// own do not), frames pass both ways unchanged and in order, response.create goes through
// the compressor (and a headroom_retrieve call is answered inside the proxy over the same
// socket), usage lands in /stats, each side's close reaches the other, and an upstream
// that refuses or cannot be reached gives the client an HTTP status with a reason.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompressInput, CompressResult } from "../../src/proxy/compress/index.ts";
import { type ProxyConfig, resolveProxyConfig } from "../../src/proxy/config.ts";
import { type RunningProxy, type StartOptions, startProxy } from "../../src/proxy/server.ts";
import { startResponsesWsUpstream, type ResponsesWsUpstream } from "../support/responses-ws-upstream.ts";

type J = Record<string, any>;
const quiet = { level: "error" as const, enabled: () => false, debug() {}, info() {}, warn() {}, error() {} };
const KEY = "sk-proj-ws-relay-dummy-0001";

let up: ResponsesWsUpstream;
let ws: string;
const proxies: RunningProxy[] = [];
const clients: WebSocket[] = [];

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), "headroom-ws-relay-"));
  up = await startResponsesWsUpstream();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of proxies.splice(0)) await p.stop(200);
  up.reset();
});

afterAll(async () => {
  await up.stop();
  rmSync(ws, { recursive: true, force: true });
});

async function proxy(over: Partial<ProxyConfig> = {}, opts: StartOptions = {}): Promise<RunningProxy> {
  const config = { ...resolveProxyConfig({ port: 0, openaiApiUrl: up.url, optimize: false }, { HEADROOM_WORKSPACE_DIR: ws }), ...over };
  const p = await startProxy(config, { log: quiet, ...opts });
  proxies.push(p);
  return p;
}

/** A client socket that records what it receives and how it closed. */
interface Client {
  ws: WebSocket;
  got: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves when `n` frames have arrived (or the socket closed). */
  frames(n: number): Promise<string[]>;
  /** Frames up to and including the next response.completed / error. */
  response(): Promise<J[]>;
}

async function open(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const sock = new WebSocket(url, { headers: { authorization: `Bearer ${KEY}`, ...headers } } as unknown as string[]);
  clients.push(sock);
  const got: string[] = [];
  const waiters: Array<() => void> = [];
  let taken = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    sock.onclose = (e) => {
      resolve({ code: e.code, reason: e.reason });
      waiters.splice(0).forEach((w) => w());
    };
  });
  sock.onmessage = (e) => {
    got.push(typeof e.data === "string" ? e.data : Buffer.from(e.data as ArrayBuffer).toString("utf8"));
    waiters.splice(0).forEach((w) => w());
  };
  await new Promise<void>((resolve, reject) => {
    sock.onopen = () => resolve();
    sock.onerror = (e) => reject(new Error((e as ErrorEvent).message));
  });
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  const frames = async (n: number) => {
    while (got.length < n && !isClosed) await new Promise<void>((r) => waiters.push(r));
    return got.slice(0, n);
  };
  const response = async () => {
    for (;;) {
      const i = got.slice(taken).findIndex((t) => /^\{"type":"(response\.completed|response\.failed|error)"/.test(t));
      if (i !== -1) {
        const out = got.slice(taken, taken + i + 1).map((t) => JSON.parse(t) as J);
        taken += i + 1;
        return out;
      }
      if (isClosed) throw new Error(`socket closed before the response ended; got ${got.length} frames`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { ws: sock, got, closed, frames, response };
}

const wsUrl = (p: RunningProxy, path = "/v1/responses") => p.url.replace(/^http/, "ws") + path;
const create = (extra: J = {}) => JSON.stringify({ type: "response.create", model: "gpt-relay", input: [{ role: "user", content: [{ type: "input_text", text: "say hi" }] }], ...extra });
const stats = async (p: RunningProxy) => (await (await fetch(`${p.url}/stats`)).json()) as J;

/** The raw answer to a WebSocket handshake (status line, headers, body). */
function rawHandshake(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1", () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${KEY}\r\n\r\n`,
      );
    });
    let text = "";
    sock.on("data", (d) => {
      text += d.toString("utf8");
      const head = text.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(text);
      if (head !== -1 && len && text.length >= head + 4 + Number(len[1])) {
        sock.destroy();
        resolve({ status: Number(text.split(" ")[1]), text });
      }
    });
    sock.on("error", reject);
    sock.on("close", () => resolve({ status: Number(text.split(" ")[1]), text }));
  });
}

describe("handshake", () => {
  test("the upstream gets the client's headers and key on /v1/responses with its query; headroom's own headers stay behind", async () => {
    const p = await proxy();
    const c = await open(wsUrl(p, "/v1/responses?trace=1"), {
      "openai-beta": "responses_websockets=2026-02-06",
      "session-id": "sess-1",
      "x-headroom-project": "proj",
      "x-headroom-bypass": "true",
    });
    c.ws.send(create());
    await c.response();
    const h = up.handshakes.at(-1)!;
    expect(h.path).toBe("/v1/responses");
    expect(h.query).toBe("?trace=1");
    expect(h.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(h.headers["openai-beta"]).toBe("responses_websockets=2026-02-06");
    expect(h.headers["session-id"]).toBe("sess-1");
    expect(h.headers.host).toBe(`127.0.0.1:${up.port}`);
    expect(Object.keys(h.headers).filter((k) => k.startsWith("x-headroom-"))).toEqual([]);
    // The client's project header counts the response under that project.
    expect((await stats(p)).requests.by_project).toEqual({ proj: 1 });
  });

  test("/responses and /p/<project>/v1/responses are relayed to the upstream's /v1/responses", async () => {
    const p = await proxy();
    for (const path of ["/responses", "/p/webapp/v1/responses"]) {
      const c = await open(wsUrl(p, path));
      c.ws.send(create());
      await c.response();
    }
    expect(up.handshakes.map((h) => h.path)).toEqual(["/v1/responses", "/v1/responses"]);
    expect((await stats(p)).requests.by_project).toEqual({ webapp: 1 });
  });

  test("an Authorization that carried the proxy token does not go upstream; x-headroom-proxy-token keeps the key", async () => {
    const p = await proxy({ proxyToken: "tok-123" });
    const a = await open(wsUrl(p), { authorization: "Bearer tok-123" });
    a.ws.send(create());
    await a.response();
    expect(up.handshakes.at(-1)!.headers.authorization).toBeUndefined();
    const b = await open(wsUrl(p), { "x-headroom-proxy-token": "tok-123" });
    b.ws.send(create());
    await b.response();
    expect(up.handshakes.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(up.handshakes.at(-1)!.headers["x-headroom-proxy-token"]).toBeUndefined();
  });
});

describe("relay", () => {
  test("every upstream frame reaches the client unchanged and in order, over several responses on one socket", async () => {
    const p = await proxy();
    up.enqueue({ text: "first answer with several words" });
    up.enqueue({ toolCalls: [{ id: "call_1", name: "shell", arguments: { cmd: ["ls"] } }] });
    up.enqueue({ text: "third" });
    const c = await open(wsUrl(p));
    const sent = [create(), JSON.stringify({ type: "response.processed", response_id: "resp_x" }), create({ previous_response_id: "resp_ws0001" }), create()];
    c.ws.send(sent[0]!);
    await c.response();
    c.ws.send(sent[1]!);
    c.ws.send(sent[2]!);
    await c.response();
    c.ws.send(sent[3]!);
    await c.response();
    // What the upstream received, byte for byte, in order (compression is off here).
    expect(up.frames.filter((f) => f.dir === "in").map((f) => f.text)).toEqual(sent);
    // What the client received is exactly what the upstream sent.
    expect(c.got).toEqual(up.frames.filter((f) => f.dir === "out").map((f) => f.text));
    expect(c.got.length).toBeGreaterThan(20);
    expect(up.handshakes).toHaveLength(1);
  });

  test("usage from each response.completed is counted; no errors, nothing left in flight", async () => {
    const p = await proxy();
    up.enqueue({ text: "a", usage: { input: 100, output: 7, cached: 40 } });
    up.enqueue({ text: "b", usage: { input: 5, output: 3 } });
    const c = await open(wsUrl(p));
    c.ws.send(create());
    await c.response();
    c.ws.send(create({ model: "gpt-other" }));
    await c.response();
    const s = await stats(p);
    expect(s.requests.total).toBe(2);
    expect(s.requests.errors).toBe(0);
    expect(s.requests.in_flight).toBe(0);
    expect(s.tokens).toMatchObject({ input: 105, output: 10, cache_read: 40 });
    expect(Object.keys(s.requests.by_model).sort()).toEqual(["gpt-other", "gpt-relay"]);
  });

  test("an error event ends the response and is counted with its status", async () => {
    const p = await proxy();
    up.enqueue({ error: { status: 429, code: "rate_limit_exceeded", message: "slow down" } });
    const c = await open(wsUrl(p));
    c.ws.send(create());
    const events = await c.response();
    expect(events.at(-1)).toMatchObject({ type: "error", status: 429 });
    const s = await stats(p);
    expect(s.requests.by_status).toEqual({ "4xx": 1 });
    expect(s.requests.in_flight).toBe(0);
  });
});

describe("compression", () => {
  const calls: CompressInput[] = [];
  let next: ((input: CompressInput) => CompressResult) | null = null;
  const scripted = {
    compression: {
      compressRequest: async (input: CompressInput): Promise<CompressResult> => {
        calls.push(input);
        return next ? next(input) : { body: input.body, changed: false, tokensBefore: 10, tokensAfter: 10, savedByKind: {} };
      },
    },
  };
  afterEach(() => {
    calls.length = 0;
    next = null;
  });

  test("response.create goes to the compressor as an openai-responses body; an unchanged one is forwarded byte for byte", async () => {
    const p = await proxy({ optimize: true, mode: "cache" }, scripted);
    const c = await open(wsUrl(p), { "session-id": "s-9" });
    const frame = `{"type":"response.create",  "model":"gpt-relay","input":[{"role":"user","content":"keep   spacing"}]}`;
    c.ws.send(frame);
    await c.response();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.api).toBe("openai-responses");
    expect(calls[0]!.mode).toBe("cache");
    expect(calls[0]!.freshThreshold).toBe(p.context.config.freshThreshold);
    expect(calls[0]!.body).toEqual({ model: "gpt-relay", input: [{ role: "user", content: "keep   spacing" }] });
    expect(calls[0]!.headers.get("session-id")).toBe("s-9");
    expect(up.creates()[0]!.text).toBe(frame);
    // Other client frames never reach the compressor.
    c.ws.send(JSON.stringify({ type: "response.processed", response_id: "resp_1" }));
    c.ws.send(create());
    await c.response();
    expect(calls).toHaveLength(2);
  });

  test("a changed body goes upstream as a response.create of the new body; the savings are counted", async () => {
    const p = await proxy({ optimize: true }, scripted);
    next = (input) => ({
      body: { ...(input.body as J), input: [{ role: "user", content: "short" }] },
      changed: true, tokensBefore: 500, tokensAfter: 100, savedByKind: { json: 400 },
    });
    const c = await open(wsUrl(p));
    c.ws.send(create());
    await c.response();
    expect(up.creates()[0]!.json).toEqual({ type: "response.create", model: "gpt-relay", input: [{ role: "user", content: "short" }] });
    const s = await stats(p);
    expect(s.tokens.saved).toBe(400);
    expect(s.compressions.by_kind.json).toEqual({ count: 1, tokens_saved: 400 });
  });

  test("x-headroom-bypass on the handshake, or --no-optimize, skips the compressor", async () => {
    const a = await proxy({ optimize: true }, scripted);
    const c = await open(wsUrl(a), { "x-headroom-bypass": "1" });
    c.ws.send(create());
    await c.response();
    const b = await proxy({ optimize: false }, scripted);
    const d = await open(wsUrl(b));
    d.ws.send(create());
    await d.response();
    expect(calls).toHaveLength(0);
  });

  test("real engine: a bulky tool output is compressed, and the model's headroom_retrieve call is answered over the same socket", async () => {
    const p = await proxy({ optimize: true, mode: "token" });
    const rows = Array.from({ length: 400 }, (_, i) => ({ id: i, title: `Issue ${i}: ${i === 262 ? "login page flickers on Safari" : "minor layout tweak in settings"}`, state: i % 3 ? "open" : "closed", labels: ["ui", `area-${i % 7}`] }));
    const original = JSON.stringify(rows, null, 2);
    let hash = "";
    up.enqueue((req) => {
      const m = /headroom_retrieve \{\\?"hash\\?":\\?"([0-9a-f]{24})/.exec(JSON.stringify(req));
      hash = m?.[1] ?? "";
      return { toolCalls: [{ id: "call_r", name: "headroom_retrieve", arguments: { hash } }] };
    });
    up.enqueue({ text: "Issue 262.", usage: { input: 50, output: 4 } });
    const c = await open(wsUrl(p));
    c.ws.send(JSON.stringify({
      type: "response.create", model: "gpt-relay", previous_response_id: "resp_before",
      tools: [{ type: "function", name: "list_issues", parameters: { type: "object", properties: {} } }],
      input: [
        { type: "function_call", call_id: "call_1", name: "list_issues", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: original },
        { role: "user", content: [{ type: "input_text", text: "Which issue is about the login page flickering on Safari?" }] },
      ],
    }));
    const events = await c.response();
    const [first, second] = up.creates();
    // The upstream saw the compressed output with a marker and the retrieve tool.
    expect(hash).toMatch(/^[0-9a-f]{24}$/);
    expect(first!.text.length).toBeLessThan(original.length);
    expect((first!.json as J).tools.map((t: J) => t.name)).toContain("headroom_retrieve");
    // The follow-up continues the retrieval response with the original, on the same socket.
    const retrievalRound = (up.frames.find((f) => f.dir === "out" && f.json?.type === "response.created")!.json as J).response.id;
    expect(second!.json!.previous_response_id).toBe(retrievalRound);
    expect(second!.json!.input).toEqual([{ type: "function_call_output", call_id: "call_r", output: original }]);
    expect(up.handshakes).toHaveLength(1);
    // The client saw one response, without the retrieval round.
    expect(c.got.join("\n")).not.toContain("headroom_retrieve");
    expect(events.filter((e) => e.type === "response.created")).toHaveLength(1);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("")).toBe("Issue 262.");
    expect(events.at(-1)!.type).toBe("response.completed");
    expect(events.at(-1)!.response.output.map((o: J) => o.type)).toEqual(["message"]);
    const s = await stats(p);
    expect(s.requests.total).toBe(1);
    expect(s.requests.errors).toBe(0);
    expect(s.tokens.saved).toBeGreaterThan(0);
    // The socket still works for the next response.
    c.ws.send(create());
    expect((await c.response()).at(-1)!.type).toBe("response.completed");
  });
});

describe("closing", () => {
  test("the client closing closes the upstream with its code and reason; a response it left is counted as 499", async () => {
    const p = await proxy();
    up.enqueue({ text: "a long answer that takes a while to stream out", eventDelayMs: 30 });
    const c = await open(wsUrl(p));
    c.ws.send(create());
    await c.frames(3);
    c.ws.close(4000, "user pressed ctrl-c");
    await up.until(() => up.closes.length === 1);
    expect(up.closes[0]).toMatchObject({ code: 4000, reason: "user pressed ctrl-c" });
    const s = await stats(p);
    expect(s.requests.by_status).toEqual({ "4xx": 1 });
    expect(s.requests.in_flight).toBe(0);
    expect(up.openConnections()).toBe(0);
  });

  test("the upstream closing closes the client with the same code and reason", async () => {
    const p = await proxy();
    const c = await open(wsUrl(p));
    c.ws.send(create());
    await c.response();
    up.closeAll(4001, "connection limit reached");
    expect(await c.closed).toEqual({ code: 4001, reason: "connection limit reached" });
  });

  test("an upstream that goes away mid-response ends the client's socket with 1011 and counts 502", async () => {
    const p = await proxy();
    up.enqueue({ close: { code: 1011, reason: "" } });
    const c = await open(wsUrl(p));
    c.ws.send(create());
    const closed = await c.closed;
    expect(closed.code).toBe(1011);
    expect(closed.reason).toContain("upstream");
    expect((await stats(p)).requests.by_status).toEqual({ "5xx": 1 });
  });

  test("shutdown closes idle relayed sockets with 1001 once their responses are done", async () => {
    const p = await proxy();
    const c = await open(wsUrl(p));
    c.ws.send(create());
    await c.response();
    const stopping = p.stop(2000);
    expect((await c.closed).code).toBe(1001);
    await stopping;
    proxies.splice(proxies.indexOf(p), 1);
    await up.until(() => up.openConnections() === 0);
  });
});

describe("upstream refusals", () => {
  test("an upstream refusing the upgrade gives the client the same status and a reason, counted as an error", async () => {
    const p = await proxy();
    up.rejectUpgrades(401);
    const r = await rawHandshake(p.port, "/v1/responses?api-key=secret-in-query");
    expect(r.status).toBe(401);
    expect(r.text).toContain(`The upstream ws://127.0.0.1:${up.port}/v1/responses refused the WebSocket upgrade with HTTP 401.`);
    expect(r.text).not.toContain(KEY);
    expect(r.text).not.toContain("secret-in-query");
    expect((await stats(p)).requests.errors).toBe(1);
  });

  test("an upstream without the WebSocket route (404) gives 426, so the client switches to HTTP at once", async () => {
    const p = await proxy();
    up.rejectUpgrades(404);
    expect((await rawHandshake(p.port, "/v1/responses")).status).toBe(426);
  });

  test("an unreachable upstream is a 502 naming it", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const deadPort = closed.port;
    closed.stop(true);
    const p = await proxy({ openaiApiUrl: `http://127.0.0.1:${deadPort}` });
    const r = await rawHandshake(p.port, "/v1/responses?api-key=secret-in-query");
    expect(r.status).toBe(502);
    expect(r.text).toContain(`headroom could not reach the upstream WebSocket ws://127.0.0.1:${deadPort}/v1/responses`);
    expect(r.text).not.toContain("secret-in-query");
    expect((await stats(p)).requests.errors).toBe(1);
  });

  test("a plain GET /v1/responses is still forwarded as HTTP", async () => {
    const p = await proxy();
    const res = await fetch(`${p.url}/v1/responses`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(404); // the stand-in's answer to a GET, relayed
    expect(up.http.at(-1)!.method).toBe("GET");
    expect(up.handshakes).toHaveLength(0);
  });
});

describe("ChatGPT sign-in", () => {
  const ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
  const saved = process.env.HEADROOM_CHATGPT_API_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.HEADROOM_CHATGPT_API_URL;
    else process.env.HEADROOM_CHATGPT_API_URL = saved;
  });

  test("a socket carrying chatgpt-account-id goes to the ChatGPT backend's /responses with the token untouched", async () => {
    process.env.HEADROOM_CHATGPT_API_URL = `${up.url}/backend-api/codex/`;
    const p = await proxy();
    const c = await open(wsUrl(p), { authorization: `Bearer ${ACCESS}`, "chatgpt-account-id": "acct-1" });
    c.ws.send(create());
    expect((await c.response()).at(-1)!.type).toBe("response.completed");
    const h = up.handshakes.at(-1)!;
    expect(h.path).toBe("/backend-api/codex/responses");
    expect(h.headers.authorization).toBe(`Bearer ${ACCESS}`);
    expect(h.headers["chatgpt-account-id"]).toBe("acct-1");
  });

  test("its HTTP requests (the fallback transport, the model list) go there too, without /v1; API-key requests do not", async () => {
    process.env.HEADROOM_CHATGPT_API_URL = `${up.url}/backend-api/codex`;
    const p = await proxy();
    const chatgpt = { authorization: `Bearer ${ACCESS}`, "chatgpt-account-id": "acct-1", "content-type": "application/json" };
    const res = await fetch(`${p.url}/v1/responses`, { method: "POST", headers: chatgpt, body: JSON.stringify({ model: "gpt-x", stream: true, input: "hi" }) });
    expect(await res.text()).toContain("response.completed");
    await (await fetch(`${p.url}/v1/models?client_version=0.171.0`, { headers: chatgpt })).arrayBuffer();
    await (await fetch(`${p.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).arrayBuffer();
    expect(up.http.map((q) => q.path)).toEqual(["/backend-api/codex/responses", "/backend-api/codex/models", "/v1/models"]);
    expect(up.http[0]!.headers.authorization).toBe(`Bearer ${ACCESS}`);
  });
});
