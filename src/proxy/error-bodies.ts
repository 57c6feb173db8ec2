// Error responses the proxy produces itself, shaped like the API the client speaks so
// its SDK shows a readable message.
import type { Provider } from "./routing.ts";

export function providerError(provider: Provider, status: number, type: string, message: string): Response {
  const body =
    provider === "anthropic"
      ? { type: "error", error: { type, message } }
      : { error: { message, type, param: null, code: type } };
  return Response.json(body, { status, headers: { "x-headroom-error": type } });
}

/** 502: the upstream could not be reached (after retries). */
export function upstreamUnreachable(provider: Provider, upstream: string, reason: string): Response {
  const message = `headroom could not reach the ${provider === "anthropic" ? "Anthropic" : "OpenAI"} upstream ${upstream}: ${reason}`;
  return providerError(provider, 502, provider === "anthropic" ? "api_error" : "upstream_unreachable", message);
}
