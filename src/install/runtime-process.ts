// The runtime process of a deployment that no service manager tracks (the task preset):
// its pid file, starting it detached in its own session, and stopping it.
import { chmodSync, closeSync, ftruncateSync, openSync, readSync, rmSync, fstatSync, writeSync } from "node:fs";
import { join } from "node:path";
import { format } from "node:util";
import { atomicWrite, readIfExists } from "../host/fs.ts";
import { windowsDetachedSpawn } from "../host/windows-detach.ts";
import { waitFor, waitPortFree } from "../host/net.ts";
import { profileDir, runnerLogPath } from "../paths.ts";
import { proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import { isRunning } from "./pid.ts";

import type { Env } from "../host/env.ts";

export function pidFilePath(profile: string, env: Env = process.env): string {
  return join(profileDir(profile, env), "runtime.pid");
}

export function writePidFile(profile: string, pid: number, env: Env = process.env): void {
  atomicWrite(pidFilePath(profile, env), `${pid}\n`, { mode: 0o600, forceMode: true });
}

export function readPidFile(profile: string, env: Env = process.env): number | null {
  const n = Number.parseInt(readIfExists(pidFilePath(profile, env))?.toString("utf8").trim() ?? "", 10);
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function clearPidFile(profile: string, env: Env = process.env): void {
  rmSync(pidFilePath(profile, env), { force: true });
}

/**
 * The Bun.spawn options of a detached runtime: its own session (setsid on POSIX; on
 * Windows DETACHED_PROCESS and no console window), stdin ignored, output to `logFd`.
 */
export function detachedSpawnOptions(argv: string[], env: Env, logFd: number) {
  return {
    ...windowsDetachedSpawn(argv).options,
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
    stdout: logFd,
    stderr: logFd,
  };
}

/**
 * runner.log exists and is private (0600) before a supervisor appends to it: systemd's
 * `append:` and cron's `>>` would otherwise create it 0644. Fixes an older 0644 one.
 */
export function ensurePrivateLog(m: Pick<Manifest, "profile" | "workspaceDir">, env: Env = process.env): void {
  const path = runnerLogPath(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir });
  try {
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
  } catch {
    // the profile folder is 0700 anyway
  }
}

/** Starts argv detached in its own session, output appended to runner.log. Returns its pid. */
export function spawnDetached(argv: string[], profile: string, env: Env = process.env): number {
  const log = openSync(runnerLogPath(profile, env), "a", 0o600);
  const proc = Bun.spawn(argv, detachedSpawnOptions(argv, env, log));
  proc.unref();
  closeSync(log);
  return proc.pid;
}

/** The pid of this deployment's runtime: /health when it names the profile, else the pid file. */
export async function runtimePid(m: Manifest, env: Env = process.env): Promise<number | null> {
  // A container reports a pid from its own namespace; only the pid file means anything then.
  // Only a pid the runtime proved is signalled: a forged /health could name any process.
  if (m.runtime !== "docker") {
    const p = await proveIdentity(m, { timeoutMs: 800 });
    if (p.proven && p.pid) return p.pid;
  }
  const pid = readPidFile(m.profile, env);
  return pid && isRunning(pid) ? pid : null;
}

/** SIGTERM (+SIGCONT), wait (bounded), SIGKILL; then waits until the port is free. */
export async function stopRuntimeProcess(m: Manifest, env: Env = process.env, timeoutMs = 15_000): Promise<boolean> {
  const pid = await runtimePid(m, env);
  if (pid) {
    try { process.kill(pid, "SIGTERM"); } catch {}
    // A stopped (hung) process only acts on SIGTERM once continued, as systemd does it.
    try { process.kill(pid, "SIGCONT"); } catch {}
    const gone = await waitFor(async () => !isRunning(pid), timeoutMs, 25);
    if (!gone) {
      try { process.kill(pid, "SIGKILL"); } catch {}
      await waitFor(async () => !isRunning(pid), 3000, 25);
    }
  }
  clearPidFile(m.profile, env);
  return waitPortFree(m.port, 5000);
}

/**
 * Keeps runner.log bounded: past `maxBytes`, only the last `keepBytes` stay. Done in
 * place (same inode), because systemd and cron hold it open for appending.
 */
export function trimLog(path: string, maxBytes = 5 * 1024 * 1024, keepBytes = 1024 * 1024): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= maxBytes) return false;
    const tail = Buffer.alloc(keepBytes);
    const n = readSync(fd, tail, 0, keepBytes, size - keepBytes);
    let start = tail.indexOf(10) + 1; // begin at a whole line
    if (start <= 0 || start >= n) start = 0;
    const note = Buffer.from(`[headroom: runner.log trimmed to its last ${Math.round((n - start) / 1024)} KiB]\n`);
    ftruncateSync(fd, 0);
    writeSync(fd, note, 0, note.length, 0);
    writeSync(fd, tail, start, n - start, note.length);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether this process's stdout is a journal stream: systemd sets JOURNAL_STREAM to the
 * stream's "device:inode", which a child that inherited the variable but not the stream
 * does not match.
 */
export function stdoutIsJournal(env: Env = process.env, fd = 1): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? "");
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

/**
 * Sends console.log/info/warn/error/debug of this process to `path` (appended, 0600), for
 * a supervisor that gives the runtime no output to write to (a Task Scheduler task runs
 * it with a hidden console). Returns the function that puts the console back.
 */
export function consoleToFile(path: string): () => void {
  const fd = openSync(path, "a", 0o600);
  const c = console as unknown as Record<string, (...a: unknown[]) => void>;
  const names = ["log", "info", "warn", "error", "debug"] as const;
  const saved = names.map((n) => c[n]!);
  for (const n of names) {
    c[n] = (...a: unknown[]) => {
      try {
        writeSync(fd, `${format(...a)}\n`);
      } catch {
        // a full disk must not stop the proxy
      }
    };
  }
  return () => {
    names.forEach((n, i) => (c[n] = saved[i]!));
    closeSync(fd);
  };
}
