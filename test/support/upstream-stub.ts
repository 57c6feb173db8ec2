// A local stand-in for the Anthropic and OpenAI APIs on a real loopback socket, for
// tests and benchmarks. It records every request it receives and answers in the real
// wire formats, enough for the real clients (test/e2e/real-clients/) to finish a turn:
// - Anthropic Messages JSON and SSE (message_start, content_block_start, ping,
//   content_block_delta..., content_block_stop, message_delta with usage, message_stop),
//   POST /v1/messages/count_tokens;
// - OpenAI Chat Completions JSON and SSE, the usage chunk (choices: []) when the request
//   asks for it with stream_options.include_usage (a request without stream_options still
//   gets it, as older tests expect; stream_options.include_usage=false gets none);
// - OpenAI Responses JSON and HTTP SSE (response.created, response.in_progress,
//   response.output_item.added, response.content_part.added, response.output_text.delta...,
//   response.output_text.done, response.content_part.done, response.output_item.done,
//   response.completed with usage); the WebSocket transport is responses-ws-upstream.ts;
// - GET /v1/models (and /v1/models/<id>) in Anthropic's shape when the request carries
//   anthropic-version or x-api-key, OpenAI's otherwise;
// - other paths under /v1/ echo what they got; paths outside /v1/ get the API's 404, so
//   a client (or a proxy) that drops the /v1 prefix fails loudly.
// Ids (msg_, chatcmpl-, resp_) are unique per reply. Tests script it per request (a
// queue) or for all requests (a behavior): error statuses with Retry-After, slow streams,
// dropped connections, or any custom reply.
//
//   const stub = await startUpstreamStub();
//   stub.enqueue({ status: 429, headers: { "retry-after": "1" } });   // next request only
//   stub.setBehavior({ text: "hi", chunkDelayMs: 50 });                // every later request
//   ... stub.requests[0].json, stub.requests[0].headers["x-api-key"] ...
//   await stub.stop();
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ApiFormat = "anthropic" | "openai-chat" | "openai-responses";

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string without the "?" ("" when none). */
  query: string;
  /** Header names lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body bytes exactly as received. */
  body: Uint8Array;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  /** Bytes this stub wrote as the response body (complete once `finished`). */
  responseBody: Uint8Array;
  /** True once the response was fully written. */
  finished: boolean;
  /** True when the client closed the connection before the response finished. */
  clientClosed: boolean;
  /** Resolves when the exchange ends: finished, dropped, or closed by the client. */
  ended: Promise<void>;
}

/** A content block of a scripted Anthropic reply. */
export type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

/** A tool call of a scripted OpenAI reply. */
export interface ToolCall {
  id: string;
  name: string;
  /** Arguments object (serialised as JSON). */
  arguments: unknown;
}

