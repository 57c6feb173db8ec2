// The OpenAI Responses WebSocket (Codex's default transport): a client's upgrade on
// /v1/responses is relayed to a WebSocket the proxy opens to the upstream's
// /v1/responses with the client's own headers and key. Frames go both ways in order;
// each `response.create` is compressed like an HTTP /v1/responses body; every response
// is counted in the stats and the ledger when its terminal event (response.completed,
// .failed, .incomplete, or an error event) passes. When compression left retrieval
// markers, the response's events go through the same headroom_retrieve handling as an
// HTTP stream (the follow-up rounds are further `response.create` messages on the same
// upstream socket) and the client sees one response.
//
// The upstream is connected before the client's upgrade is accepted, so an upstream that
// refuses (401, 429, ...) or cannot be reached gives the client an HTTP status with a
// reason, and a client never holds a socket to nowhere. One socket closing closes the other.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { errorMessage } from "../errors.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import { chatgptTarget } from "./chatgpt.ts";
import { isObj } from "./compress/apis/types.ts";
import type { CompressResult } from "./compress/index.ts";
import type { ProxyContext } from "./context.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import type { CompressionRecord, RequestRecord } from "./request-record.ts";
import type { RouteInfo } from "./routing.ts";
import { readJsonUsage, type Usage } from "./usage.ts";

/** How long the upstream may take to accept the WebSocket upgrade. */
export const UPSTREAM_CONNECT_MS = 30_000;

/** Paths (after the /p/<project> prefix) where the Responses WebSocket is accepted. */
export function isResponsesSocketPath(path: string): boolean {
  return path === "/v1/responses" || path === "/responses";
}

export function isWebSocketUpgrade(req: Request): boolean {
  const up = req.headers.get("upgrade");
  return req.method === "GET" && up !== null && up.toLowerCase() === "websocket";
}

/** Headers of the WebSocket handshake itself: the upstream socket makes its own. */
const HANDSHAKE = new Set(["sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol", "sec-websocket-accept"]);

/** The client's headers as they go upstream: SPEC 9.1 hygiene, minus the handshake's own. */
export function upstreamSocketHeaders(incoming: Headers, dropAuthorization: boolean, gatewayToken?: string): Headers {
  const out = upstreamRequestHeaders(incoming, { dropAuthorization, gatewayToken });
  for (const name of [...out.keys()]) if (HANDSHAKE.has(name)) out.delete(name);
  return out;
}

/** ws(s)://<upstream>/v1/responses<search> from the http(s) upstream base. */
export function upstreamSocketUrl(base: string, search: string, path = "/v1/responses"): string {
  const ws = base.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);
  return `${ws}${path}${search}`;
}

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);
const TYPE_FIRST = /^\s*\{\s*"type"\s*:\s*"([^"\\]+)"/;

/**
 * The event type of a frame. OpenAI and Codex put `type` first, which is read without
 * parsing the frame; any other layout is parsed in full.
 */
export function eventType(text: string): string | undefined {
  const m = TYPE_FIRST.exec(text.length > 200 ? text.slice(0, 200) : text);
  if (m) return m[1];
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) && typeof v.type === "string" ? v.type : undefined;
  } catch {
    return undefined;
  }
}

/** A close code the proxy may send on (1005, 1006 and 1015 exist only as reports). */
function sendableCode(code: number | undefined, fallback: number): number {
  if (code === undefined) return fallback;
  if (code === 1000 || (code >= 3000 && code <= 4999)) return code;
  if (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) return code;
  return fallback;
}

/** Close reasons are at most 123 bytes. */
function reasonText(text: string): string {
  const b = Buffer.from(text);
  return b.length <= 123 ? text : b.subarray(0, 120).toString("utf8").replace(/\uFFFD*$/, "") + "...";
}

type Frame = string | Buffer;

interface Pending {
  t0: number;
  overheadMs: number;
  model?: string;
  compression?: CompressionRecord;
  /** Set while the response's events go through the retrieval handling. */
  feed: EventFeed | null;
  done: boolean;
}

/**
 * Upstream frames of one response as a text/event-stream body (what the retrieval
 * handling reads); ends after the response's terminal event.
 */
