// Whether a process is still running. A process that exited but was not reaped yet (a
// zombie: its parent, often init for a detached runtime, reaps it later) counts as gone,
// so stop and restart do not wait on the reaper.
import { readFileSync } from "node:fs";
import { isPidAlive } from "../host/fs.ts";

export function isRunning(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ..." — comm may contain spaces and parentheses; the state follows the last ")".
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true; // no /proc (macOS) or a race: trust kill(0)
  }
}
