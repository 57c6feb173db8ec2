// Codex: config.toml in $CODEX_HOME or ~/.codex. Root keys model_provider and
// openai_base_url, and a [model_providers.headroom] table; requires_openai_auth only
// when auth.json shows a ChatGPT sign-in.
import { join } from "node:path";
import { readIfExists } from "../host/fs.ts";
import { tomlEdit } from "../install/edits/toml-keys.ts";
import type { FileEdit } from "../install/edits/types.ts";
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
  const tokens = auth.tokens as Record<string, unknown> | undefined;
  if (!tokens || typeof tokens !== "object") return false;
  if (typeof tokens.account_id === "string" && tokens.account_id) return true;
  if (typeof tokens.id_token === "string") {
    const claims = jwtPayload(tokens.id_token)?.["https://api.openai.com/auth"] as Record<string, unknown> | undefined;
    if (claims && typeof claims.chatgpt_account_id === "string" && claims.chatgpt_account_id) return true;
  }
  return false;
}

export function codexProviderEdits(ctx: ToolContext): FileEdit[] {
  const url = `${ctx.base}/v1`;
  const chatgpt = usesChatGptAuth(readIfExists(join(codexHome(ctx), "auth.json"))?.toString("utf8") ?? null);
  const body = [`name = "Headroom"`, `base_url = ${JSON.stringify(url)}`, `supports_websockets = true`];
  if (chatgpt) body.push(`requires_openai_auth = true`);
  return [
    tomlEdit(
      "codex-config",
      codexConfigPath(ctx),
      [
        { key: "model_provider", literal: `"headroom"` },
        { key: "openai_base_url", literal: JSON.stringify(url) },
      ],
      [{ name: "model_providers.headroom", body }],
    ),
  ];
}
