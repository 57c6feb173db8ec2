// The per-session config edit some tools need besides their variables (codex and
// opencode read their provider from a config file; openclaw routes through its own
// config). The edit itself belongs to the tool adapters in src/tools/session.ts; this
// file decides which tools need one and loads those adapters only then.
import type { ToolName } from "../tools/registry.ts";

type Env = Record<string, string | undefined>;

export const SESSION_TOOLS: readonly ToolName[] = ["codex", "opencode", "openclaw"];

export function needsSessionEdit(tool: ToolName): boolean {
  return SESSION_TOOLS.includes(tool);
}

// PENDING: src/tools/session.ts has not landed yet.
async function loadSession(): Promise<{
  applyToolSession(tool: ToolName, opts: { port: number; host: string; env: Env }): Promise<unknown>;
  revertToolSession(tool: ToolName, opts: { env: Env }): Promise<unknown>;
}> {
  const missing = async () => {
    throw new Error(`session config edits are not available in this build yet`);
  };
  return { applyToolSession: missing, revertToolSession: missing };
}

export async function applySessionEdit(tool: ToolName, port: number, host: string, env: Env): Promise<void> {
  const { applyToolSession } = await loadSession();
  await applyToolSession(tool, { port, host, env });
}

/** Undoes the session edit; returns lines describing what was restored (empty when nothing was left). */
export async function revertSessionEdit(tool: ToolName, env: Env): Promise<string[]> {
  const { revertToolSession } = await loadSession();
  const result: unknown = await revertToolSession(tool, { env });
  return describeRevert(result);
}

function describeRevert(result: unknown): string[] {
  if (!result) return [];
  if (Array.isArray(result)) return result.map(String);
  if (typeof result === "string") return [result];
  if (typeof result === "object") {
    const r = result as Record<string, unknown>;
    for (const key of ["messages", "restored", "reverted", "changes", "files"]) {
      const v = r[key];
      if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : (x as { path?: string })?.path ?? JSON.stringify(x)));
    }
    if (typeof r.message === "string") return r.changed === false ? [] : [r.message];
  }
  return [];
}
