// Carries file edits out safely and undoes them: every file is read and parsed before
// anything is written; the original bytes are backed up (0600) in a state folder; each
// change is recorded (write-ahead) before the file is replaced atomically; undo restores
// the original bytes when the file is unchanged since, and otherwise takes out only
// headroom's part, keeping the user's later edits.
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { existsSync, rmdirSync, rmSync } from "node:fs";
import * as v from "valibot";
import { type ChangeData, type ChangeRecord, ChangeRecordSchema, type EditPayload, type FileChangeData, fileChangeData } from "./record.ts";
import { atomicWrite, ensureDir, PRIVATE_FILE, readIfExists, resolveSymlinkTarget } from "../host/fs.ts";
import { errorMessage, HeadroomError } from "../errors.ts";
import { explainPathError } from "../host/path-check.ts";
import type { Env } from "../host/env.ts";
import { runCommand, type CommandRunner } from "../host/exec.ts";
import { blockUndo } from "./block.ts";
import type { FileEdit, UndoAdapter } from "./types.ts";

/** An undo adapter bound to one record's data. */
interface BoundUndo {
  strip(text: string, path: string): string;
  drift(text: string, path: string): string[];
}

function bind<P extends EditPayload>(undo: UndoAdapter<P>, data: P): BoundUndo {
  return { strip: (text, path) => undo.strip(text, data, path), drift: (text, path) => undo.drift(text, data, path) };
}

/**
 * The undo adapter of the record's kind, or undefined for a kind that is not a file edit.
 * The JSON and TOML ones (and their parsers) are loaded only when a record actually needs
 * stripping or a drift check.
 */
