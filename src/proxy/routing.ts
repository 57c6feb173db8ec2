// Which upstream a request goes to, and which API shape its body has (SPEC 9.1).
import type { ApiKind } from "./compress/types.ts";

export type Provider = "anthropic" | "openai";

export interface RouteInfo {
  /** Path forwarded upstream (the /p/<project> prefix removed). */
  path: string;
  provider: Provider;
  /** The body's API shape; "other" is forwarded without inspection. */
  api: ApiKind;
  project?: string;
  /** The gateway user the caller's token belongs to (HEADROOM_TOKENS_FILE, guard.ts). */
  user?: string;
}

const PROJECT_PREFIX = /^\/p\/([^/]+)(\/.*)$/;

/** Splits a `/p/<project>/...` prefix off a path. */
export function stripProject(pathname: string): { path: string; project?: string } {
  if (!pathname.startsWith("/p/")) return { path: pathname };
  const m = PROJECT_PREFIX.exec(pathname);
  if (!m) return { path: pathname };
  let project = m[1]!;
  try {
    project = decodeURIComponent(project);
  } catch {
    // keep it as sent
  }
  return { path: m[2]!, project };
}

/** Anthropic when the request carries x-api-key, anthropic-version or a `Bearer sk-ant-` token; OpenAI otherwise. */
export function providerFromHeaders(headers: Headers): Provider {
  if (headers.has("x-api-key") || headers.has("anthropic-version")) return "anthropic";
  const auth = headers.get("authorization");
  if (auth && /^bearer\s+sk-ant-/i.test(auth)) return "anthropic";
  return "openai";
}

/** Classifies a request by method, path (project prefix already removed) and headers. */
export function classify(method: string, path: string, headers: Headers): { provider: Provider; api: ApiKind } {
  if (path === "/v1/messages") return { provider: "anthropic", api: method === "POST" ? "anthropic-messages" : "other" };
  if (path.startsWith("/v1/messages/")) return { provider: "anthropic", api: "other" };
  if (path === "/v1/chat/completions") return { provider: "openai", api: method === "POST" ? "openai-chat" : "other" };
  if (path === "/v1/responses") return { provider: "openai", api: method === "POST" ? "openai-responses" : "other" };
  return { provider: providerFromHeaders(headers), api: "other" };
}

/**
 * True for Anthropic's Messages routes without the /v1 prefix: clients built on the AI SDK
 * (OpenCode) append `/messages` to ANTHROPIC_BASE_URL, expecting its /v1 form, while
 * Claude Code and the Anthropic SDK append `/v1/messages` to the same variable. A shell
 * block exports one value for all of them, so the proxy answers both forms.
 */
export function isBareMessagesPath(path: string): boolean {
  return path === "/messages" || path.startsWith("/messages/");
}

export function route(method: string, pathname: string, headers: Headers): RouteInfo {
  const { path: raw, project: fromPath } = stripProject(pathname);
  const path = isBareMessagesPath(raw) ? `/v1${raw}` : raw;
  const { provider, api } = classify(method, path, headers);
  const project = headers.get("x-headroom-project") || fromPath;
  return project ? { path, provider, api, project } : { path, provider, api };
}
