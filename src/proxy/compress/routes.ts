// POST /v1/compress and /v1/retrieve handlers (loopback callers only; the router checks).
import { isObj } from "./apis/types.ts";
import { HASH_PATTERN } from "./hash.ts";
import { compressRequest } from "./index.ts";
import { originals } from "./store.ts";
import type { ApiKind, ProxyMode } from "./types.ts";

function error(status: number, type: string, message: string): Response {
  return Response.json({ error: { type, message } }, { status });
}

async function readJson(req: Request): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, value: await req.json() };
  } catch {
    return { ok: false, response: error(400, "invalid_request_error", "The request body is not valid JSON; send a JSON object.") };
  }
}

const APIS: Record<string, ApiKind> = {
  anthropic: "anthropic-messages",
  "anthropic-messages": "anthropic-messages",
  openai: "openai-chat",
  "openai-chat": "openai-chat",
  "openai-responses": "openai-responses",
  responses: "openai-responses",
};

/**
 * POST /v1/compress: `{messages, api?: "anthropic"|"openai"|"openai-responses", mode?,
 * model?}` (or `{input}` for Responses) → the messages as they would be forwarded, with
 * token counts. No upstream is called. The proxy's default mode applies unless given.
 */
export async function compressRoute(req: Request, defaultMode: ProxyMode = "auto"): Promise<Response> {
  const parsed = await readJson(req);
  if (!parsed.ok) return parsed.response;
  const body = parsed.value;
  if (!isObj(body)) return error(400, "invalid_request_error", "Send a JSON object with a \"messages\" array.");
  const apiName = typeof body.api === "string" ? body.api : Array.isArray(body.input) ? "openai-responses" : "anthropic";
  const api = APIS[apiName];
  if (!api) return error(400, "invalid_request_error", `Unknown api "${apiName}"; use anthropic, openai or openai-responses.`);
  const listKey = api === "openai-responses" ? "input" : "messages";
  if (!Array.isArray(body[listKey])) return error(400, "invalid_request_error", `Send a JSON object with a "${listKey}" array.`);
  const mode = body.mode === "cache" || body.mode === "token" || body.mode === "auto" ? body.mode : defaultMode;
  const { api: _api, mode: _mode, ...request } = body;
  const result = await compressRequest({ api, body: request, mode, headers: req.headers });
  const out = isObj(result.body) ? result.body : request;
  return Response.json({
    [listKey]: out[listKey],
    ...(result.hasMarkers ? { tools: out.tools } : {}),
    changed: result.changed,
    tokens_before: result.tokensBefore,
    tokens_after: result.tokensAfter,
    tokens_saved: result.tokensBefore - result.tokensAfter,
    saved_by_kind: result.savedByKind,
    ...(result.failed ? { failed: true } : {}),
  });
}

/** POST /v1/retrieve `{hash}` or GET /v1/retrieve/:hash → `{hash, original}`. */
export async function retrieveRoute(req: Request, hash?: string): Promise<Response> {
  let h = hash;
  if (h === undefined) {
    const parsed = await readJson(req);
    if (!parsed.ok) return parsed.response;
    h = isObj(parsed.value) && typeof parsed.value.hash === "string" ? parsed.value.hash : undefined;
  }
  if (h === undefined || !HASH_PATTERN.test(h)) return error(400, "invalid_request_error", "Send {\"hash\": \"<24 hex digits from a [headroom: ...] marker>\"}.");
  const original = await originals.fetch(h);
  if (original === undefined) return error(404, "not_found_error", `No original is stored under ${h}; originals are kept for 30 minutes.`);
  return Response.json({ hash: h, original });
}