async function undoFor(data: ChangeData | undefined): Promise<BoundUndo | undefined> {
  switch (data?.kind) {
    case "json-keys":
      return bind((await import("./json-keys.ts")).jsonKeysUndo, data);
    case "toml-keys":
      return bind((await import("./toml-keys.ts")).tomlUndo, data);
    case "shell-block":
      return bind(blockUndo, data);
    default:
      return undefined;
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface PlannedFile {
  edit: FileEdit;
  /** The file actually written (symlink target). */
  target: string;
  /** Current content, null when absent. */
  before: string | null;
  after: string;
  data: FileChangeData;
  /** The content to restore on undo (the original, or the original minus an earlier headroom edit). */
  original: Uint8Array | null;
  existed: boolean;
  /** Set when the change is made through the tool's CLI instead of a file write. */
  commands?: string[][];
}

/** records.json in a state folder: the change records of earlier runs, as a JSON array. */
const RecordsFileSchema = v.array(ChangeRecordSchema);

/**
 * Records of earlier runs kept next to the backups, so re-applying starts from the original.
 * A missing file, or one that is not a JSON array of change records, holds none.
 */
function priorRecords(stateDir: string): ChangeRecord[] {
  const raw = readIfExists(join(stateDir, "records.json"));
  if (!raw) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    return [];
  }
  const parsed = v.safeParse(RecordsFileSchema, json);
  return parsed.success ? parsed.output : [];
}

function writePriorRecords(stateDir: string, records: ChangeRecord[]): void {
  ensureDir(stateDir);
  atomicWrite(join(stateDir, "records.json"), JSON.stringify(records, null, 2) + "\n", { mode: PRIVATE_FILE, forceMode: true });
}

/** Reads and computes one edit. Throws (naming the path) when the file cannot be used. */
export async function planFile(edit: FileEdit, stateDir: string | null): Promise<PlannedFile> {
  const target = resolveSymlinkTarget(edit.path);
  let raw: Buffer | null;
  try {
    raw = readIfExists(target);
  } catch (err) {
    // A tool's config folder variable (CODEX_HOME...) naming a file, a folder in the file's place.
    const why = explainPathError(err, target);
    if (why) throw why;
    throw new HeadroomError(`Cannot read ${target}: ${errorMessage(err)}; headroom changed nothing.`);
  }
  const before = raw === null ? null : raw.toString("utf8");
  const prior = stateDir ? priorRecords(stateDir).find((r) => r.path === target && r.adapter === edit.adapter) : undefined;
  let original: Uint8Array | null = raw;
  let existed = raw !== null;
  let base = before;
  let carriedDirs: string[] | undefined;
  if (prior && before !== null) {
    if (sha256(raw!) === prior.appliedSha256) {
      carriedDirs = fileChangeData(prior)?.createdDirs;
      original = prior.backup ? readIfExists(prior.backup) : null;
      existed = prior.existed;
      if (prior.existed && original === null) {
        throw new HeadroomError(`The backup of ${target} (${prior.backup}) is missing; restore the file by hand or remove the profile folder.`);
      }
      base = original === null ? null : Buffer.from(original).toString("utf8");
    } else {
      const undo = await undoFor(prior.data);
      if (undo) {
        base = undo.strip(before, target);
        original = Buffer.from(base, "utf8");
      }
    }
  }
  const { after, data } = edit.compute(base);
  const full: FileChangeData = { ...data, configuredPath: edit.path };
  if (raw === null) {
    // Folders the write will create, so that undoing a created file leaves no empty folder behind.
    const created: string[] = [];
    for (let d = dirname(target); !existsSync(d) && dirname(d) !== d; d = dirname(d)) created.push(d);
    if (created.length > 0) full.createdDirs = created;
  } else if (!existed && carriedDirs) {
    full.createdDirs = carriedDirs;
  }
  const planned: PlannedFile = { edit, target, before, after, data: full, original, existed };
  if (edit.commands && base === before) {
    planned.commands = edit.commands(full);
    if (edit.revertCommands) full.revertCommands = edit.revertCommands(full);
    if (edit.commandEnv) full.commandEnv = edit.commandEnv;
  }
  return planned;
}

function backupPath(stateDir: string, p: PlannedFile): string {
  return join(stateDir, "backups", `${p.edit.adapter}-${basename(p.target)}-${sha256(p.target).slice(0, 12)}.orig`);
}

/**
 * Writes the planned files one by one. `persist` gets the records so far before each file
 * is replaced (including the record of the file about to be written, its backup saved)
 * and once more at the end.
 */
export async function applyPlannedFiles(
  planned: PlannedFile[],
  stateDir: string,
  persist: (records: ChangeRecord[]) => Promise<void>,
  carried: ChangeRecord[] = [],
  runner: CommandRunner = runCommand,
  env: Env = process.env,
): Promise<ChangeRecord[]> {
  const records: ChangeRecord[] = [];
  const others = priorRecords(stateDir).filter((r) => !planned.some((p) => p.target === r.path && p.edit.adapter === r.adapter));
  for (const p of planned) {
    const record: ChangeRecord = {
      adapter: p.edit.adapter,
      path: p.target,
      existed: p.existed,
      appliedSha256: sha256(Buffer.from(p.after, "utf8")),
      data: { ...p.data, stateDir },
    };
    if (p.existed && p.original !== null) {
      const bp = backupPath(stateDir, p);
      ensureDir(join(stateDir, "backups"));
      atomicWrite(bp, p.original, { mode: PRIVATE_FILE, forceMode: true });
      record.backup = bp;
    }
    if (p.commands) record.appliedSha256 = "pending";
    const all = [...carried, ...records, record];
    writePriorRecords(stateDir, [...others, ...records, record]);
    await persist(all);
    if (p.commands) {
      for (const argv of p.commands) {
        const r = await runner(argv, { timeoutMs: 60_000, env: { ...env, ...p.data.commandEnv } });
        if (r.code !== 0) {
          throw new HeadroomError(`\`${argv.join(" ")}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}`);
        }
      }
      const now = readIfExists(p.target);
      record.appliedSha256 = now === null ? "absent" : sha256(now);
    } else if (p.before !== p.after || !p.existed) {
      try {
        atomicWrite(p.edit.path, p.after, p.edit.dirMode === undefined ? {} : { dirMode: p.edit.dirMode });
      } catch (err) {
        throw new HeadroomError(`Cannot write ${p.target}: ${errorMessage(err)}`);
      }
    }
    records.push(record);
  }
  await persist([...carried, ...records]);
  return records;
}

function dropPrior(record: ChangeRecord): void {
  const stateDir = fileChangeData(record)?.stateDir;
  if (stateDir === undefined) return;
  const rest = priorRecords(stateDir).filter((r) => !(r.path === record.path && r.adapter === record.adapter));
  try {
    writePriorRecords(stateDir, rest);
  } catch {
    // The state folder may be gone already; nothing left to forget.
  }
}

/** Deletes a file headroom created, and the folders it created for it when they are empty. */
function removeCreated(record: ChangeRecord): void {
  rmSync(record.path, { force: true });
  const dirs = fileChangeData(record)?.createdDirs ?? [];
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      break; // not empty (the user put something there), or already gone
    }
  }
}

