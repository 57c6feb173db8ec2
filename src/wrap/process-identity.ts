// Who a pid is: the pid plus its start time, so that a pid the kernel has handed to a
// new process since is not mistaken for the one we recorded.
import { readFileSync } from "node:fs";
import { isPidAlive } from "../host/fs.ts";

export interface ProcessIdentity {
  pid: number;
  /** Opaque start time: clock ticks since boot on Linux, `ps -o lstart` elsewhere; null when unknown. */
  startTime: string | null;
}

/**
 * The process's start time. Linux: field 22 of /proc/<pid>/stat (the fields after the
 * command name, which may itself hold spaces and parentheses, are counted from the last ')').
 */
export function processStartTime(pid: number): string | null {
  if (process.platform === "linux") return linuxStat(pid)?.startTime ?? null;
  if (process.platform === "win32") return null;
  try {
    const r = Bun.spawnSync(["ps", "-o", "lstart=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore" });
    const out = r.stdout.toString().trim();
    return r.exitCode === 0 && out ? out : null;
  } catch {
    return null;
  }
}

function linuxStat(pid: number): { state: string; startTime: string | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state); field 22 is rest[19].
    return { state: rest[0] ?? "", startTime: rest[19] ?? null };
  } catch {
    return null;
  }
}

export function identify(pid: number): ProcessIdentity {
  return { pid, startTime: processStartTime(pid) };
}

/** True when the recorded process is still running (same pid, same start time when both are known). */
export function isSameProcessAlive(id: ProcessIdentity): boolean {
  if (!isPidAlive(id.pid)) return false;
  if (process.platform === "linux") {
    const stat = linuxStat(id.pid);
    if (!stat || stat.state === "Z" || stat.state === "X") return false;
    return id.startTime === null || stat.startTime === id.startTime;
  }
  if (id.startTime === null) return true;
  const now = processStartTime(id.pid);
  return now === null || now === id.startTime;
}
