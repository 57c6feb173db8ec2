// The executable path a supervisor runs (SPEC 4.2): it must survive upgrades, so a
// `headroom` on PATH that resolves to the running executable (a Homebrew or
// ~/.local/bin symlink) wins over the versioned real path. HEADROOM_BIN overrides.
import { existsSync, realpathSync } from "node:fs";
import { basename, isAbsolute, posix, resolve, win32 } from "node:path";
import { HeadroomError } from "../errors.ts";

import type { Env } from "../host/env.ts";

function real(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** True when the running process is the bun runtime (running from source), not a compiled headroom. */
export function runningFromSource(execPath = process.execPath): boolean {
  return /^bun(\.exe)?$/i.test(basename(execPath));
}

/**
 * The stable binary path. Throws when running from source without HEADROOM_BIN, because
 * a supervisor cannot run `bun src/main.ts` reliably.
 */
export function stableBinPath(env: Env = process.env, execPath = process.execPath): string {
  const override = env.HEADROOM_BIN;
  if (override) {
    const abs = isAbsolute(override) ? override : resolve(override);
    if (!existsSync(abs)) throw new HeadroomError(`HEADROOM_BIN points to ${abs}, which does not exist.`);
    return abs;
  }
  if (runningFromSource(execPath)) {
    throw new HeadroomError(
      "A persistent deployment needs the compiled headroom executable, but this is running from source under bun; set HEADROOM_BIN to a compiled headroom binary.",
      "Build one with `bun scripts/build.ts` (dist/headroom) and run that, or point HEADROOM_BIN at it.",
    );
  }
  const self = real(execPath) ?? execPath;
  const onPath = Bun.which("headroom", { PATH: env.PATH ?? "" });
  if (onPath && real(onPath) === self) return isAbsolute(onPath) ? onPath : resolve(onPath);
  return execPath;
}

/**
 * The executable path a deployment on `os` would record, for a dry run rendered on another
 * OS (running `stableBinPath` there would give this host's path): where the installers
 * put headroom for the user of `home`, %LOCALAPPDATA%\headroom\bin\headroom.exe
 * (scripts/install.ps1) on Windows and ~/.local/bin/headroom (scripts/install.sh)
 * elsewhere.
 */
export function previewBinPath(os: "linux" | "darwin" | "windows", env: Env): string {
  if (os === "windows") {
    const local = env.LOCALAPPDATA || win32.join(env.USERPROFILE || "C:\\Users\\user", "AppData", "Local");
    return win32.join(local, "headroom", "bin", "headroom.exe");
  }
  return posix.join(env.HOME || "/", ".local", "bin", "headroom");
}
