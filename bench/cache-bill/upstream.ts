// A local Anthropic Messages upstream that bills every request with the prompt-cache
// emulator (src/proxy/prompt-cache.ts) and answers with real-shaped usage:
// input_tokens (uncached), cache_creation_input_tokens, cache_read_input_tokens and
// output_tokens, as a JSON body or an SSE stream (when the body asks for one). It records
// each request's bill and keeps the bodies it was sent when asked to.
//   bun bench/cache-bill/upstream.ts [port]     (serves until killed)
// Routes besides /v1/messages: POST /__reset empties the cache and the records,
// GET /__records returns them.
import { type CacheBill, PromptCache, TooManyBreakpoints } from "../../src/proxy/prompt-cache.ts";

export interface UpstreamRecord extends CacheBill {
  /** Tool names in the request, in order (to see the retrieve tool arrive). */
  tools: string[];
  messages: number;
  stream: boolean;
  /** The parsed body as it arrived (only with keepBodies). */
  body?: unknown;
}

export interface CacheUpstream {
  url: string;
  port: number;
  records: UpstreamRecord[];
  cache: PromptCache;
  reset(): void;
  stop(): Promise<void>;
}

export interface CacheUpstreamOptions {
  port?: number;
  keepBodies?: boolean;
  /** The answer's text (default "OK."). */
  reply?: string;
}

const OUTPUT_TOKENS = 12;

function anthropicError(status: number, type: string, message: string): Response {
  return Response.json({ type: "error", error: { type, message } }, { status });
}

function sse(events: Array<[string, unknown]>): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

export async function startCacheUpstream(opts: CacheUpstreamOptions = {}): Promise<CacheUpstream> {
  // The replay is fast: no entry expires within a run.
  const cache = new PromptCache({ ttlMs: Infinity });
  const records: UpstreamRecord[] = [];
  const reply = opts.reply ?? "OK.";
  let n = 0;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/__reset" && req.method === "POST") {
        cache.clear();
        records.length = 0;
        return new Response(null, { status: 204 });
      }
      if (path === "/__records") return Response.json(records);
      if (path !== "/v1/messages" || req.method !== "POST") return anthropicError(404, "not_found_error", `no route ${req.method} ${path}`);
      let body: Record<string, unknown>;
      try {
        body = (await req.json()) as Record<string, unknown>;
      } catch {
        return anthropicError(400, "invalid_request_error", "the body is not JSON");
      }
      if (!body || typeof body !== "object" || !Array.isArray(body.messages)) return anthropicError(400, "invalid_request_error", "messages: Field required");
      let bill: CacheBill;
      try {
        bill = cache.bill(body);
      } catch (err) {
        if (err instanceof TooManyBreakpoints) return anthropicError(400, "invalid_request_error", err.message);
        throw err;
      }
      const stream = body.stream === true;
      const tools = Array.isArray(body.tools) ? body.tools.map((t) => String((t as { name?: unknown })?.name ?? "")) : [];
      records.push({ ...bill, tools, messages: body.messages.length, stream, ...(opts.keepBodies ? { body } : {}) });
      const usage = { input_tokens: bill.input, cache_creation_input_tokens: bill.cacheWrite, cache_read_input_tokens: bill.cacheRead, output_tokens: OUTPUT_TOKENS };
      const model = typeof body.model === "string" ? body.model : "claude-emulated";
      const id = `msg_emulated_${++n}`;
      const message = { id, type: "message", role: "assistant", model, content: [{ type: "text", text: reply }], stop_reason: "end_turn", stop_sequence: null, usage };
      if (!stream) return Response.json(message);
      const text = sse([
        ["message_start", { type: "message_start", message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }],
        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: reply } }],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
        ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: OUTPUT_TOKENS } }],
        ["message_stop", { type: "message_stop" }],
      ]);
      return new Response(text, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    records,
    cache,
    reset() {
      cache.clear();
      records.length = 0;
    },
    async stop() {
      await server.stop(true);
    },
  };
}

if (import.meta.main) {
  const up = await startCacheUpstream({ port: Number(process.argv[2] ?? 0) });
  console.log(up.url);
}
