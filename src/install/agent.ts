// What supervisors execute. `agent run` serves the profile's proxy in this very process
// (no child), so when a supervisor kills it nothing keeps holding the port. `agent
// ensure` is the watchdog: healthy -> return; otherwise, under a non-blocking
// per-profile lock, start the runtime detached and wait until it is ready.
import { join } from "node:path";
import { HeadroomError } from "../errors.ts";
import { tryLock } from "../host/fs.ts";
import { profileDir, runnerLogPath } from "../paths.ts";
import { makeContext } from "./context.ts";
import { isProfileServing, waitHealthy } from "./health.ts";
import { ensureIdentityKey, heldBy, proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import { clearPidFile, consoleToFile, ensurePrivateLog, readPidFile, spawnDetached, stdoutIsJournal, trimLog, writePidFile } from "./runtime-process.ts";
import { loadManifest } from "./store.ts";

import type { Env } from "../host/env.ts";

/** The variables the runtime gets: the manifest's --env values and HEADROOM_DEPLOYMENT_*. */
export function deploymentEnv(m: Manifest): Record<string, string> {
  return {
    ...m.env,
    HEADROOM_WORKSPACE_DIR: m.workspaceDir,
    HEADROOM_DEPLOYMENT_PROFILE: m.profile,
    HEADROOM_DEPLOYMENT_PRESET: m.preset,
    HEADROOM_DEPLOYMENT_RUNTIME: m.runtime,
    HEADROOM_DEPLOYMENT_SUPERVISOR: m.supervisor,
    HEADROOM_DEPLOYMENT_SCOPE: m.scope,
  };
}

function withoutNames(env: Env, names: string[]): Env {
  const out = { ...env };
  for (const n of names) delete out[n];
  return out;
}

/** `agent run`: serves the proxy in this process until SIGTERM/SIGINT. */
export async function agentRun(profile: string, env: Env = process.env): Promise<void> {
  const m = loadManifest(profile, env);
  if (m.runtime === "docker") {
    throw new HeadroomError(`The profile "${profile}" uses the docker runtime; its supervisor runs the container, not \`agent run\`.`);
  }
  // Under systemd the output goes to the journal, which rotates it; otherwise to
  // runner.log, which headroom keeps bounded.
  const toJournal = stdoutIsJournal();
  Object.assign(process.env, deploymentEnv(m));
  if (!toJournal) {
    trimLog(runnerLogPath(profile, process.env));
    ensurePrivateLog(m, process.env);
  }
  // Task Scheduler gives the process no output of its own (a hidden console): its lines go to runner.log.
  if (m.os === "windows" && process.platform === "win32") consoleToFile(runnerLogPath(profile, process.env));
  // A profile applied by an older headroom has no secret yet: the runtime makes it.
  ensureIdentityKey(m);
  const { resolveProxyConfig } = await import("../proxy/config.ts");
  const config = resolveProxyConfig(
    {
      host: m.host,
      port: m.port,
      mode: m.proxy.mode,
      backend: m.proxy.backend,
      anthropicApiUrl: m.proxy.anthropicApiUrl,
      openaiApiUrl: m.proxy.openaiApiUrl,
      optimize: m.proxy.optimize,
      telemetry: m.proxy.telemetry,
      logLevel: m.proxy.logLevel,
    },
    process.env,
  );
  writePidFile(profile, process.pid, process.env);
  try {
    const { runProxyUntilSignal } = await import("./proxy-server.ts");
    await runProxyUntilSignal(config);
  } finally {
    if (readPidFile(profile, process.env) === process.pid) clearPidFile(profile, process.env);
  }
}

export type EnsureOutcome = "healthy" | "started" | "waited";

/**
 * `agent ensure`: returns at once when healthy; a concurrent ensure (lock held) starts
 * nothing and waits for the other one's runtime.
 */
export async function ensureRuntime(m: Manifest, env: Env = process.env, timeoutMs = 30_000): Promise<EnsureOutcome> {
  // Healthy means proven: a process that copies this profile's /health is not it.
  if (await isProfileServing(m)) return "healthy";
  const lockPath = join(profileDir(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir }), "start.lock");
  const lock = tryLock(lockPath);
  if (!lock) {
    await waitHealthy(m, { env, timeoutMs });
    return "waited";
  }
  try {
    const holder = await proveIdentity(m, { timeoutMs: 800 });
    if (holder.proven && holder.probe.ready) return "healthy";
    if (holder.proven) {
      // Its own runtime, still starting (or draining): wait for it rather than start a second one.
      await waitHealthy(m, { env, timeoutMs });
      return "waited";
    }
    if (holder.probe.open) {
      throw new HeadroomError(`Port ${m.port} is held by ${heldBy(holder, m)}, so the profile "${m.profile}" cannot start.`, `Stop it, or re-apply the profile with another --port.`);
    }
    ensureIdentityKey(m);
    // Without the --env values: `agent run` (and a container) read them from the manifest,
    // so they are not in the spawned process's initial environment either.
    const { HEADROOM_WORKSPACE_DIR: _w, ...fixed } = deploymentEnv({ ...m, env: {} });
    const runEnv = { ...withoutNames(env, Object.keys(m.env)), ...fixed, HEADROOM_WORKSPACE_DIR: m.workspaceDir };
    const ctx = makeContext(m, { env: runEnv });
    // A container whose `docker run` client was killed lives on and keeps the name, so
    // the new one would fail with "name already in use": remove it first (none is fine).
    const before = ctx.runtime.beforeStart?.(ctx);
    if (before) await ctx.run(before, { env: runEnv, timeoutMs: 30_000 }).catch(() => null);
    const pid = spawnDetached(ctx.runtime.argv(ctx), m.profile, runEnv);
    // The native runner records its own pid; any other runtime's process is recorded here.
    if (!ctx.runtime.hostPid) writePidFile(m.profile, pid, runEnv);
    await waitHealthy(m, { env, timeoutMs, pid });
    return "started";
  } finally {
    lock.release();
  }
}

export async function agentEnsure(profile: string, env: Env = process.env): Promise<EnsureOutcome> {
  const m = loadManifest(profile, env);
  trimLog(runnerLogPath(profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir }));
  return ensureRuntime(m, env);
}
