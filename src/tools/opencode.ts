// OpenCode: provider.headroom in $OPENCODE_CONFIG or ~/.config/opencode/opencode.json[c]
// (JSONC: comments survive). An OpenAI-compatible provider pointing at the proxy's /v1,
// with a models map so `headroom/<model>` resolves and the user's OPENAI_API_KEY passed by
// reference; and the built-in anthropic/openai providers' baseURL at the same /v1.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { jsonKeysEdit } from "../edits/json-keys.ts";
import type { FileEdit } from "../edits/types.ts";
import type { ToolContext } from "./context.ts";

/** Models the proxy forwards to OpenAI's chat completions API (the provider speaks that). */
export const OPENCODE_MODELS: Record<string, { name: string }> = {
  "gpt-5": { name: "GPT-5 (via headroom)" },
  "gpt-5-mini": { name: "GPT-5 mini (via headroom)" },
  "gpt-5-codex": { name: "GPT-5 Codex (via headroom)" },
  "gpt-4.1": { name: "GPT-4.1 (via headroom)" },
  "o4-mini": { name: "o4-mini (via headroom)" },
};

export function opencodeConfigDir(ctx: Pick<ToolContext, "home" | "env">): string {
  return join(ctx.env.XDG_CONFIG_HOME || join(ctx.home, ".config"), "opencode");
}

export function opencodeConfigPath(ctx: Pick<ToolContext, "home" | "env">): string {
  if (ctx.env.OPENCODE_CONFIG) return ctx.env.OPENCODE_CONFIG;
  const dir = opencodeConfigDir(ctx);
  const json = join(dir, "opencode.json");
  const jsonc = join(dir, "opencode.jsonc");
  if (!existsSync(json) && existsSync(jsonc)) return jsonc;
  return json;
}

/**
 * provider.headroom (OpenAI models through the proxy's /v1, the user's OPENAI_API_KEY by
 * reference: OpenCode substitutes `{env:NAME}` when it reads the config, so the key itself
 * is never written), and the /v1 base URL of OpenCode's built-in anthropic and openai
 * providers (the AI SDK appends /messages and /responses to it), so the user's own models
 * and their own logins for them (env keys or `opencode auth login`) go through headroom too.
 */
export function opencodeProviderEdits(ctx: ToolContext): FileEdit[] {
  const v1 = `${ctx.base}/v1`;
  return [
    jsonKeysEdit("opencode-config", opencodeConfigPath(ctx), "jsonc", [
      {
        path: ["provider", "headroom"],
        value: {
          npm: "@ai-sdk/openai-compatible",
          name: "Headroom",
          options: { baseURL: v1, apiKey: "{env:OPENAI_API_KEY}" },
          models: OPENCODE_MODELS,
        },
      },
      { path: ["provider", "anthropic", "options", "baseURL"], value: v1 },
      { path: ["provider", "openai", "options", "baseURL"], value: v1 },
    ]),
  ];
}
