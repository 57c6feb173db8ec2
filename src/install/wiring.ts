// The seam between the install executor and the tool-wiring adapters: which tools, which
// files and commands (plan), carrying them out with write-ahead records (apply), undoing
// them (revert), and telling what the user changed since (drift).
import { join } from "node:path";
import type { Env } from "../host/env.ts";
import type { OsName } from "../host/platform.ts";
import type { ChangeRecord } from "../edits/record.ts";
import type { Scope } from "./manifest.ts";
import { type ToolName, TOOL_NAMES, TOOLS, isToolName, envForTools, envRulesForTools, PROVIDER_TOOLS, detectTools } from "../tools/registry.ts";
import { toolContext } from "../tools/context.ts";
import { HeadroomError, UsageError } from "../errors.ts";
import { runCommand, type CommandRunner } from "../host/exec.ts";
import { type PlannedFile, type RevertResult, applyPlannedFiles, planFile, revertEach, revertFileRecord } from "../edits/engine.ts";
import type { FileEdit } from "../edits/types.ts";
import { systemShellEdits, userShellEdits } from "./scopes/shell-env.ts";
import {
  captureCommand, parseCaptured, restoreCommand, setCommand, windowsEnvRecord, WINDOWS_ENV_ADAPTER, type WindowsEnvScope,
} from "./scopes/windows-env.ts";

export interface WiringRequest {
  scope: Scope;
  providers: "auto" | "all" | "manual";
  targets: string[];
  port: number;
  host: string;
  os: OsName;
  home: string;
  env: Env;
  /** Where backups of edited files go (the profile folder). */
  profileDir: string;
  isRoot: boolean;
  /** Runs the tool CLIs and PowerShell commands (tests record them). Default: real commands. */
  runner?: CommandRunner;
  /** Prefix for system-scope paths such as /etc/profile.d (tests point it at a temp folder). Default "/". */
  systemRoot?: string;
}

export interface PlannedEdit {
  path: string;
  /** Current content (null when the file does not exist). */
  before: string | null;
  after: string;
}

export interface WiringPlan {
  targets: ToolName[];
  files: PlannedEdit[];
  commands: string[][];
}

/** Why a tool cannot be wired in a user or system scope (it ignores the variables), or undefined. */
function scopeRefusal(t: ToolName, scope: Scope, os: OsName): string | undefined {
  return scope === "provider" ? undefined : TOOLS[t].scopeRefusal?.(scope, os);
}

/**
 * Targets a scope can wire: the provider scope only has adapters for four tools; given
 * the OS, the user and system scopes leave out a tool with no surface there (Codex
 * ignores OPENAI_BASE_URL).
 */
export function supportedTargets(scope: Scope, os?: OsName): readonly ToolName[] {
  const base = scope === "provider" ? PROVIDER_TOOLS : TOOL_NAMES;
  return os === undefined ? base : base.filter((t) => !scopeRefusal(t, scope, os));
}

/**
 * Resolves --providers/--target into the list of tools. auto: the installed tools the scope
 * supports, falling back to claude+codex (or the --target list when one is given); all:
 * every target the scope supports; manual: the --target list, deduplicated. Unknown or
 * unsupported names are a usage error.
 */
export function resolveTargets(req: WiringRequest): ToolName[] {
  const supported = supportedTargets(req.scope, req.os);
  if (req.providers === "manual") {
    const out: ToolName[] = [];
    for (const t of req.targets) {
      if (!isToolName(t)) throw new UsageError(`Unknown target "${t}"; supported targets are ${supported.join(", ")}.`);
      const refused = scopeRefusal(t, req.scope, req.os);
      if (refused) throw new UsageError(refused);
      if (!supported.includes(t)) {
        throw new UsageError(`--scope ${req.scope} does not support target "${t}"; it supports ${supported.join(", ")} (use --scope user for the others).`);
      }
      if (!out.includes(t)) out.push(t);
    }
    if (out.length === 0) throw new UsageError(`--providers manual needs at least one --target (${supported.join(", ")}).`);
    return out;
  }
  if (req.providers === "all") {
    if (req.targets.length > 0) throw new UsageError("--target goes with --providers manual, not --providers all.");
    return [...supported];
  }
  // auto with explicit --target values: the user named the tools, so take them as manual.
  if (req.targets.length > 0) return resolveTargets({ ...req, providers: "manual" });
  const found = detectTools(req.home, req.env).filter((t) => supported.includes(t));
  return found.length > 0 ? found : (["claude", "codex"] as const).filter((t) => supported.includes(t));
}

function stateDir(req: WiringRequest): string {
  return join(req.profileDir, "wiring");
}

function windowsScope(req: WiringRequest): WindowsEnvScope | null {
  if (req.os !== "windows" || req.scope === "provider") return null;
  return req.scope === "system" ? "Machine" : "User";
}

