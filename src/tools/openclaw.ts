// OpenClaw: route its built-in Anthropic and OpenAI providers through the proxy by
// setting models.providers.<anthropic|openai>.baseUrl in ~/.openclaw/openclaw.json (JSON5;
// $OPENCLAW_CONFIG_PATH and $OPENCLAW_STATE_DIR honoured). A provider entry that does not
// exist yet is created as { baseUrl, models: [] } (merge mode keeps the built-in catalog).
// When the `openclaw` CLI is on PATH the change goes through `openclaw config set/unset`.
import { join } from "node:path";
import { which } from "../host/exec.ts";
import { jsonKeysEdit, type KeyEntry } from "../install/edits/json-keys.ts";
import { isPlainObject } from "../install/edits/json-tree.ts";
import type { EditData, FileEdit } from "../install/edits/types.ts";
import type { Env, ToolContext } from "./context.ts";

export function openclawConfigPath(ctx: Pick<ToolContext, "home" | "env">): string {
  if (ctx.env.OPENCLAW_CONFIG_PATH) return ctx.env.OPENCLAW_CONFIG_PATH;
  return join(ctx.env.OPENCLAW_STATE_DIR || join(ctx.home, ".openclaw"), "openclaw.json");
}

export function openclawCli(env: Env): string | null {
  return which("openclaw", env);
}

function cliPath(path: string[]): string {
  return path.map((p, i) => (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`)).join("");
}

/** `openclaw config set/unset` vectors that carry out (or undo) the recorded entries. */
export function openclawCommands(bin: string, data: EditData, direction: "apply" | "revert"): string[][] {
  const entries = (data.entries ?? []) as KeyEntry[];
  if (direction === "apply") return entries.map((e) => [bin, "config", "set", cliPath(e.path), JSON.stringify(e.value), "--strict-json"]);
  return [...entries].reverse().map((e) =>
    e.hadPrevious ? [bin, "config", "set", cliPath(e.path), JSON.stringify(e.previous), "--strict-json"] : [bin, "config", "unset", cliPath(e.path)],
  );
}

export function openclawProviderEdits(ctx: ToolContext): FileEdit[] {
  const routes: [string, string][] = [
    ["anthropic", ctx.base],
    ["openai", `${ctx.base}/v1`],
  ];
  const edit = jsonKeysEdit("openclaw-config", openclawConfigPath(ctx), "json5", (doc) => {
    const providers = isPlainObject(doc?.models) && isPlainObject(doc.models.providers) ? doc.models.providers : {};
    return routes.map(([name, url]) =>
      isPlainObject(providers[name])
        ? { path: ["models", "providers", name, "baseUrl"], value: url }
        : { path: ["models", "providers", name], value: { baseUrl: url, models: [] } },
    );
  });
  const bin = openclawCli(ctx.env);
  if (bin) {
    edit.commands = (data) => openclawCommands(bin, data, "apply");
    edit.revertCommands = (data) => openclawCommands(bin, data, "revert");
    // The CLI edits exactly the file headroom backed up and recorded.
    edit.commandEnv = { OPENCLAW_CONFIG_PATH: openclawConfigPath(ctx) };
  }
  return [edit];
}
