// The per-session config edit some tools need besides their variables (codex and
// opencode read their provider from a config file; openclaw routes through its own
// config). The edit and its bookkeeping (nested wraps of one tool: the first applies,
// the last to exit restores) belong to src/tools/session.ts; this file decides which
// tools need one and loads that module only then, so other wraps never pay for it.
import type { ToolName } from "../tools/registry.ts";

import type { Env } from "../host/env.ts";

export const SESSION_TOOLS: readonly ToolName[] = ["codex", "opencode", "openclaw"];

export function needsSessionEdit(tool: ToolName): boolean {
  return SESSION_TOOLS.includes(tool);
}

export async function applySessionEdit(tool: ToolName, port: number, host: string, env: Env): Promise<void> {
  const { applyToolSession } = await import("../tools/session.ts");
  await applyToolSession(tool, { port, host, env });
}

/** This wrap is done with the edit; it is restored when no other live wrap of the tool uses it. True when restored. */
export async function releaseSessionEdit(tool: ToolName, env: Env): Promise<boolean> {
  const { revertToolSession } = await import("../tools/session.ts");
  return revertToolSession(tool, { env });
}

/** `unwrap`: restores the tool's config at once, whoever left the edit. True when something was restored. */
export async function forceRevertSessionEdit(tool: ToolName, env: Env): Promise<boolean> {
  const { revertToolSession } = await import("../tools/session.ts");
  return revertToolSession(tool, { env, force: true });
}
