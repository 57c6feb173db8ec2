// `headroom unwrap <tool>`: undoes whatever a wrap left in the tool's config (after a
// crash, say). Works without a proxy; returns the lines to print.
import { join } from "node:path";
import { readIfExists } from "../host/fs.ts";
import type { ToolName } from "../tools/registry.ts";
import { otherLiveClientsOfTool } from "./clients.ts";
import { forceRevertSessionEdit, needsSessionEdit } from "./tool-session.ts";

import type { Env } from "../host/env.ts";

/** The files the pending session edit changed, as recorded by src/tools/session.ts (best effort). */
async function editedFiles(tool: ToolName, env: Env): Promise<string[]> {
  const { sessionStateDir } = await import("../tools/session.ts");
  const raw = readIfExists(join(sessionStateDir(tool, env), "session.json"));
  try {
    const records = (JSON.parse(raw?.toString("utf8") ?? "{}") as { records?: { path?: unknown }[] }).records ?? [];
    return records.flatMap((r) => (typeof r.path === "string" ? [r.path] : []));
  } catch {
    return [];
  }
}

export async function runUnwrap(tool: ToolName, env: Env = process.env): Promise<string[]> {
  if (!needsSessionEdit(tool)) {
    return [`Nothing to undo: wrap ${tool} only sets variables for its session and edits no config.`];
  }
  const lines: string[] = [];
  const running = otherLiveClientsOfTool(tool, env);
  if (running.length > 0) {
    lines.push(`Note: a wrapped ${tool} is still running (pid ${running.map((c) => c.pid).join(", ")}); it loses its proxy settings now.`);
  }
  const files = await editedFiles(tool, env);
  const restored = await forceRevertSessionEdit(tool, env);
  if (!restored) lines.push(`Nothing to undo: no wrap of ${tool} left an edit in its config.`);
  else if (files.length > 0) lines.push(...files.map((f) => `Restored ${f} (${tool}'s config as it was before wrap).`));
  else lines.push(`Restored ${tool}'s config as it was before wrap.`);
  return lines;
}
