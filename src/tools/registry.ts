// The registry of tools headroom can route through the proxy: detection, the per-tool
// variables (SPEC 4.3), and (for claude, codex, opencode, openclaw) the provider-scope
// edit. Adding a tool is adding a file and a row here.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { which } from "../host/exec.ts";
import type { OsName } from "../host/platform.ts";
import type { FileEdit } from "../edits/types.ts";
import type { Env } from "../host/env.ts";
import type { ToolContext } from "./context.ts";
import { COPILOT_ENV_RULES, copilotEnv } from "./copilot.ts";
import { applyEnvRules, type EnvRule } from "./env-rules.ts";

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
  /** Variables that keep the user's own setting and fill in only what is missing (copilot). */
  envRules?: readonly EnvRule[];
  /** Folders (or files) whose presence shows the tool is installed, besides its binary on PATH. */
  configPaths?(home: string, env: Env): string[];
  /** The provider-scope edit of the tool's own config (claude, codex, opencode, openclaw). */
  providerEdits?(ctx: ToolContext): FileEdit[];
  /**
   * Why the tool cannot be wired in the user or system scope (it ignores the variables):
   * one sentence naming the scope that works. Undefined when it can.
   */
  scopeRefusal?(scope: "user" | "system", os: OsName): string | undefined;
  /** System scope: edits of the tool's own system-wide config, besides the shell block (codex). */
  systemEdits?(ctx: ToolContext, systemRoot: string): FileEdit[];
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
    scopeRefusal: (scope, os) => codex().codexScopeRefusal(scope, os),
    systemEdits: (ctx, root) => codex().codexSystemEdits(ctx, root),
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
    env: copilotEnv,
    envRules: COPILOT_ENV_RULES,
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
    scopeRefusal: (scope) => openclaw().openclawScopeRefusal(scope),
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

/** The tools' EnvRules, first one per variable. */
export function envRulesForTools(tools: ToolName[]): EnvRule[] {
  const out: EnvRule[] = [];
  for (const t of tools) for (const r of TOOLS[t].envRules ?? []) if (!out.some((o) => o.name === r.name)) out.push(r);
  return out;
}

/**
 * The wrapped tool's environment: the user's, with the tool's variables on top and the
 * tool's rules filling in what the user has not set.
 */
export function sessionEnvForTool(tool: ToolName, port: number, host: string, userEnv: Env): Env {
  const fixed = envForTools([tool], port, host);
  return { ...userEnv, ...fixed, ...applyEnvRules(TOOLS[tool].envRules ?? [], userEnv) };
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
