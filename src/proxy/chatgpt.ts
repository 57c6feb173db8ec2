// Codex signed in with ChatGPT (a subscription, not an API key) sends its ChatGPT access
// token with a `chatgpt-account-id` header. Those requests belong to the ChatGPT backend
// that Codex's built-in provider calls (https://chatgpt.com/backend-api/codex, paths
// without /v1), not to api.openai.com, which refuses the token. The token and the header
// are forwarded untouched, like every other credential.
import type { Env } from "../host/env.ts";

export const DEFAULT_CHATGPT_API_URL = "https://chatgpt.com/backend-api/codex";

/** The ChatGPT backend: HEADROOM_CHATGPT_API_URL (tests, gateways), else the public one. */
export function chatgptApiUrl(env: Env = process.env): string {
  const v = env.HEADROOM_CHATGPT_API_URL?.trim();
  return (v || DEFAULT_CHATGPT_API_URL).replace(/\/+$/, "");
}

/** Where a ChatGPT-signed-in request goes: the backend and the path without /v1; null for any other request. */
export function chatgptTarget(headers: Headers, path: string): { base: string; path: string } | null {
  if (!headers.has("chatgpt-account-id") || !path.startsWith("/v1/")) return null;
  return { base: chatgptApiUrl(), path: path.slice(3) };
}