/** Undoes one recorded file edit. Returns what was done, or throws with a sentence. */
export async function revertFileRecord(record: ChangeRecord, runner: CommandRunner = runCommand): Promise<"restored" | "stripped" | "unchanged"> {
  const raw = readIfExists(record.path);
  let result: "restored" | "stripped" | "unchanged" = "unchanged";
  if (raw === null) {
    // The user deleted the file since; nothing of headroom's is left in it.
  } else if (sha256(raw) === record.appliedSha256 || record.appliedSha256 === "pending") {
    // Unchanged since apply, or a CLI-made change that never completed: all of it is headroom's.
    if (record.existed) {
      const backup = record.backup ? readIfExists(record.backup) : null;
      if (backup === null) throw new HeadroomError(`Cannot restore ${record.path}: its backup ${record.backup ?? "(none)"} is missing.`);
      atomicWrite(record.path, backup);
    } else {
      removeCreated(record);
    }
    result = "restored";
  } else {
    const backup = record.backup ? readIfExists(record.backup) : null;
    if (backup !== null && Buffer.compare(Buffer.from(backup), raw) === 0) {
      // Never written (a crash before the write) or already put back by the user.
    } else {
      const data = fileChangeData(record);
      const cmds = data?.revertCommands;
      if (cmds && cmds.length > 0 && cmds[0]![0] && (await cliAvailable(cmds[0]![0], runner))) {
        for (const argv of cmds) {
          const r = await runner(argv, { timeoutMs: 60_000, env: { ...process.env, ...data?.commandEnv } });
          if (r.code !== 0) throw new HeadroomError(`Cannot revert ${record.path}: \`${argv.join(" ")}\` failed (exit ${r.code}).`);
        }
        dropPrior(record);
        return "stripped";
      }
      const undo = await undoFor(data);
      if (!undo) throw new HeadroomError(`Cannot revert ${record.path}: unknown change kind "${record.adapter}".`);
      const text = raw.toString("utf8");
      let stripped: string;
      try {
        stripped = undo.strip(text, record.path);
      } catch (err) {
        throw new HeadroomError(`Cannot revert ${record.path}: ${errorMessage(err)}`);
      }
      if (!record.existed && (stripped.trim() === "" || stripped.replace(/\s/g, "") === "{}")) {
        removeCreated(record);
        result = "stripped";
      } else if (stripped !== text) {
        atomicWrite(record.path, stripped);
        result = "stripped";
      }
    }
  }
  dropPrior(record);
  return result;
}

async function cliAvailable(bin: string, _runner: CommandRunner): Promise<boolean> {
  return readIfExists(bin) !== null;
}

/** Lines describing managed edits the user reverted or changed since. */
export async function fileDrift(record: ChangeRecord): Promise<string[]> {
  const raw = readIfExists(record.path);
  if (raw === null) return [`${record.path}: the file was deleted since headroom changed it.`];
  if (sha256(raw) === record.appliedSha256) return [];
  const undo = await undoFor(record.data);
  if (!undo) return [];
  return undo.drift(raw.toString("utf8"), record.path);
}

export interface RevertResult {
  reverted: ChangeRecord[];
  failed: { record: ChangeRecord; error: string }[];
}

/** Runs `revertOne` on the records last first; each failure is reported and the rest still run. */
export async function revertEach(records: ChangeRecord[], revertOne: (record: ChangeRecord) => Promise<unknown>): Promise<RevertResult> {
  const reverted: ChangeRecord[] = [];
  const failed: RevertResult["failed"] = [];
  for (const record of [...records].reverse()) {
    try {
      await revertOne(record);
      reverted.push(record);
    } catch (err) {
      failed.push({ record, error: errorMessage(err) });
    }
  }
  return { reverted: reverted.reverse(), failed: failed.reverse() };
}

/** Reverts file records in reverse order; each failure is reported and the rest still run. */
export function revertFileRecords(records: ChangeRecord[], runner: CommandRunner = runCommand): Promise<RevertResult> {
  return revertEach(records, (record) => revertFileRecord(record, runner));
}
