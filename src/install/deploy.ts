// Lifecycle of an installed deployment: start, stop, restart, remove, recover. Every
// action goes through the supervisor chosen once from the table; nothing here tests
// the platform.
import { HeadroomError, errorMessage } from "../errors.ts";
import { isPortOpen, waitFor } from "../host/net.ts";
import { removeEmptyDirs } from "../host/path-check.ts";
import { type Bound, bind } from "./bound.ts";
import type { ContextOptions } from "./context.ts";
import { isProfileServing, waitHealthy } from "./health.ts";
import { heldBy, proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import { ensureRuntime } from "./agent.ts";
import { isRunning } from "./pid.ts";
import { readPidFile, runtimePid, stopRuntimeProcess } from "./runtime-process.ts";
import { deleteProfileDir, saveManifest } from "./store.ts";
import type { Supervisor, SupervisorContext } from "./supervisors/types.ts";
import { containerName } from "./supervisors/docker-argv.ts";
import { revertWiring } from "./wiring.ts";

type Env = Record<string, string | undefined>;

export { type Bound, bind };

const isTask = (m: Manifest) => m.preset === "persistent-task";

export async function isDeploymentHealthy(m: Manifest): Promise<boolean> {
  return (await isProfileServing(m)) !== null;
}

/**
 * The pid the supervisor says is the runtime (a unit's main pid; the task preset's live
 * pid file), for the socket-owner proof of a runtime too old to answer the challenge.
 * undefined for the docker runtime (a container's pids are the engine's) or when unknown.
 */
export async function supervisorPid(m: Manifest, env: Env = process.env): Promise<number | undefined> {
  if (m.runtime === "docker") return undefined;
  const b = await bind(m, env);
  if (isTask(m)) {
    const pid = readPidFile(m.profile, b.env);
    return pid && isRunning(pid) ? pid : undefined;
  }
  return (await b.sup.status(b.ctx).catch(() => null))?.pid;
}

/**
 * A wait that gives up early when the supervisor reports the unit failed or restarting
 * again and again since `baseline` (NRestarts counts over the unit's whole life). For
 * persistent-docker the engine's own view counts: a container in the `restarting` state
 * (its process exited and the restart policy is about to run it again) or a climbing
 * RestartCount is a crash loop.
 */
export async function failFastFor(b: Pick<Bound, "m" | "sup" | "ctx">): Promise<() => Promise<string | null>> {
  const docker = b.m.preset === "persistent-docker";
  if (b.m.preset !== "persistent-service" && !docker) return async () => null;
  const baseline = (await b.sup.status(b.ctx).catch(() => null))?.restarts ?? 0;
  const container = containerName(b.m.profile);
  return async () => {
    try {
      const s = await b.sup.status(b.ctx);
      const n = (s.restarts ?? 0) - baseline;
      if (docker) {
        if (n >= 1) return `the container ${container} keeps crashing (${n} restart${n === 1 ? "" : "s"})`;
        if (/^restarting/.test(s.state)) return `the container ${container} keeps crashing (it exited and the engine is restarting it)`;
        return null;
      }
      if (/^failed/.test(s.state)) return `the ${s.kind} unit failed`;
      if (n >= 2) return `the ${s.kind} unit keeps crashing (${n} restarts)`;
    } catch {}
    return null;
  };
}

async function portFree(port: number, timeoutMs = 15_000): Promise<boolean> {
  return (await waitFor(async () => !(await isPortOpen(port, "127.0.0.1", 300)), timeoutMs, 25)) !== null;
}

/** Refuses to start when something that is not this profile answers on its port. */
async function checkPortForStart(m: Manifest): Promise<void> {
  const p = await proveIdentity(m, { timeoutMs: 800 });
  if (p.probe.open && !p.proven) {
    throw new HeadroomError(`Port ${m.port} is held by ${heldBy(p, m)}, so the profile "${m.profile}" cannot start.`, `Stop it, or re-apply the profile with another --port.`);
  }
}

/** Starts the runtime through its supervisor (or `agent ensure` for the task preset) and waits until healthy. */
export async function startDeployment(m: Manifest, env: Env = process.env, opts: ContextOptions = {}, timeoutMs = 30_000) {
  const b = await bind(m, env, opts);
  const serving = await isProfileServing(m);
  if (serving) {
    if (isTask(m) && m.supervisorState?.paused) await resume(b);
    return serving;
  }
  await checkPortForStart(m);
  if (isTask(m)) {
    if (m.supervisorState?.paused) await resume(b);
    await ensureRuntime(m, b.env, timeoutMs);
    return waitHealthy(m, { env: b.env, timeoutMs });
  }
  const failFast = await failFastFor(b);
  await b.sup.start(b.ctx);
  return waitHealthy(m, { env: b.env, timeoutMs, failFast });
}

async function resume(b: Bound): Promise<void> {
  await b.sup.start(b.ctx);
  const next = { ...b.m, supervisorState: { ...b.m.supervisorState, paused: false }, updatedAt: new Date().toISOString() };
  saveManifest(next, b.env);
}

/**
 * The runtime a deployment has even though it is not healthy, with its pid when that
 * means something on this host: the unit or container the supervisor reports running,
 * or (task preset) the live pid of the pid file. null when nothing runs.
 */
async function presentRuntime(b: Bound): Promise<{ pid?: number } | null> {
  if (isTask(b.m)) {
    const pid = await runtimePid(b.m, b.env);
    return pid ? { pid } : null;
  }
  const s = await b.sup.status(b.ctx).catch(() => null);
  if (!s?.running) return null;
  // A container's pid is the engine's business; only a native main pid is waited on.
  return { pid: b.m.runtime === "docker" ? undefined : s.pid };
}

/**
 * wrap's seam: make an installed deployment healthy. Stopped -> started through its
 * supervisor. Running but not healthy (hung: the port is open but nothing answers, or
 * /health does not name the profile) for `graceMs` -> restarted through the supervisor,
 * because starting a unit that is already active does nothing.
 */
export async function recoverDeployment(m: Manifest, env: Env = process.env, opts: ContextOptions = {}, graceMs = 5_000) {
  const b = await bind(m, env, opts);
  const serving = await isProfileServing(m);
  if (serving) return serving;
  const present = await presentRuntime(b);
  if (!present) return startDeployment(m, env, opts);
  // It may just be starting: give it a few seconds before calling it hung.
  const settled = await waitFor(() => isProfileServing(m), graceMs, 100);
  if (settled) return settled;
  return restartBound(b, present.pid);
}

/** Stops through the supervisor and returns once the port is free. */
export async function stopDeployment(m: Manifest, env: Env = process.env, opts: { pause?: boolean } & ContextOptions = {}): Promise<void> {
  const b = await bind(m, env, opts);
  await b.sup.stop(b.ctx, { pause: opts.pause });
  if (opts.pause && isTask(m)) {
    saveManifest({ ...m, supervisorState: { ...m.supervisorState, paused: true }, updatedAt: new Date().toISOString() }, b.env);
  }
  if ((await proveIdentity(m, { timeoutMs: 500 })).proven) await stopRuntimeProcess(m, b.env);
  if (!(await portFree(m.port))) {
    const q = await proveIdentity(m, { timeoutMs: 500 });
    throw new HeadroomError(`The profile "${m.profile}" was stopped, but port ${m.port} is still held by ${q.proven ? "its runtime" : heldBy(q, m)}.`);
  }
}

/** Waits for the old process to exit, then confirms a new healthy pid. */
export async function restartDeployment(m: Manifest, env: Env = process.env, opts: ContextOptions = {}) {
  const b = await bind(m, env, opts);
  const before = await proveIdentity(m, { timeoutMs: 800, expectedPid: () => supervisorPid(m, env) });
  // A container's /health pid is from its own namespace (usually 1): it says nothing about
  // which process is old or new, so only the supervisor's synchronous restart is relied on.
  const oldPid = before.proven && m.runtime !== "docker" ? before.pid : undefined;
  if (before.probe.open && !before.proven) await checkPortForStart(m);
  return restartBound(b, oldPid);
}

/** Restarts through the supervisor; waits for `oldPid` to exit, then for a healthy runtime that is not it. */
async function restartBound(b: Bound, oldPid?: number) {
  const { m } = b;
  const failFast = await failFastFor(b);
  await b.sup.restart(b.ctx);
  if (oldPid) {
    await waitFor(async () => !isRunning(oldPid), 20_000, 25);
  }
  if (isTask(m)) await ensureRuntime(m, b.env);
  return waitHealthy(m, { env: b.env, notPid: oldPid, failFast });
}

export interface RemoveResult {
  removed: boolean;
  problems: string[];
}

/**
 * Stops, uninstalls the supervisor, reverts every recorded change, deletes the profile
 * folder. Each failing step is reported and the rest still run; the folder (with the
 * manifest of what is left) is kept when anything could not be reverted.
 */
export async function removeDeployment(m: Manifest, env: Env = process.env, opts: ContextOptions = {}): Promise<RemoveResult> {
  const b = await bind(m, env, opts);
  const problems: string[] = [];
  let uninstalled = true;
  let stopError: string | null = null;
  try {
    await b.sup.stop(b.ctx, {});
  } catch (err) {
    stopError = errorMessage(err); // only a problem if the runtime is still there below
  }
  try {
    await b.sup.uninstall(b.ctx);
  } catch (err) {
    uninstalled = false;
    problems.push(`supervisor: ${errorMessage(err)}`);
  }
  if ((await proveIdentity(m, { timeoutMs: 500 })).proven) await stopRuntimeProcess(m, b.env);
  if (!(await portFree(m.port, 5000)) && (await proveIdentity(m, { timeoutMs: 500 })).proven) {
    problems.push(`port ${m.port} is still served by this profile${stopError ? ` (stop: ${stopError})` : ""}`);
  }
  const { failed } = await revertWiring(m.changes);
  for (const f of failed) problems.push(`${f.record.path}: ${f.error}`);
  if (failed.length === 0 && uninstalled) {
    deleteProfileDir(m.profile, b.env);
    // The folders apply created for the profile and its units, when nothing else lives there.
    removeEmptyDirs(m.createdDirs ?? []);
    return { removed: true, problems };
  }
  const remaining = { ...m, changes: failed.map((f) => f.record), updatedAt: new Date().toISOString() };
  try {
    saveManifest(remaining, b.env);
  } catch (err) {
    problems.push(`manifest: ${errorMessage(err)}`);
  }
  return { removed: false, problems };
}