function fileEdits(req: WiringRequest, targets: ToolName[]): FileEdit[] {
  const vars = envForTools(targets, req.port, req.host);
  if (req.scope === "provider") {
    const ctx = toolContext({ home: req.home, env: req.env, port: req.port, host: req.host });
    return targets.flatMap((t) => TOOLS[t].providerEdits?.(ctx) ?? []);
  }
  if (windowsScope(req)) return [];
  const rules = envRulesForTools(targets);
  if (req.scope === "user") return userShellEdits(req.os, req.home, req.env, vars, rules);
  const root = req.systemRoot ?? "/";
  const shell = systemShellEdits(req.os, req.isRoot, vars, root, rules);
  // Tools that read a system-wide config of their own instead of the variables (codex).
  const ctx = toolContext({ home: req.home, env: req.env, port: req.port, host: req.host });
  return [...shell, ...targets.flatMap((t) => TOOLS[t].systemEdits?.(ctx, root) ?? [])];
}

/**
 * Windows variables cannot test what the user has set, so a rule's default value is set
 * as it is (the previous value is recorded and comes back on remove) and a rule that
 * copies another variable is left out.
 */
function windowsVars(targets: ToolName[], req: WiringRequest): Record<string, string> {
  const defaults = Object.fromEntries(envRulesForTools(targets).flatMap((r) => (r.value !== undefined ? [[r.name, r.value]] : [])));
  return { ...envForTools(targets, req.port, req.host), ...defaults };
}

async function planFiles(req: WiringRequest, targets: ToolName[]): Promise<PlannedFile[]> {
  const ws = windowsScope(req);
  if (ws === "Machine" && !req.isRoot) {
    throw new HeadroomError("System scope sets Machine environment variables, which needs an administrator; run from an elevated PowerShell, or use --scope user.");
  }
  const planned: PlannedFile[] = [];
  for (const e of fileEdits(req, targets)) planned.push(await planFile(e, stateDir(req)));
  return planned;
}

/** Reads and parses every file the wiring would change; throws before anything is written. */
export async function planWiring(req: WiringRequest): Promise<WiringPlan> {
  const targets = resolveTargets(req);
  const planned = await planFiles(req, targets);
  const commands: string[][] = planned.flatMap((p) => p.commands ?? []);
  const ws = windowsScope(req);
  if (ws) {
    const vars = windowsVars(targets, req);
    commands.push(captureCommand(Object.keys(vars), ws), setCommand(vars, ws));
  }
  return {
    targets,
    files: planned.filter((p) => !p.commands).map((p) => ({ path: p.target, before: p.before, after: p.after })),
    commands,
  };
}

/**
 * Applies the planned wiring, one file at a time. `persist` is called with the records
 * so far before each file is replaced (write-ahead, so a crash between writes can still
 * be undone by `remove`) and once more at the end. Returns one record per changed file.
 */
export async function applyWiring(req: WiringRequest, persist: (records: ChangeRecord[]) => Promise<void>): Promise<ChangeRecord[]> {
  const targets = resolveTargets(req);
  const runner = req.runner ?? runCommand;
  const planned = await planFiles(req, targets);
  const ws = windowsScope(req);
  if (!ws) return applyPlannedFiles(planned, stateDir(req), persist, [], runner, req.env);
  const vars = windowsVars(targets, req);
  const names = Object.keys(vars);
  const cap = await runner(captureCommand(names, ws));
  if (cap.code !== 0) throw new HeadroomError(`Could not read the ${ws} environment variables (exit ${cap.code}): ${cap.stderr.trim().split("\n")[0] ?? ""}`);
  const record = windowsEnvRecord(ws, vars, parseCaptured(cap.stdout, names));
  await persist([record]);
  const set = await runner(setCommand(vars, ws));
  if (set.code !== 0) throw new HeadroomError(`Could not set the ${ws} environment variables (exit ${set.code}): ${set.stderr.trim().split("\n")[0] ?? ""}`);
  await persist([record]);
  return [record];
}

/** Reverts recorded changes (last first); each failure is reported and the rest still run. */
export function revertWiring(records: ChangeRecord[], opts: { runner?: CommandRunner } = {}): Promise<RevertResult> {
  const runner = opts.runner ?? runCommand;
  return revertEach(records, async (record) => {
    if (record.adapter !== WINDOWS_ENV_ADAPTER) return revertFileRecord(record, runner);
    const data = record.data;
    if (data?.kind !== "windows-env") throw new HeadroomError(`Cannot restore the environment variables of ${record.path}: the record holds no previous values.`);
    const r = await runner(restoreCommand(data.previous, data.scope));
    if (r.code !== 0) throw new HeadroomError(`Could not restore the ${data.scope} environment variables (exit ${r.code}).`);
  });
}

export { wiringDrift } from "./drift.ts";
