// Filesystem side effects: atomic writes, private folders, lock files.
import {
  chmodSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync,
  readlinkSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeSync,
} from "node:fs";
import { chmod, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve, win32 } from "node:path";

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** mkdir -p with a mode for the folders it creates. */
export function ensureDir(path: string, mode = PRIVATE_DIR): void {
  mkdirSync(path, { recursive: true, mode });
}

export function readIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Follows a chain of symlinks to the final target path, even when the target does not exist yet. */
export function resolveSymlinkTarget(path: string): string {
  // A Windows path in a plan rendered on another OS (a dry run with --os windows): there is
  // no such file here to follow, and resolving it against this folder would make it a
  // path under the current directory.
  if (process.platform !== "win32" && /^[A-Za-z]:[\\/]/.test(path)) return win32.normalize(path);
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = lstatSync(current);
    } catch {
      return current;
    }
    if (!st.isSymbolicLink()) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  return realpathSync(path);
}

export interface AtomicWriteOptions {
  /** Mode for a new file; an existing file keeps its own mode. */
  mode?: number;
  /** Force this mode even when the file exists. */
  forceMode?: boolean;
  /** Mode of the folders created for the file (default 0700), set exactly (not filtered by the umask). */
  dirMode?: number;
}

/**
 * Writes a file atomically: temporary file in the same folder, fsync, rename, fsync of
 * the folder. A symlink is followed so the link stays a link. An existing file keeps
 * its mode.
 */
export function atomicWrite(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const { target, dir, mode, tmp } = prepareAtomicWrite(path, opts);
  const fd = openSync(tmp, "w", mode);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // openSync's mode is filtered by the umask; set it exactly.
    chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dir, "r");
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic.
  }
}

/**
 * atomicWrite for a writer that must not hold up the event loop (the proxy's savings
 * ledger, written while requests are served): the same steps, with the write, the fsyncs
 * and the rename asynchronous.
 */
export async function atomicWriteAsync(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const { target, dir, mode, tmp } = prepareAtomicWrite(path, opts);
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, mode);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  try {
    const dh = await open(dir, "r");
    try { await dh.sync(); } finally { await dh.close(); }
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic.
  }
}

/** The target (symlinks followed), its folder (created), the file's mode and the temporary file's name. */
function prepareAtomicWrite(path: string, opts: AtomicWriteOptions): { target: string; dir: string; mode: number; tmp: string } {
  const target = resolveSymlinkTarget(path);
  const dir = dirname(target);
  if (opts.dirMode === undefined) mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  else {
    const missing: string[] = [];
    for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
    for (const d of missing) {
      mkdirSync(d, { mode: opts.dirMode });
      chmodSync(d, opts.dirMode);
    }
  }
  let mode = opts.mode ?? 0o644;
  if (!opts.forceMode && existsSync(target)) mode = statSync(target).mode & 0o7777;
  const tmp = join(dir, `.${basename(target)}.headroom-${process.pid}-${Date.now()}.tmp`);
  return { target, dir, mode, tmp };
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface Lock {
  release(): void;
}

/**
 * Non-blocking exclusive lock: a file created with O_EXCL holding the owner's pid.
 * A lock whose owner is dead is taken over. Returns null when another live process
 * holds it.
 */
export function tryLock(path: string): Lock | null {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", PRIVATE_FILE);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number.parseInt(readIfExists(path)?.toString("utf8").trim() ?? "", 10);
      if (isPidAlive(owner)) return null;
      // A stale lock (owner gone, or a half-written file older than a second).
      try {
        const age = Date.now() - statSync(path).mtimeMs;
        if (!Number.isNaN(owner) || age > 1000) unlinkSync(path);
        else return null;
      } catch {
        // raced with another taker; try again
      }
    }
  }
  return null;
}

/** Waits for a lock, polling, up to timeoutMs. */
export async function acquireLock(path: string, timeoutMs: number): Promise<Lock | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lock = tryLock(path);
    if (lock || Date.now() >= deadline) return lock;
    await Bun.sleep(25);
  }
}
