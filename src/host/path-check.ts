// Why a file cannot be read or written where headroom wants it, as one sentence: a file
// standing where a folder must be (HEADROOM_WORKSPACE_DIR or CODEX_HOME pointing at a
// file), a folder where the file must be (a manifest.json that is a directory), a
// read-only folder. Asked before anything is written, so a refusal changes nothing.
import { accessSync, constants, rmdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { HeadroomError } from "../errors.ts";

import type { Env } from "./env.ts";

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException)?.code;

/** ` ($NAME)` when a variable of `env` names exactly `path`, so the message says where it came from. */
function fromVariable(path: string, env: Env): string | undefined {
  for (const [name, value] of Object.entries(env)) {
    if (!value || !/^[A-Z][A-Z0-9_]*$/.test(name) || name === "PWD" || name === "OLDPWD") continue;
    try {
      if (resolve(value) === path) return name;
    } catch {}
  }
  return undefined;
}

function fileInTheWay(blocker: string, path: string, env: Env): HeadroomError {
  const variable = fromVariable(blocker, env);
  return new HeadroomError(
    `${blocker}${variable ? ` ($${variable})` : ""} is a file, not a folder, so ${path} cannot be used.`,
    variable ? `Point ${variable} at a folder (or unset it), or move that file away, and run the command again.` : "Move that file away, and run the command again.",
  );
}

function folderInTheWay(path: string): HeadroomError {
  return new HeadroomError(`${path} is a folder, not a file.`, "Move that folder away (or delete it if it is empty), and run the command again.");
}

function readOnly(dir: string, path: string): HeadroomError {
  return new HeadroomError(`${dir} is read-only, so ${path} cannot be written.`, "Make that folder writable for this user, and run the command again.");
}

/**
 * The folders writing the file `path` would create, deepest first; throws a
 * HeadroomError when the file cannot be written there: a folder in its place, a file
 * where one of its folders must be, or a nearest existing folder that is read-only.
 */
export function checkWritableFile(path: string, env: Env = process.env): string[] {
  const file = resolve(path);
  try {
    if (statSync(file).isDirectory()) throw folderInTheWay(file);
  } catch (err) {
    if (err instanceof HeadroomError) throw err;
    // ENOENT: not there yet; ENOTDIR: a file stands where a folder must be (found below).
  }
  const missing: string[] = [];
  for (let d = dirname(file); ; d = dirname(d)) {
    let st;
    try {
      st = statSync(d);
    } catch (err) {
      const code = errnoOf(err);
      if ((code === "ENOENT" || code === "ENOTDIR") && dirname(d) !== d) {
        missing.push(d);
        continue;
      }
      if (code === "EACCES") throw new HeadroomError(`${d} cannot be reached (permission denied), so ${file} cannot be written.`, "Run the command as the user who owns that folder.");
      throw err;
    }
    if (!st.isDirectory()) throw fileInTheWay(d, file, env);
    try {
      accessSync(d, constants.W_OK);
    } catch {
      throw readOnly(d, file);
    }
    return missing;
  }
}

/**
 * The sentence for an error met while reading `path` (EISDIR, ENOTDIR, EACCES...), or
 * null when the error is not about the path itself.
 */
export function explainPathError(err: unknown, path: string, env: Env = process.env): HeadroomError | null {
  const code = errnoOf(err);
  const file = resolve(path);
  if (code === "EISDIR") return folderInTheWay(file);
  if (code === "ENOTDIR") {
    for (let d = dirname(file); dirname(d) !== d; d = dirname(d)) {
      try {
        if (!statSync(d).isDirectory()) return fileInTheWay(d, file, env);
        break;
      } catch {}
    }
    return new HeadroomError(`A file stands where a folder of ${file} must be.`, "Move that file away, and run the command again.");
  }
  if (code === "EACCES" || code === "EPERM") return new HeadroomError(`${file} cannot be read (permission denied).`, "Run the command as the user who owns that file.");
  if (code === "ENAMETOOLONG") return new HeadroomError(`The path ${file.slice(0, 60)}... is too long for this file system.`, "Use a shorter name.");
  return null;
}

/** Removes the folders of `dirs` that are empty, deepest first; a folder with anything in it stays. */
export function removeEmptyDirs(dirs: readonly string[]): void {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      // not empty (something else lives there), or already gone
    }
  }
}
