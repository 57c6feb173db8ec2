// Is a deployment serving on its port, and waiting until it is (what answers is probed
// by src/host/port-probe.ts, shared with wrap).
import { readFileSync } from "node:fs";
import { HeadroomError } from "../errors.ts";
import { type PortProbe, probePort } from "../host/port-probe.ts";
import { runnerLogPath } from "../paths.ts";
import { isRunning } from "./pid.ts";
import { containerName } from "./supervisors/docker-argv.ts";

export { type PortProbe, probePort };

/** True when /readyz is ready and /health names this profile. */
export async function isProfileServing(profile: string, port: number, host = "127.0.0.1"): Promise<PortProbe | null> {
  const p = await probePort(port, host, 800);
  return p.ready && p.profile === profile ? p : null;
}

export interface WaitOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** The pid that was started: its exit ends the wait early. */
  pid?: number;
  /** A pid that must NOT be the one answering (restart waits for a new process). */
  notPid?: number;
  /** Checked every ~0.5 s; a string ends the wait with that reason (e.g. "the unit failed"). */
  failFast?: () => Promise<string | null>;
}

/** The last `n` lines of the profile's runner.log, for error messages. */
export function runnerLogTail(profile: string, env: Record<string, string | undefined>, n = 12): string {
  const path = runnerLogPath(profile, env);
  try {
    const text = readFileSync(path, "utf8");
    const lines = text.trimEnd().split("\n").slice(-n);
    return lines.length && lines[0] ? `Last lines of ${path}:\n${lines.map((l) => `  ${l}`).join("\n")}` : `${path} is empty.`;
  } catch {
    return `${path} does not exist.`;
  }
}

/** Polls at short intervals until /readyz answers and /health names the profile. */
export async function waitHealthy(
  m: { profile: string; port: number; host: string; workspaceDir: string; preset?: string },
  opts: WaitOptions = {},
): Promise<PortProbe> {
  const env = { ...(opts.env ?? process.env), HEADROOM_WORKSPACE_DIR: m.workspaceDir };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastCheck = Date.now();
  let last: PortProbe | null = null;
  let reason = `it did not answer within ${Math.round(timeoutMs / 1000)} s`;
  for (;;) {
    const p = await probePort(m.port, "127.0.0.1", 500);
    last = p;
    if (p.ready && p.profile === m.profile && (!opts.notPid || p.pid !== opts.notPid)) return p;
    if (opts.pid && !isRunning(opts.pid) && !(p.open && p.profile === m.profile)) {
      reason = "its process exited";
      break;
    }
    if (opts.failFast && Date.now() - lastCheck > 500) {
      lastCheck = Date.now();
      const why = await opts.failFast();
      if (why) {
        reason = why;
        break;
      }
    }
    if (Date.now() >= deadline) break;
    await Bun.sleep(20);
  }
  if (last?.open && last.profile !== m.profile) reason += `; port ${m.port} is held by ${last.description}`;
  // A persistent-docker container writes to the engine's log, not to runner.log.
  const hint = m.preset === "persistent-docker" ? `See the container's output with \`docker logs ${containerName(m.profile)}\`.` : runnerLogTail(m.profile, env);
  throw new HeadroomError(`The profile "${m.profile}" did not become healthy on port ${m.port}: ${reason}.`, hint);
}
