// Codex: config.toml in $CODEX_HOME or ~/.codex (provider scope, and `wrap codex` for
// the session), or the system-wide /etc/codex/config.toml (system scope). Root keys
// model_provider and openai_base_url, and a [model_providers.headroom] table.
//
// What Codex 0.171 honours, found by running it: `requires_openai_auth = true` makes a
// custom provider send the user's own login (an API key from `codex login
// --with-api-key`, CODEX_API_KEY, or the ChatGPT sign-in's token and account id), exactly
// as the built-in provider does; without it the request goes out with no Authorization.
// headroom never stores a key. Codex ignores OPENAI_BASE_URL, so a shell block cannot
// route it (user scope refuses it); it does read /etc/codex/config.toml beneath the
// user's own config, which is what system scope writes.
import { join } from "node:path";
import type { OsName } from "../host/platform.ts";
import { readIfExists } from "../host/fs.ts";
import { isPlainObject } from "../edits/json-tree.ts";
import { tomlEdit } from "../edits/toml-keys.ts";
import type { FileEdit } from "../edits/types.ts";
import type { ToolContext } from "./context.ts";

export function codexHome(ctx: Pick<ToolContext, "home" | "env">): string {
  return ctx.env.CODEX_HOME || join(ctx.home, ".codex");
}

export function codexConfigPath(ctx: Pick<ToolContext, "home" | "env">): string {
  return join(codexHome(ctx), "config.toml");
}

function jwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = Buffer.from(part.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    const v = JSON.parse(json);
    return typeof v === "object" && v !== null ? v : null;
  } catch {
    return null;
  }
}

/** True when auth.json shows a ChatGPT sign-in (not an API key). */
export function usesChatGptAuth(authJson: string | null): boolean {
  if (!authJson) return false;
  let auth: Record<string, unknown>;
  try {
    auth = JSON.parse(authJson);
  } catch {
    return false;
  }
  if (typeof auth !== "object" || auth === null) return false;
  if (typeof auth.auth_mode === "string" && auth.auth_mode.toLowerCase() === "chatgpt") return true;
  const tokens = auth.tokens;
  if (!isPlainObject(tokens)) return false;
  if (typeof tokens.account_id === "string" && tokens.account_id) return true;
  if (typeof tokens.id_token === "string") {
    const claims = jwtPayload(tokens.id_token)?.["https://api.openai.com/auth"];
    if (isPlainObject(claims) && typeof claims.chatgpt_account_id === "string" && claims.chatgpt_account_id) return true;
  }
  return false;
}

/**
 * The [model_providers.headroom] table. `requires_openai_auth` makes Codex send the
 * user's own credentials (both kinds of login); `supports_websockets` because the proxy
 * relays the Responses WebSocket (src/proxy/ws-responses.ts).
 */
export function codexProviderTable(base: string): string[] {
  return [
    `name = "Headroom"`,
    `base_url = ${JSON.stringify(`${base}/v1`)}`,
    `wire_api = "responses"`,
    `requires_openai_auth = true`,
    `supports_websockets = true`,
  ];
}

function codexEdit(path: string, base: string): FileEdit {
  return tomlEdit(
    "codex-config",
    path,
    [
      { key: "model_provider", literal: `"headroom"` },
      { key: "openai_base_url", literal: JSON.stringify(`${base}/v1`) },
    ],
    [{ name: "model_providers.headroom", body: codexProviderTable(base) }],
  );
}

export function codexProviderEdits(ctx: ToolContext): FileEdit[] {
  return [codexEdit(codexConfigPath(ctx), ctx.base)];
}

/** Codex's system-wide config layer (read beneath $CODEX_HOME/config.toml on Linux and macOS). */
export function codexSystemConfigPath(systemRoot = "/"): string {
  return join(systemRoot, "etc", "codex", "config.toml");
}

/** System scope: the same keys in /etc/codex/config.toml, readable by every user. */
export function codexSystemEdits(ctx: ToolContext, systemRoot = "/"): FileEdit[] {
  return [{ ...codexEdit(codexSystemConfigPath(systemRoot), ctx.base), dirMode: 0o755 }];
}

/** Why Codex cannot be wired in a scope (one sentence naming the scope that works), or undefined. */
export function codexScopeRefusal(scope: "user" | "system", os: OsName): string | undefined {
  if (scope === "user") {
    return "Codex ignores OPENAI_BASE_URL, so --scope user cannot route it; use --scope provider (edits ~/.codex/config.toml) or --scope system (edits /etc/codex/config.toml).";
  }
  if (os === "windows") return "Codex on Windows has no system-wide config that headroom can set; use --scope provider (edits %USERPROFILE%\\.codex\\config.toml).";
  return undefined;
}