export interface UsageSpec {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface ReplyTiming {
  /** Wait before sending the status line and headers. */
  delayMs?: number;
  /** Wait between body chunks (each SSE event is one chunk). */
  chunkDelayMs?: number;
}

/** A reply in one of the API formats. `format` defaults from the request path, `stream` from the request body. */
export interface ApiReply extends ReplyTiming {
  kind?: "api";
  format?: ApiFormat;
  stream?: boolean;
  model?: string;
  /** Assistant text (default "Hello from the stub."), split into a few deltas when streamed. */
  text?: string;
  /** Anthropic content blocks instead of `text`. */
  content?: AnthropicBlock[];
  /** OpenAI tool calls (Chat: tool_calls; Responses: function_call items). */
  toolCalls?: ToolCall[];
  usage?: UsageSpec;
  stopReason?: string;
  headers?: Record<string, string>;
}

/** An arbitrary status, headers and body (an error, a 429 with Retry-After, ...). */
export interface StatusReply extends ReplyTiming {
  kind?: "status";
  status: number;
  headers?: Record<string, string>;
  /** A string or bytes go as they are; anything else as JSON. Default: an error body of the path's format. */
  body?: unknown;
}

/** Raw chunks written one by one (for byte-exact and chunk-timing tests). */
export interface ChunksReply extends ReplyTiming {
  kind: "chunks";
  status?: number;
  headers?: Record<string, string>;
  chunks: Array<string | Uint8Array>;
}

/** Server-sent events, each written as one chunk. */
export interface SseReply extends ReplyTiming {
  kind: "sse";
  status?: number;
  headers?: Record<string, string>;
  events: Array<{ event?: string; data: unknown }>;
}

/** Drops the connection: before anything is sent, or after `afterChunks` chunks of the given reply. */
export interface DropReply {
  kind: "drop";
  afterChunks?: number;
  then?: ApiReply | ChunksReply | SseReply;
}

/** The test decides: return a reply spec, or a fetch Response to send as it is. */
export interface CustomReply {
  kind: "custom";
  handle: (req: RecordedRequest) => Reply | Response | Promise<Reply | Response>;
}

export type Reply = ApiReply | StatusReply | ChunksReply | SseReply | DropReply | CustomReply;

export interface UpstreamStub {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replies used one per request, in order, before the behavior. */
  enqueue(...replies: Reply[]): void;
  /** The reply for every request once the queue is empty (null: the default API replies). */
  setBehavior(reply: Reply | null): void;
  /** Clears recorded requests, the queue and the behavior. */
  reset(): void;
  /** Waits until at least n requests were received. */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Number of TCP connections currently open. */
  openConnections(): number;
  stop(): Promise<void>;
}

export interface StubOptions {
  host?: string;
  port?: number;
  /** Default reply when no queue entry or behavior applies. */
  behavior?: Reply;
  /** Model ids GET /v1/models lists (default ["stub-model"]). */
  models?: string[];
}

let replySeq = 0;
/** A fresh id suffix for each rendered reply. */
const nextId = () => (++replySeq).toString(36).padStart(6, "0");

const sleep = (ms: number | undefined) => (ms && ms > 0 ? Bun.sleep(ms) : Promise.resolve());

function formatForPath(path: string): ApiFormat {
  if (path.startsWith("/v1/chat/")) return "openai-chat";
  if (path.startsWith("/v1/responses")) return "openai-responses";
  return "anthropic";
}

function splitText(text: string, parts = 3): string[] {
  if (text.length <= parts) return [text];
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const sse = (event: string | undefined, data: unknown) =>
  `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;

interface Rendered {
  status: number;
  headers: Record<string, string>;
  chunks: Array<string | Uint8Array>;
  /** Stream with chunked encoding (true) or send with Content-Length. */
  streamed: boolean;
}

// ---------------------------------------------------------------- Anthropic Messages

function anthropicBlocks(r: ApiReply): AnthropicBlock[] {
  return r.content ?? [{ type: "text", text: r.text ?? "Hello from the stub." }];
}

function anthropicUsage(u: UsageSpec = {}) {
  return {
    input_tokens: u.input ?? 12,
    cache_creation_input_tokens: u.cacheWrite ?? 0,
    cache_read_input_tokens: u.cacheRead ?? 0,
    output_tokens: u.output ?? 7,
  };
}

function renderAnthropic(r: ApiReply, model: string, stream: boolean): Rendered {
  const blocks = anthropicBlocks(r);
  const usage = anthropicUsage(r.usage);
  const stop = r.stopReason ?? (blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
  const id = `msg_stub_${nextId()}`;
  if (!stream) {
    const body = { id, type: "message", role: "assistant", model, content: blocks, stop_reason: stop, stop_sequence: null, usage };
    return { status: 200, headers: { "content-type": "application/json" }, chunks: [JSON.stringify(body)], streamed: false };
  }
  const chunks: string[] = [
    sse("message_start", {
      type: "message_start",
      message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    }),
  ];
  blocks.forEach((b, index) => {
    if (b.type === "text") {
      chunks.push(sse("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }));
      if (index === 0) chunks.push(sse("ping", { type: "ping" }));
      for (const piece of splitText(b.text)) {
        chunks.push(sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }));
      }
    } else {
      chunks.push(sse("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: b.id, name: b.name, input: {} } }));
      for (const piece of splitText(JSON.stringify(b.input), 2)) {
        chunks.push(sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } }));
      }
    }
    chunks.push(sse("content_block_stop", { type: "content_block_stop", index }));
  });
  chunks.push(sse("message_delta", { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  chunks.push(sse("message_stop", { type: "message_stop" }));
  return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }, chunks, streamed: true };
}

// ---------------------------------------------------------------- OpenAI Chat Completions

function chatUsage(u: UsageSpec = {}) {
  const cached = u.cacheRead ?? 0;
  const prompt = (u.input ?? 12) + cached;
  const completion = u.output ?? 7;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

function renderChat(r: ApiReply, model: string, stream: boolean, includeUsage: boolean): Rendered {
  const text = r.text ?? (r.toolCalls ? null : "Hello from the stub.");
  const calls = r.toolCalls?.map((c, i) => ({ index: i, id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  const finish = r.stopReason ?? (calls ? "tool_calls" : "stop");
  const base = { id: `chatcmpl-stub${nextId()}`, created: 1_700_000_000, model, system_fingerprint: "fp_stub" };
  if (!stream) {
    const message: Record<string, unknown> = { role: "assistant", content: text, refusal: null };
    if (calls) message.tool_calls = calls.map(({ index: _i, ...c }) => c);
    const body = { ...base, object: "chat.completion", choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage: chatUsage(r.usage) };
    return { status: 200, headers: { "content-type": "application/json" }, chunks: [JSON.stringify(body)], streamed: false };
  }
  const chunk = (delta: unknown, finishReason: string | null) =>
    sse(undefined, { ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...(includeUsage ? { usage: null } : {}) });
  const chunks = [chunk({ role: "assistant", content: "" }, null)];
  if (text) for (const piece of splitText(text)) chunks.push(chunk({ content: piece }, null));
  if (calls) for (const c of calls) chunks.push(chunk({ tool_calls: [c] }, null));
  chunks.push(chunk({}, finish));
  if (includeUsage) chunks.push(sse(undefined, { ...base, object: "chat.completion.chunk", choices: [], usage: chatUsage(r.usage) }));
  chunks.push(sse(undefined, "[DONE]"));
  return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }, chunks, streamed: true };
}

// ---------------------------------------------------------------- OpenAI Responses

function responsesUsage(u: UsageSpec = {}) {
  const cached = u.cacheRead ?? 0;
  const input = (u.input ?? 12) + cached;
  const output = u.output ?? 7;
  return { input_tokens: input, input_tokens_details: { cached_tokens: cached }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
}

function renderResponses(r: ApiReply, model: string, stream: boolean): Rendered {
  const text = r.text ?? (r.toolCalls ? undefined : "Hello from the stub.");
  const output: Array<Record<string, unknown>> = [];
  if (text !== undefined) {
    output.push({ id: `msg_stub${nextId()}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] });
  }
  for (const c of r.toolCalls ?? []) {
    output.push({ id: `fc_${c.id}`, type: "function_call", status: "completed", call_id: c.id, name: c.name, arguments: JSON.stringify(c.arguments) });
  }
  const id = `resp_stub${nextId()}`;
  const response = (status: string, out: unknown[], usage: unknown) => ({
    id, object: "response", created_at: 1_700_000_000, status, error: null, incomplete_details: null, model, output: out,
    parallel_tool_calls: true, tool_choice: "auto", tools: [], usage,
  });
  if (!stream) {
    return { status: 200, headers: { "content-type": "application/json" }, chunks: [JSON.stringify(response("completed", output, responsesUsage(r.usage)))], streamed: false };
  }
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => sse(type, { type, sequence_number: seq++, ...data });
  const chunks = [ev("response.created", { response: response("in_progress", [], null) }), ev("response.in_progress", { response: response("in_progress", [], null) })];
  output.forEach((item, output_index) => {
    if (item.type === "message") {
      chunks.push(ev("response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } }));
      chunks.push(ev("response.content_part.added", { item_id: item.id, output_index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }));
      for (const piece of splitText(text ?? "")) {
        chunks.push(ev("response.output_text.delta", { item_id: item.id, output_index, content_index: 0, delta: piece }));
      }
      chunks.push(ev("response.output_text.done", { item_id: item.id, output_index, content_index: 0, text }));
      chunks.push(ev("response.content_part.done", { item_id: item.id, output_index, content_index: 0, part: { type: "output_text", text, annotations: [] } }));
    } else {
      chunks.push(ev("response.output_item.added", { output_index, item: { ...item, status: "in_progress", arguments: "" } }));
      chunks.push(ev("response.function_call_arguments.delta", { item_id: item.id, output_index, delta: item.arguments }));
      chunks.push(ev("response.function_call_arguments.done", { item_id: item.id, output_index, arguments: item.arguments }));
    }
    chunks.push(ev("response.output_item.done", { output_index, item }));
  });
  chunks.push(ev("response.completed", { response: response("completed", output, responsesUsage(r.usage)) }));
  return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }, chunks, streamed: true };
}

