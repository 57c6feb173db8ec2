// Shared pieces of answering headroom_retrieve calls inside the proxy.
import { errorMessage } from "../../../errors.ts";
import { isObj } from "../apis/types.ts";
import { HASH_PATTERN } from "../hash.ts";
import { RETRIEVE_TOOL_NAME } from "../marker.ts";
import { originals } from "../store.ts";

/** Retrieval-only responses are answered at most this many times per client request. */
export const MAX_ROUNDS = 3;

export function isRetrieveName(name: unknown): boolean {
  return name === RETRIEVE_TOOL_NAME;
}

/**
 * The original behind a hash (this replica's store, else the shared one), or a sentence
 * the model can act on.
 */
export async function resolveHash(input: unknown): Promise<string> {
  let hash: unknown = input;
  if (typeof input === "string") {
    try {
      const parsed: unknown = JSON.parse(input);
      hash = isObj(parsed) ? parsed.hash : undefined;
    } catch {
      hash = undefined;
    }
  } else if (typeof input === "object" && input !== null) {
    hash = isObj(input) ? input.hash : undefined;
  }
  if (typeof hash !== "string" || !HASH_PATTERN.test(hash)) return "headroom: headroom_retrieve needs {\"hash\": \"<24 hex digits from the marker>\"}.";
  return (await originals.fetch(hash)) ?? `headroom: no original is stored under ${hash} any more (expired or unknown); continue without it.`;
}

/** Response headers for a body the proxy rebuilt (length and encoding no longer apply). */
export function rebuiltHeaders(from: Headers): Headers {
  const headers = new Headers(from);
  headers.delete("content-length");
  headers.delete("content-encoding");
  headers.delete("transfer-encoding");
  return headers;
}

export function jsonResponse(from: Response, data: unknown): Response {
  const headers = rebuiltHeaders(from.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(data), { status: from.status, statusText: from.statusText, headers });
}

export function textResponse(from: Response, text: string): Response {
  return new Response(text, { status: from.status, statusText: from.statusText, headers: rebuiltHeaders(from.headers) });
}

/** Sums the numeric usage fields of the rounds the client did not see into the final usage. */
export function addUsage(total: Record<string, unknown> | undefined, next: unknown): Record<string, unknown> | undefined {
  if (typeof next !== "object" || next === null) return total;
  const out: Record<string, unknown> = { ...next };
  if (!total) return out;
  for (const [k, v] of Object.entries(total)) {
    const sum = out[k];
    if (typeof v === "number" && typeof sum === "number") out[k] = sum + v;
  }
  return out;
}

/**
 * Sends the follow-up request; a connection failure becomes a 502 shaped like the API's
 * own errors, so every caller handles one kind of failure: a response that is not ok.
 */
export async function resendSafely(resend: (body: unknown) => Promise<Response>, body: unknown, api: string): Promise<Response> {
  try {
    return await resend(body);
  } catch (err) {
    const message = `headroom could not reach the upstream while fetching a compressed original: ${errorMessage(err)}`;
    const payload = api === "anthropic-messages" ? { type: "error", error: { type: "api_error", message } } : { error: { type: "upstream_error", message } };
    return Response.json(payload, { status: 502 });
  }
}
