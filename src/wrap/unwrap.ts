// `headroom unwrap <tool>`: undoes whatever a wrap left in the tool's config (after a
// crash, say). Works without a proxy; returns the lines to print.
import type { ToolName } from "../tools/registry.ts";
import { otherLiveClientsOfTool } from "./clients.ts";
import { needsSessionEdit, revertSessionEdit } from "./tool-session.ts";

type Env = Record<string, string | undefined>;

export async function runUnwrap(tool: ToolName, env: Env = process.env): Promise<string[]> {
  if (!needsSessionEdit(tool)) {
    return [`wrap ${tool} only sets variables for the session and edits no config; nothing to undo.`];
  }
  const lines: string[] = [];
  const running = otherLiveClientsOfTool(tool, env);
  if (running.length > 0) {
    lines.push(`note: a wrapped ${tool} is still running (pid ${running.map((c) => c.pid).join(", ")}); it will not find the proxy settings again.`);
  }
  const restored = await revertSessionEdit(tool, env);
  if (restored.length === 0) lines.push(`Nothing to undo: ${tool}'s config has no headroom session edit.`);
  else lines.push(...restored.map((r) => `Restored ${r}`));
  return lines;
}