class EventFeed {
  readonly stream: ReadableStream<Uint8Array>;
  responseId?: string;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private ended = false;
  private readonly enc = new TextEncoder();

  constructor() {
    this.stream = new ReadableStream<Uint8Array>({ start: (c) => void (this.controller = c) });
  }

  push(frame: Frame): void {
    if (this.ended) return;
    const text = typeof frame === "string" ? frame : frame.toString("utf8");
    const type = eventType(text);
    if (type === "response.created" || (type && TERMINAL.has(type))) {
      const m = /"id"\s*:\s*"(resp_[^"]+)"/.exec(text);
      if (m) this.responseId = m[1];
    }
    const data = text.split(/\r?\n/).map((l) => `data: ${l}`).join("\n");
    this.controller.enqueue(this.enc.encode(`${type ? `event: ${type}\n` : ""}${data}\n\n`));
    if (type && TERMINAL.has(type)) this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.controller.close();
  }

  response(): Response {
    return new Response(this.stream, { status: 200, headers: { "content-type": "text/event-stream" } });
  }
}

export interface SocketData {
  session: ResponsesSocket;
}

const sessions = new WeakMap<ProxyContext, Set<ResponsesSocket>>();
const sessionsOf = (ctx: ProxyContext) => {
  let set = sessions.get(ctx);
  if (!set) sessions.set(ctx, (set = new Set()));
  return set;
};

/** Bun's client WebSocket; pause() and resume() (reading from the peer) where this Bun has them, not in its types. */
type UpstreamSocket = WebSocket & { pause?(): void; resume?(): void };

