// A stand-in for the OpenAI Responses API on a real loopback socket that speaks both of
// its transports: the WebSocket on /v1/responses (Codex's default) and HTTP POST
// /v1/responses (JSON or SSE). It records every handshake, frame and HTTP request and
// answers each `response.create` with the real event sequence (response.created ...
// response.completed with usage), one event per text frame.
//
//   const up = await startResponsesWsUpstream();
//   up.enqueue({ toolCalls: [{ id: "call_1", name: "shell", arguments: { cmd: "ls" } }] });
//   up.setDefault({ text: "done" });
//   ... up.handshakes[0].headers.authorization, up.creates()[0].json.input ...
//   await up.stop();
import type { Server, ServerWebSocket } from "bun";

export interface UsageSpec {
  /** Uncached input tokens. */
  input?: number;
  output?: number;
  cached?: number;
}

export interface ToolCallSpec {
  id: string;
  name: string;
  arguments: unknown;
}

export interface WsReply {
  /** Assistant text (default "Hello from the WebSocket stand-in." unless toolCalls are given). */
  text?: string;
  toolCalls?: ToolCallSpec[];
  usage?: UsageSpec;
  /** Answer with an `error` event (the shape the Responses WebSocket uses) instead. */
  error?: { status: number; code: string; message: string };
  /** Close the connection with this code and reason instead of answering. */
  close?: { code: number; reason: string };
  /** Wait this long between events. */
  eventDelayMs?: number;
}

export interface Handshake {
  id: number;
  path: string;
  query: string;
  /** Lower-case names. */
  headers: Record<string, string>;
}

export interface Frame {
  conn: number;
  /** "in": from the client; "out": sent by this stand-in. */
  dir: "in" | "out";
  text: string;
  json?: Record<string, unknown>;
  at: number;
}

export interface HttpRecord {
  method: string;
  path: string;
  headers: Record<string, string>;
  text: string;
  json?: Record<string, unknown>;
}

export interface ResponsesWsUpstream {
  /** http://127.0.0.1:PORT (the base to hand headroom's --openai-api-url). */
  url: string;
  port: number;
  handshakes: Handshake[];
  frames: Frame[];
  http: HttpRecord[];
  /** Connections closed, with the code and reason the client sent. */
  closes: { conn: number; code: number; reason: string }[];
  /** Client frames of type response.create, in arrival order. */
  creates(): Frame[];
  /** Open WebSocket connections right now. */
  openConnections(): number;
  /** The reply to the next response.create (or HTTP request); a function decides from the request. */
  enqueue(reply: WsReply | ((req: Record<string, unknown>) => WsReply)): void;
  setDefault(reply: WsReply): void;
  /** Refuse every upgrade with this HTTP status (null: accept again). */
  rejectUpgrades(status: number | null): void;
  /** Forgets the records and the queued replies; accepts upgrades again; default reply back to the default. */
  reset(): void;
  /** Closes every open connection from the server side. */
  closeAll(code: number, reason: string): void;
  /** Resolves once `test` holds (polled as events arrive); rejects after timeoutMs. */
  until(test: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ConnData {
  id: number;
  responses: number;
}

type Obj = Record<string, unknown>;

const lower = (h: Headers): Record<string, string> => {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k.toLowerCase()] = v));
  return out;
};

const parse = (text: string): Obj | undefined => {
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
  } catch {
    return undefined;
  }
};

