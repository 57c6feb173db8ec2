// The per-session config edit of `headroom wrap codex|opencode|openclaw`: the same edit as
// the provider scope, made for the length of a wrapped session and undone on exit or by
// `headroom unwrap <tool>`. State lives in $HEADROOM_WORKSPACE_DIR/wrap/<tool>/:
//   session.json   the change records (written before each file is replaced, so a
//                  SIGKILLed wrap can still be undone), port and host
//   backups/       the original bytes (0600)
//   clients/<pid>  one marker per live wrap of this tool
// Nested wraps of one tool: the first applies, the last to exit restores (markers of dead
// processes are ignored, so a crashed wrap never pins the edit). `unwrap` restores at once.
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { HeadroomError } from "../errors.ts";
import { runCommand, type CommandRunner } from "../host/exec.ts";
import { acquireLock, atomicWrite, ensureDir, isPidAlive, PRIVATE_FILE, readIfExists } from "../host/fs.ts";
import { type PlannedFile, applyPlannedFiles, planFile, revertFileRecords } from "../edits/engine.ts";
import { ChangeRecordSchema, type ChangeRecord } from "../edits/record.ts";
import { homeDir, workspaceDir } from "../paths.ts";
import type { Env } from "../host/env.ts";
import { toolContext } from "./context.ts";
import { TOOLS, type ToolName } from "./registry.ts";

/** Tools whose wrapped session needs a config edit besides environment variables. */
export const SESSION_EDIT_TOOLS: readonly ToolName[] = ["codex", "opencode", "openclaw"];

const SessionSchema = v.object({
  tool: v.string(),
  port: v.number(),
  host: v.string(),
  records: v.array(ChangeRecordSchema),
});
type SessionState = v.InferOutput<typeof SessionSchema>;

export interface SessionOptions {
  port: number;
  host?: string;
  env?: Env;
  /** The wrap process (defaults to this process). */
  pid?: number;
  runner?: CommandRunner;
}

export function sessionStateDir(tool: ToolName, env: Env = process.env): string {
  return join(workspaceDir(env), "wrap", tool);
}

function readSession(dir: string): SessionState | null {
  const raw = readIfExists(join(dir, "session.json"));
  if (!raw) return null;
  try {
    const parsed = v.safeParse(SessionSchema, JSON.parse(raw.toString("utf8")));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}

function liveClients(dir: string): number[] {
  const cdir = join(dir, "clients");
  let names: string[];
  try {
    names = readdirSync(cdir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const n of names) {
    const pid = Number.parseInt(n, 10);
    if (isPidAlive(pid)) live.push(pid);
    else rmSync(join(cdir, n), { force: true });
  }
  return live;
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  ensureDir(dir);
  const lock = await acquireLock(join(dir, "lock"), 15_000);
  if (!lock) throw new HeadroomError(`Another headroom wrap is changing ${dir}; try again in a moment.`);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

async function revertSession(dir: string, session: SessionState, runner: CommandRunner): Promise<void> {
  const { failed } = await revertFileRecords(session.records, runner);
  if (failed.length > 0) {
    throw new HeadroomError(`Could not undo the ${session.tool} session edit: ${failed.map((f) => f.error).join("; ")}`, "Run `headroom unwrap " + session.tool + "` again after fixing the file.");
  }
  rmSync(join(dir, "session.json"), { force: true });
}

/**
 * Applies the tool's session config edit (no-op for tools that need none) and registers
 * the wrap process as a client. Reuses a live session's edit; undoes a stale one first.
 */
export async function applyToolSession(tool: ToolName, opts: SessionOptions): Promise<void> {
  const def = TOOLS[tool];
  if (!SESSION_EDIT_TOOLS.includes(tool) || !def.providerEdits) return;
  const env = opts.env ?? process.env;
  const runner = opts.runner ?? runCommand;
  const dir = sessionStateDir(tool, env);
  const pid = opts.pid ?? process.pid;
  await withLock(dir, async () => {
    const live = liveClients(dir).filter((p) => p !== pid);
    const existing = readSession(dir);
    if (existing && live.length === 0) await revertSession(dir, existing, runner);
    if (!existing || live.length === 0) {
      const host = opts.host || "127.0.0.1";
      const ctx = toolContext({ home: homeDir(env), env, port: opts.port, host });
      // Read and parse everything first: an unparsable config stops the wrap with nothing changed.
      const planned: PlannedFile[] = [];
      for (const e of def.providerEdits!(ctx)) planned.push(await planFile(e, dir));
      const write = async (records: ChangeRecord[]) => {
        const state: SessionState = { tool, port: opts.port, host, records };
        atomicWrite(join(dir, "session.json"), JSON.stringify(state, null, 2) + "\n", { mode: PRIVATE_FILE, forceMode: true });
      };
      await applyPlannedFiles(planned, dir, write, [], runner, env);
    }
    ensureDir(join(dir, "clients"));
    writeFileSync(join(dir, "clients", String(pid)), `${pid}\n`, { mode: PRIVATE_FILE });
  });
}

/**
 * Ends the wrap process's use of the session edit and restores the tool's config when no
 * other live wrap of the tool remains. Called by a process that is not a registered
 * client (`headroom unwrap <tool>`), or with `force`, it restores at once. Works with no
 * proxy running. Returns true when something was reverted.
 */
export async function revertToolSession(tool: ToolName, opts: { env?: Env; pid?: number; force?: boolean; runner?: CommandRunner } = {}): Promise<boolean> {
  if (!SESSION_EDIT_TOOLS.includes(tool)) return false;
  const env = opts.env ?? process.env;
  const dir = sessionStateDir(tool, env);
  // Nothing was ever left by a wrap: answer without creating anything.
  if (!existsSync(dir)) return false;
  const pid = opts.pid ?? process.pid;
  return withLock(dir, async () => {
    const marker = join(dir, "clients", String(pid));
    const registered = readIfExists(marker) !== null;
    rmSync(marker, { force: true });
    const force = opts.force ?? !registered;
    const others = liveClients(dir).filter((p) => p !== pid);
    if (others.length > 0 && !force) return false;
    const session = readSession(dir);
    if (!session) return false;
    await revertSession(dir, session, opts.runner ?? runCommand);
    rmSync(join(dir, "clients"), { recursive: true, force: true });
    return true;
  });
}