/** One client socket and its upstream socket. */
export class ResponsesSocket {
  client: ServerWebSocket<SocketData> | null = null;
  private early: Frame[] = [];
  private chain: Promise<void> = Promise.resolve();
  private pending: Pending[] = [];
  private closed = false;
  private paused = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly info: RouteInfo,
    readonly upstream: UpstreamSocket,
    private readonly compress: boolean,
    private readonly headers: Headers,
  ) {}

  // ---------------------------------------------------------------- lifecycle

  /** The client's socket is open: flush what the upstream sent meanwhile. */
  opened(ws: ServerWebSocket<SocketData>): void {
    this.client = ws;
    sessionsOf(this.ctx).add(this);
    for (const f of this.early.splice(0)) this.fromUpstream(f);
  }

  clientClosed(code: number, reason: string): void {
    sessionsOf(this.ctx).delete(this);
    if (this.closed) return;
    this.closed = true;
    this.failPending(499);
    try {
      this.upstream.close(sendableCode(code, 1000), reason);
    } catch {
      // already closing
    }
  }

  upstreamClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    sessionsOf(this.ctx).delete(this);
    const clean = code === 1000 || code === 1001;
    if (!clean && this.pending.length > 0) this.ctx.log.warn(`upstream WebSocket closed (${code}${reason ? `: ${reason}` : ""}) with ${this.pending.length} response(s) unfinished`);
    this.failPending(502);
    const ws = this.client;
    if (!ws) return;
    const out = clean ? code : sendableCode(code, 1011);
    const why = reason || (clean ? "" : `headroom: the upstream WebSocket closed (code ${code})`);
    try {
      ws.close(out, reasonText(why));
    } catch {
      // already closing
    }
  }

  /** Closes both sides (proxy shutdown). */
  shutdown(code: number, reason: string): void {
    try {
      this.client?.close(code, reason);
    } catch {
      // already closing
    }
  }

  drained(): void {
    if (!this.paused) return;
    this.paused = false;
    this.upstream.resume?.();
  }

  // ---------------------------------------------------------------- upstream -> client

  fromUpstream(frame: Frame): void {
    if (!this.client) {
      this.early.push(frame);
      return;
    }
    const head = this.pending[0];
    if (head?.feed) {
      head.feed.push(frame);
      return;
    }
    this.toClient(frame);
  }

  private toClient(frame: Frame): void {
    const ws = this.client;
    if (!ws || this.closed) return;
    const sent = ws.send(frame);
    if (sent === -1 && !this.paused) {
      // The client reads slower than the upstream writes: stop reading until it drains.
      this.paused = true;
      this.upstream.pause?.();
    }
    if (typeof frame === "string") this.observe(frame);
  }

  /** Counts a response when its terminal event goes by. */
  private observe(text: string): void {
    if (this.pending.length === 0) return;
    const type = eventType(text);
    if (!type || !TERMINAL.has(type)) return;
    const p = this.pending.shift()!;
    let status = 200;
    let usage: Usage | undefined;
    if (type === "error") {
      const m = /"status(?:_code)?"\s*:\s*(\d{3})/.exec(text);
      status = m ? Number(m[1]) : 500;
      if (status < 400) status = 500;
    } else {
      usage = readJsonUsage(Buffer.from(text));
    }
    this.finish(p, status, usage);
  }

  private finish(p: Pending, status: number, usage?: Usage): void {
    if (p.done) return;
    p.done = true;
    p.feed?.end();
    p.feed = null;
    const r: RequestRecord = {
      provider: this.info.provider, status, project: this.info.project, user: this.info.user, latencyMs: performance.now() - p.t0,
      overheadMs: p.overheadMs, model: usage?.model ?? p.model, usage, compression: p.compression,
    };
    this.ctx.stats.record(r);
    this.ctx.ledger.record(r);
    if (this.ctx.log.enabled("debug")) {
      this.ctx.log.debug(`WS response.create ${this.info.path} -> ${this.info.provider} ${status} ${r.latencyMs.toFixed(1)}ms${usage ? ` in=${usage.input} out=${usage.output}` : ""}`);
    }
    const life = this.ctx.life;
    life.inFlight--;
    if (life.inFlight === 0) this.ctx.onIdle?.();
  }

  private failPending(status: number): void {
    for (const p of this.pending.splice(0)) this.finish(p, status);
  }

  // ---------------------------------------------------------------- client -> upstream

  fromClient(frame: Frame): void {
    const t0 = performance.now();
    // One at a time, in arrival order: a compressed response.create must not be overtaken.
    this.chain = this.chain.then(() => this.forward(frame, t0)).catch((err: unknown) => {
      this.ctx.log.warn(`WebSocket relay failed: ${errorMessage(err)}`);
    });
  }

  private sendUpstream(frame: Frame): void {
    if (this.upstream.readyState === WebSocket.OPEN) this.upstream.send(frame);
  }

  private async forward(frame: Frame, t0: number): Promise<void> {
    if (this.closed) return;
    if (typeof frame !== "string" || eventType(frame) !== "response.create") {
      this.sendUpstream(frame);
      return;
    }
    const p: Pending = { t0, overheadMs: 0, feed: null, done: false };
    this.ctx.life.inFlight++;
    let out: string = frame;
    let result: CompressResult | undefined;
    try {
      const parsed: unknown = JSON.parse(frame);
      if (isObj(parsed)) {
        if (typeof parsed.model === "string") p.model = parsed.model;
        if (this.compress) {
          const { type: _type, ...rest } = parsed;
          ({ result, record: p.compression } = await this.compressBody(rest));
          if (result?.changed && isObj(result.body)) out = JSON.stringify({ type: "response.create", ...result.body });
        }
      }
    } catch {
      // not JSON: the upstream answers it
    }
    p.overheadMs = performance.now() - t0;
    if (this.closed) {
      this.finish(p, 499);
      return;
    }
    this.pending.push(p);
    if (result?.changed && result.hasMarkers) this.retrieve(p, result.body);
    this.sendUpstream(out);
  }

  private async compressBody(body: Record<string, unknown>): Promise<{ result?: CompressResult; record?: CompressionRecord }> {
    let result: CompressResult;
    try {
      // The same input as the HTTP path gives it (forward.ts).
      result = await this.ctx.compression.compressRequest({ api: "openai-responses", body, mode: this.ctx.config.mode, freshThreshold: this.ctx.config.freshThreshold, headers: this.headers });
    } catch (err) {
      this.ctx.log.warn(`compression failed, forwarding the original: ${errorMessage(err)}`);
      return { record: { tokensBefore: 0, tokensAfter: 0, changed: false, failed: true, savedByKind: {} } };
    }
    if (result.failed && result.failure) this.ctx.log.warn(`compression failed, forwarding the original: ${result.failure}`);
    return {
      result,
      record: { tokensBefore: result.tokensBefore, tokensAfter: result.tokensAfter, changed: result.changed, failed: !!result.failed, savedByKind: result.savedByKind },
    };
  }

  /**
   * The response to a body with retrieval markers: its events go to the retrieval
   * handling (as an event stream), and what that gives back goes to the client. A
   * follow-up round continues the response the model just gave (previous_response_id)
   * with the function_call_output items the proxy resolved, on the same upstream socket.
   */
  private retrieve(p: Pending, sent: unknown): void {
    let feed = new EventFeed();
    p.feed = feed;
    const resend = async (next: unknown): Promise<Response> => {
      if (this.closed || p.done) throw new Error("the connection closed");
      const previous = feed.responseId;
      if (!isObj(next)) throw new Error("a retrieval round's body is not a JSON object");
      const body = next;
      const input: unknown[] = Array.isArray(body.input) ? body.input : [];
      let k = input.length;
      while (k > 0 && isFunctionCallOutput(input[k - 1])) k--;
      const followUp = previous ? { ...body, previous_response_id: previous, input: input.slice(k) } : body;
      feed = new EventFeed();
      p.feed = feed;
      this.sendUpstream(JSON.stringify({ type: "response.create", ...followUp }));
      return feed.response();
    };
    void (async () => {
      let answer: Response;
      try {
        answer = await this.ctx.compression.handleRetrievals({ api: "openai-responses", body: sent, stream: true, response: feed.response(), resend });
      } catch (err) {
        this.sendError(p, `headroom could not complete a retrieval round trip: ${errorMessage(err)}`);
        return;
      }
      const { readEvents } = await import("./compress/retrieval/sse.ts");
      try {
        if (answer.body) {
          for await (const ev of readEvents(answer.body)) {
            if (p.done) break;
            if (ev.data) this.toClient(ev.data);
          }
        }
      } catch (err) {
        this.ctx.log.warn(`retrieval relay failed: ${errorMessage(err)}`);
      }
      if (!p.done) this.sendError(p, "headroom: the response ended before its final event");
    })();
  }

  /** Ends a response the retrieval handling could not finish with an error event. */
  private sendError(p: Pending, message: string): void {
    if (p.done) return;
    const i = this.pending.indexOf(p);
    if (i !== -1) this.pending.splice(i, 1);
    this.ctx.log.warn(message);
    if (this.client && !this.closed) this.client.send(JSON.stringify({ type: "error", status: 502, error: { type: "api_error", code: "headroom_retrieval_failed", message } }));
    this.finish(p, 502);
  }
}