// ---------------------------------------------------------------- other paths

const jsonRendered = (status: number, body: unknown): Rendered => ({ status, headers: { "content-type": "application/json" }, chunks: [JSON.stringify(body)], streamed: false });

/** Anthropic's shape when the request carries its headers; OpenAI's otherwise. */
function modelsReply(req: RecordedRequest, models: string[]): Rendered {
  const anthropic = "anthropic-version" in req.headers || "x-api-key" in req.headers;
  const one = (id: string) =>
    anthropic
      ? { type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" }
      : { id, object: "model", created: 1_700_000_000, owned_by: "stub" };
  const wanted = req.path.startsWith("/v1/models/") ? decodeURIComponent(req.path.slice("/v1/models/".length)) : null;
  if (wanted !== null) {
    if (models.includes(wanted)) return jsonRendered(200, one(wanted));
    return jsonRendered(404, anthropic ? { type: "error", error: { type: "not_found_error", message: `model: ${wanted}` } } : { error: { message: `The model '${wanted}' does not exist`, type: "invalid_request_error", param: null, code: "model_not_found" } });
  }
  const data = models.map(one);
  return jsonRendered(200, anthropic ? { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null } : { object: "list", data });
}

function renderDefaultOther(req: RecordedRequest, models: string[]): Rendered | null {
  if (req.method === "GET" && (req.path === "/v1/models" || req.path.startsWith("/v1/models/"))) return modelsReply(req, models);
  if (!req.path.startsWith("/v1/")) {
    const message = `stub: no route ${req.method} ${req.path} (the APIs live under /v1/)`;
    return jsonRendered(404, req.path.includes("messages") ? { type: "error", error: { type: "not_found_error", message } } : { error: { message, type: "invalid_request_error", param: null, code: "unknown_url" } });
  }
  if (req.path === "/v1/messages/count_tokens") {
    return { status: 200, headers: { "content-type": "application/json" }, chunks: [JSON.stringify({ input_tokens: 42 })], streamed: false };
  }
  if (req.path.startsWith("/v1/messages") || req.path.startsWith("/v1/chat/") || req.path.startsWith("/v1/responses")) return null;
  const body = { stub: true, method: req.method, path: req.path, query: req.query };
  return { status: 200, headers: { "content-type": "application/json" }, chunks: [JSON.stringify(body)], streamed: false };
}

function errorBody(format: ApiFormat, status: number): string {
  const type = status === 429 ? "rate_limit_error" : status === 529 ? "overloaded_error" : status >= 500 ? "api_error" : "invalid_request_error";
  const message = `stub error ${status}`;
  return JSON.stringify(format === "anthropic" ? { type: "error", error: { type, message } } : { error: { message, type, param: null, code: null } });
}

function isApiReply(r: Reply): r is ApiReply {
  return r.kind === "api" || (r.kind === undefined && !("status" in r));
}

function renderApi(r: ApiReply, req: RecordedRequest): Rendered {
  const json = (req.json ?? {}) as Record<string, unknown>;
  const format = r.format ?? formatForPath(req.path);
  const stream = r.stream ?? json.stream === true;
  const model = r.model ?? (typeof json.model === "string" ? json.model : format === "anthropic" ? "claude-stub-1" : "gpt-stub-1");
  const streamOptions = json.stream_options as { include_usage?: unknown } | undefined;
  const includeUsage = typeof streamOptions === "object" && streamOptions !== null ? streamOptions.include_usage === true : true;
  const out = format === "anthropic" ? renderAnthropic(r, model, stream) : format === "openai-chat" ? renderChat(r, model, stream, includeUsage) : renderResponses(r, model, stream);
  out.headers = { ...out.headers, ...r.headers };
  return out;
}

function render(reply: Reply, req: RecordedRequest): Rendered {
  switch (reply.kind) {
    case undefined:
      if ("status" in reply) return renderStatus(reply, req);
      return renderApi(reply, req);
    case "api":
      return renderApi(reply, req);
    case "status":
      return renderStatus(reply, req);
    case "chunks":
      return { status: reply.status ?? 200, headers: { "content-type": "text/event-stream", ...reply.headers }, chunks: reply.chunks, streamed: true };
    case "sse":
      return {
        status: reply.status ?? 200,
        headers: { "content-type": "text/event-stream; charset=utf-8", ...reply.headers },
        chunks: reply.events.map((e) => sse(e.event, e.data)),
        streamed: true,
      };
    default:
      throw new Error(`cannot render reply kind ${(reply as Reply).kind}`);
  }
}

function renderStatus(r: StatusReply, req: RecordedRequest): Rendered {
  let body: string | Uint8Array;
  if (r.body === undefined) body = errorBody(formatForPath(req.path), r.status);
  else if (typeof r.body === "string" || r.body instanceof Uint8Array) body = r.body;
  else body = JSON.stringify(r.body);
  return { status: r.status, headers: { "content-type": "application/json", ...r.headers }, chunks: [body], streamed: false };
}

// ---------------------------------------------------------------- server

export async function startUpstreamStub(opts: StubOptions = {}): Promise<UpstreamStub> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  let behavior: Reply | null = opts.behavior ?? null;
  const models = opts.models ?? ["stub-model"];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();

  async function respond(req: RecordedRequest, res: ServerResponse, sock: Socket): Promise<void> {
    // An API reply (text, tool calls) answers the API paths only: a models list or
    // count_tokens on the way keeps its default answer and leaves the queued reply alone.
    const other = renderDefaultOther(req, models);
    const head = queue[0] ?? behavior;
    if (other && head && isApiReply(head)) {
      await write(other, {}, req, res);
      return;
    }
    let reply: Reply | Response | null = queue.shift() ?? behavior;
    while (reply && !(reply instanceof Response) && reply.kind === "custom") reply = await reply.handle(req);
    if (reply instanceof Response) {
      const bytes = new Uint8Array(await reply.arrayBuffer());
      const headers: Record<string, string> = {};
      reply.headers.forEach((v, k) => {
        if (k !== "content-length" && k !== "transfer-encoding") headers[k] = v;
      });
      await write({ status: reply.status, headers, chunks: [bytes], streamed: false }, {}, req, res);
      return;
    }
    if (reply && reply.kind === "drop") {
      if (!reply.then || !reply.afterChunks) {
        sock.destroy();
        return;
      }
      await write(render(reply.then, req), reply.then, req, res, () => sock.destroy(), reply.afterChunks);
      return;
    }
    const rendered = reply ? render(reply, req) : (renderDefaultOther(req, models) ?? renderApi({}, req));
    await write(rendered, (reply ?? {}) as ReplyTiming, req, res);
  }

  async function write(r: Rendered, timing: ReplyTiming, req: RecordedRequest, res: ServerResponse, drop?: () => void, dropAfter = Infinity): Promise<void> {
    await sleep(timing.delayMs);
    if (req.clientClosed) return;
    const enc = new TextEncoder();
    const parts = r.chunks.map((c) => (typeof c === "string" ? enc.encode(c) : c));
    const headers: Record<string, string | number> = { ...r.headers };
    if (!r.streamed) headers["content-length"] = parts.reduce((n, p) => n + p.byteLength, 0);
    res.writeHead(r.status, headers);
    if (r.streamed) res.flushHeaders();
    const sent: Uint8Array[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (i >= dropAfter) {
        req.responseBody = Buffer.concat(sent);
        drop?.();
        return;
      }
      if (i > 0) await sleep(timing.chunkDelayMs);
      if (req.clientClosed) {
        req.responseBody = Buffer.concat(sent);
        return;
      }
      res.write(parts[i]);
      sent.push(parts[i]!);
    }
    req.responseBody = Buffer.concat(sent);
    await new Promise<void>((resolve) => res.end(resolve));
    req.finished = true;
  }

  const server: Server = createServer((inc: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    inc.on("data", (c: Buffer) => chunks.push(c));
    inc.on("end", () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const rawUrl = inc.url ?? "/";
      const q = rawUrl.indexOf("?");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(inc.headers)) {
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      }
      const text = new TextDecoder().decode(body);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      let endExchange!: () => void;
      const rec: RecordedRequest = {
        method: inc.method ?? "GET",
        path: q === -1 ? rawUrl : rawUrl.slice(0, q),
        query: q === -1 ? "" : rawUrl.slice(q + 1),
        headers,
        body,
        text,
        json,
        responseBody: new Uint8Array(),
        finished: false,
        clientClosed: false,
        ended: new Promise<void>((resolve) => {
          endExchange = resolve;
        }),
      };
      res.on("close", () => {
        if (!rec.finished) rec.clientClosed = true;
        endExchange();
      });
      requests.push(rec);
      for (const w of waiters) w();
      respond(rec, res, inc.socket).catch((err) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`stub failure: ${(err as Error).message}`);
        } else {
          inc.socket.destroy();
        }
      });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setBehavior: (reply) => {
      behavior = reply;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      behavior = opts.behavior ?? null;
    },
    waitForRequests: async (n, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`upstream stub: expected ${n} request(s), got ${requests.length}`);
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(done, 50);
          waiters.add(done);
        });
      }
      return requests.slice(0, n);
    },
    openConnections: () => sockets.size,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