function usageOf(u: UsageSpec = {}) {
  const cached = u.cached ?? 0;
  const input = (u.input ?? 21) + cached;
  const output = u.output ?? 9;
  return { input_tokens: input, input_tokens_details: { cached_tokens: cached }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
}

function pieces(text: string): string[] {
  const words = text.split(/(?<= )/);
  return words.length > 0 ? words : [text];
}

/** The Responses streaming events for one reply, in order (without sequence numbers). */
export function responseEvents(reply: WsReply, opts: { id: string; model: string; generate?: boolean }): Obj[] {
  const { id, model } = opts;
  const output: Obj[] = [];
  const text = reply.text ?? (reply.toolCalls ? undefined : "Hello from the WebSocket stand-in.");
  if (opts.generate !== false) {
    if (text !== undefined) {
      output.push({ id: `msg_${id}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] });
    }
    for (const c of reply.toolCalls ?? []) {
      output.push({ id: `fc_${c.id}`, type: "function_call", status: "completed", call_id: c.id, name: c.name, arguments: JSON.stringify(c.arguments) });
    }
  }
  const response = (status: string, out: unknown[], usage: unknown) => ({
    id, object: "response", created_at: 1_700_000_000, status, model, output: out, usage,
    parallel_tool_calls: true, tool_choice: "auto", tools: [],
  });
  const events: Obj[] = [
    { type: "response.created", response: response("in_progress", [], null) },
    { type: "response.in_progress", response: response("in_progress", [], null) },
  ];
  output.forEach((item, output_index) => {
    if (item.type === "message") {
      const t = (item.content as { text: string }[])[0]!.text;
      events.push({ type: "response.output_item.added", output_index, item: { ...item, status: "in_progress", content: [] } });
      events.push({ type: "response.content_part.added", item_id: item.id, output_index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      for (const delta of pieces(t)) events.push({ type: "response.output_text.delta", item_id: item.id, output_index, content_index: 0, delta });
      events.push({ type: "response.output_text.done", item_id: item.id, output_index, content_index: 0, text: t });
      events.push({ type: "response.content_part.done", item_id: item.id, output_index, content_index: 0, part: { type: "output_text", text: t, annotations: [] } });
    } else {
      events.push({ type: "response.output_item.added", output_index, item: { ...item, status: "in_progress", arguments: "" } });
      events.push({ type: "response.function_call_arguments.delta", item_id: item.id, output_index, delta: item.arguments });
      events.push({ type: "response.function_call_arguments.done", item_id: item.id, output_index, arguments: item.arguments });
    }
    events.push({ type: "response.output_item.done", output_index, item });
  });
  const usage = opts.generate === false ? usageOf({ input: 0, output: 0 }) : usageOf(reply.usage);
  events.push({ type: "response.completed", response: response("completed", output, usage) });
  return events.map((e, i) => ({ ...e, sequence_number: i }));
}

export async function startResponsesWsUpstream(opts: { port?: number; reply?: WsReply } = {}): Promise<ResponsesWsUpstream> {
  const handshakes: Handshake[] = [];
  const frames: Frame[] = [];
  const http: HttpRecord[] = [];
  const closes: ResponsesWsUpstream["closes"] = [];
  const open = new Set<ServerWebSocket<ConnData>>();
  const queue: (WsReply | ((req: Obj) => WsReply))[] = [];
  let fallback: WsReply = opts.reply ?? {};
  let reject: number | null = null;
  let nextConn = 0;
  let nextResponse = 0;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const take = (req: Obj): WsReply => {
    const next = queue.shift() ?? fallback;
    return typeof next === "function" ? next(req) : next;
  };

  const send = (ws: ServerWebSocket<ConnData>, event: Obj) => {
    const text = JSON.stringify(event);
    frames.push({ conn: ws.data.id, dir: "out", text, json: event, at: performance.now() });
    ws.send(text);
  };

  const answer = async (ws: ServerWebSocket<ConnData>, req: Obj) => {
    const reply = take(req);
    if (reply.close) {
      ws.close(reply.close.code, reply.close.reason);
      return;
    }
    if (reply.error) {
      send(ws, { type: "error", status: reply.error.status, error: { type: "invalid_request_error", code: reply.error.code, message: reply.error.message } });
      return;
    }
    ws.data.responses++;
    const id = `resp_ws${String(++nextResponse).padStart(4, "0")}`;
    const model = typeof req.model === "string" ? req.model : "stub-model";
    for (const event of responseEvents(reply, { id, model, generate: req.generate === false ? false : undefined })) {
      if (reply.eventDelayMs) await Bun.sleep(reply.eventDelayMs);
      if (ws.readyState !== 1) return;
      send(ws, event);
    }
    notify();
  };

  const server: Server<ConnData> = Bun.serve<ConnData>({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    idleTimeout: 0,
    async fetch(req, srv) {
      const url = new URL(req.url);
      const headers = lower(req.headers);
      // /v1/responses, /responses, and prefixed forms such as /backend-api/codex/responses.
      const isResponses = url.pathname.endsWith("/responses");
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        const id = ++nextConn;
        handshakes.push({ id, path: url.pathname, query: url.search, headers });
        notify();
        if (!isResponses) return new Response("no websocket here", { status: 404 });
        if (reject !== null) return Response.json({ error: { message: `upgrade refused with ${reject}` } }, { status: reject });
        if (srv.upgrade(req, { data: { id, responses: 0 }, headers: { "x-stand-in": "responses-ws" } })) return undefined;
        return new Response("upgrade failed", { status: 400 });
      }
      const text = await req.text();
      const json = parse(text);
      http.push({ method: req.method, path: url.pathname, headers, text, json });
      notify();
      // The ChatGPT backend's model list (Codex signed in with ChatGPT) has its own shape.
      if (url.pathname.endsWith("/models") && !url.pathname.startsWith("/v1/")) return Response.json({ models: [] });
      if (url.pathname.endsWith("/models")) {
        return Response.json({ object: "list", data: [{ id: "gpt-stand-in", object: "model", created: 1_700_000_000, owned_by: "stand-in" }] });
      }
      if (!isResponses || req.method !== "POST" || !json) return Response.json({ error: { message: `no route ${url.pathname}` } }, { status: 404 });
      const reply = take(json);
      if (reply.error) return Response.json({ error: { type: "invalid_request_error", code: reply.error.code, message: reply.error.message } }, { status: reply.error.status });
      const id = `resp_http${String(++nextResponse).padStart(4, "0")}`;
      const events = responseEvents(reply, { id, model: typeof json.model === "string" ? json.model : "stub-model" });
      if (json.stream !== true) return Response.json(events[events.length - 1]!.response);
      const body = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
      return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
    },
    websocket: {
      open(ws) {
        open.add(ws);
        notify();
      },
      message(ws, message) {
        const text = typeof message === "string" ? message : Buffer.from(message).toString("utf8");
        const json = parse(text);
        frames.push({ conn: ws.data.id, dir: "in", text, json, at: performance.now() });
        notify();
        if (json?.type === "response.create") void answer(ws, json);
      },
      close(ws, code, reason) {
        open.delete(ws);
        closes.push({ conn: ws.data.id, code, reason });
        notify();
      },
    },
  });

  const port = server.port!;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    handshakes,
    frames,
    http,
    closes,
    creates: () => frames.filter((f) => f.dir === "in" && f.json?.type === "response.create"),
    openConnections: () => open.size,
    enqueue: (r) => void queue.push(r),
    setDefault: (r) => void (fallback = r),
    rejectUpgrades: (s) => void (reject = s),
    reset() {
      handshakes.length = 0;
      frames.length = 0;
      http.length = 0;
      closes.length = 0;
      queue.length = 0;
      fallback = opts.reply ?? {};
      reject = null;
    },
    closeAll(code, reason) {
      for (const ws of open) ws.close(code, reason);
    },
    until(test, timeoutMs = 5000) {
      if (test()) return Promise.resolve();
      return new Promise<void>((resolve, rejectP) => {
        const check = () => {
          if (!test()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          rejectP(new Error(`condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    async stop() {
      for (const ws of open) ws.terminate?.();
      await server.stop(true);
    },
  };
}
