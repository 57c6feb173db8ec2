// The registry of tools headroom can route through the proxy: detection, the per-tool
// variables (SPEC 4.3), and (for claude, codex, opencode, openclaw) the provider-scope
// edit. Adding a tool is adding a file and a row here.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { which } from "../host/exec.ts";
import type { FileEdit } from "../install/edits/types.ts";
import type { Env, ToolContext } from "./context.ts";

// The four adapters with a config edit (and through them the JSON5, JSONC and TOML
// parsers) are loaded on first use: `wrap` needs only the variables below and would
// otherwise load all of them on every run. A synchronous require keeps ToolDef as it is.
const claude = () => require("./claude.ts") as typeof import("./claude.ts");
const codex = () => require("./codex.ts") as typeof import("./codex.ts");
const opencode = () => require("./opencode.ts") as typeof import("./opencode.ts");
const openclaw = () => require("./openclaw.ts") as typeof import("./openclaw.ts");

export const TOOL_NAMES = ["claude", "codex", "aider", "copilot", "cursor", "opencode", "openclaw"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

export interface ToolDef {
  name: ToolName;
  /** Executable name looked up on PATH. */
  binary: string;
  /** Where to get it, for the "missing binary" error. */
  installHint: string;
  /** Variables that route the tool through the proxy at base (http://host:port). */
  env(base: string): Record<string, string>;
  /** Folders (or files) whose presence shows the tool is installed, besides its binary on PATH. */
  configPaths?(home: string, env: Env): string[];
  /** The provider-scope edit of the tool's own config (claude, codex, opencode, openclaw). */
  providerEdits?(ctx: ToolContext): FileEdit[];
}

const v1 = (base: string) => `${base}/v1`;

export const TOOLS: Record<ToolName, ToolDef> = {
  claude: {
    name: "claude",
    binary: "claude",
    installHint: "Install Claude Code with `npm install -g @anthropic-ai/claude-code`.",
    env: (base) => ({ ANTHROPIC_BASE_URL: base }),
    configPaths: (home, env) => [claude().claudeConfigDir({ home, env })],
    providerEdits: (ctx) => claude().claudeProviderEdits(ctx),
  },
  codex: {
    name: "codex",
    binary: "codex",
    installHint: "Install Codex with `npm install -g @openai/codex`.",
    env: (base) => ({ OPENAI_BASE_URL: v1(base) }),
    configPaths: (home, env) => [codex().codexHome({ home, env })],
    providerEdits: (ctx) => codex().codexProviderEdits(ctx),
  },
  aider: {
    name: "aider",
    binary: "aider",
    installHint: "Install Aider with `python -m pip install aider-install && aider-install`.",
    env: (base) => ({ OPENAI_API_BASE: v1(base), ANTHROPIC_BASE_URL: base }),
    configPaths: (home) => [join(home, ".aider.conf.yml"), join(home, ".aider")],
  },
  copilot: {
    name: "copilot",
    binary: "copilot",
    installHint: "Install GitHub Copilot CLI with `npm install -g @github/copilot`.",
    env: (base) => ({
      COPILOT_PROVIDER_TYPE: "openai",
      COPILOT_PROVIDER_BASE_URL: v1(base),
      COPILOT_PROVIDER_WIRE_API: "chat",
    }),
    configPaths: (home, env) => [env.COPILOT_HOME || join(home, ".copilot")],
  },
  cursor: {
    name: "cursor",
    binary: "cursor",
    installHint: "Install Cursor from its website; headroom prints the base URLs to paste into its settings.",
    env: (base) => ({ OPENAI_BASE_URL: v1(base), ANTHROPIC_BASE_URL: base }),
    configPaths: (home) => [join(home, ".cursor")],
  },
  opencode: {
    name: "opencode",
    binary: "opencode",
    installHint: "Install OpenCode with `npm install -g opencode-ai`.",
    env: (base) => ({ OPENAI_BASE_URL: v1(base), ANTHROPIC_BASE_URL: base }),
    configPaths: (home, env) => [opencode().opencodeConfigDir({ home, env }), ...(env.OPENCODE_CONFIG ? [env.OPENCODE_CONFIG] : [])],
    providerEdits: (ctx) => opencode().opencodeProviderEdits(ctx),
  },
  openclaw: {
    name: "openclaw",
    binary: "openclaw",
    installHint: "Install OpenClaw with `npm install -g openclaw`.",
    env: (base) => ({ OPENAI_BASE_URL: v1(base), ANTHROPIC_BASE_URL: base }),
    configPaths: (home, env) => [dirname(openclaw().openclawConfigPath({ home, env }))],
    providerEdits: (ctx) => openclaw().openclawProviderEdits(ctx),
  },
};

/** The variables for a set of tools plus HEADROOM_PORT/HEADROOM_HOST. */
export function envForTools(tools: ToolName[], port: number, host = "127.0.0.1"): Record<string, string> {
  const base = `http://${host}:${port}`;
  const out: Record<string, string> = {};
  for (const t of tools) Object.assign(out, TOOLS[t].env(base));
  out.HEADROOM_PORT = String(port);
  out.HEADROOM_HOST = host;
  return out;
}

/** Tools whose own config headroom can edit (`--scope provider`). */
export const PROVIDER_TOOLS: readonly ToolName[] = TOOL_NAMES.filter((t) => TOOLS[t].providerEdits !== undefined);

/** True when the tool looks installed: its binary on PATH, or its config folder exists. */
export function isToolInstalled(tool: ToolName, home: string, env: Env): boolean {
  const def = TOOLS[tool];
  if (which(def.binary, env)) return true;
  return (def.configPaths?.(home, env) ?? []).some((p) => existsSync(p));
}

export function detectTools(home: string, env: Env): ToolName[] {
  return TOOL_NAMES.filter((t) => isToolInstalled(t, home, env));
}
