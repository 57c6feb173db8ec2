// Is a deployment serving on its port, and waiting until it is (what answers is probed
// by src/host/port-probe.ts, shared with wrap).
import { readFileSync } from "node:fs";
import { HeadroomError } from "../errors.ts";
import { type PortProbe, probePort } from "../host/port-probe.ts";
import { runnerLogPath } from "../paths.ts";
import { isRunning } from "./pid.ts";
import { type IdentityProof, type ProveOptions, type Who, heldBy, proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import { containerName } from "./docker-argv.ts";

export { type PortProbe, probePort };

/**
 * The probe of the port when /readyz is ready and the process on it proves it is this
 * deployment (src/install/identity.ts), with the proven pid; else null.
 */
export async function isProfileServing(m: Who, opts: ProveOptions = {}): Promise<PortProbe | null> {
  const p = await proveIdentity(m, { timeoutMs: 800, ...opts });
  return p.proven && p.probe.ready ? { ...p.probe, pid: p.pid } : null;
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
  let last: IdentityProof | null = null;
  let reason = `it did not answer within ${Math.round(timeoutMs / 1000)} s`;
  for (;;) {
    const probe = await probePort(m.port, "127.0.0.1", 500);
    // The challenge only once something answers for this profile (a forgery included).
    const p: IdentityProof = probe.open && probe.profile === m.profile ? await proveIdentity(m, { probe, timeoutMs: 500 }) : { proven: false, probe, claims: false };
    last = p;
    if (p.proven && probe.ready && (!opts.notPid || p.pid !== opts.notPid)) return { ...probe, pid: p.pid };
    if (opts.pid && !isRunning(opts.pid) && !p.proven) {
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
  if (last?.probe.open && !last.proven) reason += `; port ${m.port} is held by ${heldBy(last, m)}`;
  // From wherever the supervisor keeps the log: the journal, the engine's log, runner.log.
  const hint = "os" in m ? (await import("./logs.ts")).logTailHint(m as Manifest, env) : m.preset === "persistent-docker" ? `See the container's output with \`docker logs ${containerName(m.profile)}\`.` : runnerLogTail(m.profile, env);
  throw new HeadroomError(`The profile "${m.profile}" did not become healthy on port ${m.port}: ${reason}.`, hint);
}
