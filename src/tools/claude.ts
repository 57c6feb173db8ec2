// Claude Code: the `env` map of settings.json in $CLAUDE_CONFIG_DIR or ~/.claude.
import { join } from "node:path";
import { jsonKeysEdit } from "../edits/json-keys.ts";
import type { FileEdit } from "../edits/types.ts";
import type { ToolContext } from "./context.ts";

export function claudeConfigDir(ctx: Pick<ToolContext, "home" | "env">): string {
  return ctx.env.CLAUDE_CONFIG_DIR || join(ctx.home, ".claude");
}

export function claudeSettingsPath(ctx: Pick<ToolContext, "home" | "env">): string {
  return join(claudeConfigDir(ctx), "settings.json");
}

export function claudeProviderEdits(ctx: ToolContext): FileEdit[] {
  return [
    jsonKeysEdit("claude-settings", claudeSettingsPath(ctx), "json", [
      { path: ["env", "ANTHROPIC_BASE_URL"], value: ctx.base },
      { path: ["env", "ENABLE_TOOL_SEARCH"], value: "true" },
    ]),
  ];
}
