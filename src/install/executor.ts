// Carries out a plan (files with content, commands as argv) and records what it did so
// it can be undone. Dry-run is the same plan printed instead of executed (see dry-run.ts).
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { HeadroomError } from "../errors.ts";
import type { CommandRunner, RunOptions } from "../host/exec.ts";
import { atomicWrite, ensureDir, readIfExists } from "../host/fs.ts";
import type { RenderedFile } from "./supervisors/types.ts";

/** One file the executor wrote, with what is needed to put it back. */
export interface FileChange {
  path: string;
  existed: boolean;
  /** Previous bytes (base64) when the file existed and differed. */
  previous?: string;
}

export function writePlanFiles(files: RenderedFile[]): FileChange[] {
  const changes: FileChange[] = [];
  for (const f of files) {
    const before = readIfExists(f.path);
    const bytes = typeof f.content === "string" ? Buffer.from(f.content, "utf8") : Buffer.from(f.content);
    ensureDir(dirname(f.path), 0o755);
    if (before && before.equals(bytes)) {
      changes.push({ path: f.path, existed: true });
      continue;
    }
    atomicWrite(f.path, bytes, { mode: f.mode ?? 0o644, forceMode: true });
    changes.push({ path: f.path, existed: before !== null, previous: before ? before.toString("base64") : undefined });
  }
  return changes;
}

/** Removes the files headroom wrote (a file that existed before gets its old bytes back). Returns failures. */
export function undoFileChanges(changes: FileChange[], opts: { restorePrevious?: boolean } = {}): string[] {
  const failures: string[] = [];
  for (const c of [...changes].reverse()) {
    try {
      if (opts.restorePrevious && c.previous !== undefined) atomicWrite(c.path, Buffer.from(c.previous, "base64"));
      else rmSync(c.path, { force: true });
    } catch (err) {
      failures.push(`could not remove ${c.path}: ${(err as Error).message}`);
    }
  }
  return failures;
}

/** Runs one command; a non-zero exit is a HeadroomError quoting the command and its first error line. */
export async function runChecked(run: CommandRunner, argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, { timeoutMs: 30_000, ...opts });
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim()).split("\n")[0] || `exit code ${r.code}`;
    throw new HeadroomError(`\`${argv.join(" ")}\` failed: ${why}`);
  }
  return r.stdout;
}

export async function runPlanCommands(run: CommandRunner, commands: string[][], opts: RunOptions = {}): Promise<void> {
  for (const argv of commands) await runChecked(run, argv, opts);
}
