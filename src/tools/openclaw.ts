// OpenClaw: route its built-in Anthropic and OpenAI providers through the proxy in
// ~/.openclaw/openclaw.json (JSON5; $OPENCLAW_CONFIG_PATH and $OPENCLAW_STATE_DIR
// honoured): models.providers.anthropic gets baseUrl http://host:port and, unless the user
// chose one, api "anthropic-messages" (OpenClaw needs the API type of a provider whose
// baseUrl is not its own); models.providers.openai gets baseUrl .../v1. A provider entry
// that does not exist yet is created (`models: []`: merge mode keeps the built-in catalog).
//
// The file is edited at the text level (edits/json-tree.ts), like the other tools'
// configs, never through `openclaw config set`: that rewrites the whole file (comments
// gone, keys quoted, a `meta` block added) and leaves openclaw.json.bak*, a journal key
// and a state database behind, which `remove` could not take back. The real CLI accepts
// the result (`openclaw config validate`, tested in test/e2e/real-clients/openclaw.test.ts).
//
// User and system scopes are refused: OpenClaw's Anthropic provider ignores
// ANTHROPIC_BASE_URL (it reads only its config's baseUrl), so a shell block cannot route it.
import { join } from "node:path";
import { jsonKeysEdit } from "../edits/json-keys.ts";
import { isPlainObject } from "../edits/json-tree.ts";
import type { FileEdit } from "../edits/types.ts";
import type { ToolContext } from "./context.ts";

export function openclawConfigPath(ctx: Pick<ToolContext, "home" | "env">): string {
  if (ctx.env.OPENCLAW_CONFIG_PATH) return ctx.env.OPENCLAW_CONFIG_PATH;
  return join(ctx.env.OPENCLAW_STATE_DIR || join(ctx.home, ".openclaw"), "openclaw.json");
}

/** The API type OpenClaw needs on each routed provider (only set when the user has none). */
const API: Record<string, string | undefined> = { anthropic: "anthropic-messages", openai: undefined };

export function openclawProviderEdits(ctx: ToolContext): FileEdit[] {
  const routes: [string, string][] = [
    ["anthropic", ctx.base],
    ["openai", `${ctx.base}/v1`],
  ];
  return [
    jsonKeysEdit("openclaw-config", openclawConfigPath(ctx), "json5", (doc) => {
      const providers = isPlainObject(doc?.models) && isPlainObject(doc.models.providers) ? doc.models.providers : {};
      return routes.flatMap(([name, url]) => {
        const api = API[name];
        const entry = providers[name];
        if (!isPlainObject(entry)) {
          return [{ path: ["models", "providers", name], value: { baseUrl: url, ...(api ? { api } : {}), models: [] } }];
        }
        const out: { path: string[]; value: unknown }[] = [{ path: ["models", "providers", name, "baseUrl"], value: url }];
        if (api && entry.api === undefined) out.push({ path: ["models", "providers", name, "api"], value: api });
        return out;
      });
    }),
  ];
}

/** OpenClaw cannot be routed by a shell block (see the top of this file). */
export function openclawScopeRefusal(scope: "user" | "system"): string {
  return `OpenClaw ignores ANTHROPIC_BASE_URL, so --scope ${scope} cannot route it; use --scope provider, which sets its providers' baseUrl in ~/.openclaw/openclaw.json (or \`headroom wrap openclaw\` for one session).`;
}