const isFunctionCallOutput = (item: unknown): boolean => isObj(item) && item.type === "function_call_output";

function isBypass(headers: Headers): boolean {
  const v = headers.get("x-headroom-bypass");
  return v !== null && /^(true|1|yes)$/i.test(v.trim());
}

function refuse(status: number, type: string, message: string): Response {
  return Response.json({ error: { type, message } }, { status });
}

/** The upstream's status from Bun's "Expected 101 status code: 401" message. */
export function refusedStatus(message: string): number | undefined {
  const m = /Expected 101 status code:?\s*(\d{3})/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

function countFailure(ctx: ProxyContext, info: RouteInfo, t0: number, status: number): void {
  const r: RequestRecord = { provider: info.provider, status, project: info.project, user: info.user, latencyMs: performance.now() - t0, overheadMs: 0 };
  ctx.stats.record(r);
  ctx.ledger.record(r);
}

/**
 * Handles a WebSocket upgrade on /v1/responses: connects the upstream socket, then
 * accepts the client's upgrade (resolves undefined) or answers with an HTTP error.
 */
export async function acceptResponsesSocket(
  req: Request,
  server: Server<unknown>,
  info: RouteInfo,
  search: string,
  ctx: ProxyContext,
  opts: { authorizationIsProxyToken: boolean },
): Promise<Response | undefined> {
  const t0 = performance.now();
  if (ctx.life.draining) return refuse(503, "unavailable", "headroom is shutting down; connect again in a moment.");
  // A ChatGPT sign-in goes to the ChatGPT backend's /responses (chatgpt.ts).
  const chatgpt = chatgptTarget(req.headers, "/v1/responses");
  const url = chatgpt ? upstreamSocketUrl(chatgpt.base, search, chatgpt.path) : upstreamSocketUrl(ctx.config.openaiApiUrl, search);
  // Messages name the upstream without the query string (it may carry a key).
  const shown = url.split("?")[0]!;
  const headers = upstreamSocketHeaders(req.headers, opts.authorizationIsProxyToken, chatgpt ? undefined : ctx.config.upstreamToken);
  const protocols = req.headers.get("sec-websocket-protocol")?.split(",").map((p) => p.trim()).filter(Boolean);
  let upstream: WebSocket;
  try {
    const options: Bun.WebSocketOptions = { headers, ...(protocols?.length ? { protocols } : {}) };
    upstream = new WebSocket(url, options);
  } catch (err) {
    countFailure(ctx, info, t0, 502);
    return refuse(502, "upstream_error", `headroom could not open a WebSocket to ${shown}: ${errorMessage(err)}`);
  }
  upstream.binaryType = "nodebuffer";
  const session = new ResponsesSocket(ctx, info, upstream, ctx.config.optimize && !isBypass(req.headers), req.headers);
  const opened = await new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => {
    const timer = setTimeout(() => {
      resolve({ ok: false, error: `no answer to the WebSocket upgrade within ${UPSTREAM_CONNECT_MS / 1000} s` });
      try {
        upstream.close();
      } catch {
        // never opened
      }
    }, UPSTREAM_CONNECT_MS);
    upstream.onopen = () => {
      clearTimeout(timer);
      resolve({ ok: true });
    };
    upstream.onerror = (ev) => {
      clearTimeout(timer);
      resolve({ ok: false, error: ("message" in ev && typeof ev.message === "string" && ev.message) || "connection failed" });
    };
    upstream.onmessage = (ev) => session.fromUpstream(ev.data as Frame);
  });
  if (!opened.ok) {
    const refused = refusedStatus(opened.error);
    if (refused !== undefined) {
      // The upstream answered the upgrade with an HTTP status: the client gets the same
      // one (an upstream without the WebSocket route gets 426, so the client uses HTTP).
      const status = refused === 404 || refused === 405 || refused === 426 ? 426 : refused;
      countFailure(ctx, info, t0, status);
      return refuse(status, "upstream_error", `The upstream ${shown} refused the WebSocket upgrade with HTTP ${refused}.`);
    }
    ctx.log.warn(`upstream WebSocket ${shown} unreachable: ${opened.error.replace(url, shown)}`);
    countFailure(ctx, info, t0, 502);
    return refuse(502, "upstream_unreachable", `headroom could not reach the upstream WebSocket ${shown}: ${opened.error.replace(url, shown)}`);
  }
  upstream.onerror = null;
  upstream.onclose = (ev) => session.upstreamClosed(ev.code, ev.reason);
  const upgradeHeaders: Record<string, string> = {};
  if (upstream.protocol) upgradeHeaders["sec-websocket-protocol"] = upstream.protocol;
  if (!server.upgrade(req, { data: { session } satisfies SocketData, headers: upgradeHeaders })) {
    upstream.close(1000);
    return refuse(400, "invalid_request_error", "The WebSocket upgrade request is not valid.");
  }
  return undefined;
}

/** Bun.serve's websocket handlers for the relay. */
export function responsesSocketHandlers(): WebSocketHandler<SocketData> {
  return {
    maxPayloadLength: MAX_BODY_BYTES,
    // Bun pings an idle client; a model that thinks for minutes never closes the socket.
    idleTimeout: 960,
    sendPings: true,
    open: (ws) => ws.data.session.opened(ws),
    message: (ws, message) => ws.data.session.fromClient(message),
    close: (ws, code, reason) => ws.data.session.clientClosed(code, reason),
    drain: (ws) => ws.data.session.drained(),
  };
}

/** Closes every relayed socket of this proxy (shutdown, once in-flight responses are done). */
export function closeResponsesSockets(ctx: ProxyContext, code = 1001, reason = "headroom is shutting down"): void {
  for (const s of [...(sessions.get(ctx) ?? [])]) s.shutdown(code, reason);
}
