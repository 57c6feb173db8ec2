// Lifecycle of an installed deployment: start, stop, restart, remove, recover. Every
// action is a plan from the adapter the table chose, carried out by the one executor;
// nothing here asks which preset, runtime or platform it is.
import { HeadroomError, errorMessage } from "../errors.ts";
import type { Env } from "../host/env.ts";
import { waitFor, waitPortFree } from "../host/net.ts";
import { removeEmptyDirs } from "../host/path-check.ts";
import { type Bound, bind } from "./bound.ts";
import type { ContextOptions } from "./context.ts";
import { type ExecHooks, type Outcome, execute } from "./executor.ts";
import { isProfileServing, waitHealthy } from "./health.ts";
import { heldBy, proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import { ensureRuntime } from "./agent.ts";
import { isRunning } from "./pid.ts";
import { stopRuntimeProcess } from "./runtime-process.ts";
import type { Plan } from "./steps.ts";
import { mergeState, pausedOf } from "./supervisors/state.ts";
import { deleteProfileDir, saveManifest } from "./store.ts";
import { revertWiring } from "./wiring.ts";

export { type Bound, bind };

/**
 * The pid the supervisor says is the runtime (a unit's main pid; a watchdog's live pid
 * file), for the socket-owner proof of a runtime too old to answer the challenge.
 * undefined for a container (its pids are the engine's) or when unknown.
 */
export async function supervisorPid(m: Manifest, env: Env = process.env): Promise<number | undefined> {
  const b = await bind(m, env);
  return b.sup.runtimePid(b.ctx);
}

/** The hooks the executor uses for this deployment: the watchdog's start waits up to `timeoutMs`. */
export function hooksFor(b: Pick<Bound, "env">, timeoutMs = 30_000): ExecHooks {
  return { ensureRuntime: (ctx) => ensureRuntime(ctx.manifest, b.env, timeoutMs) };
}

/** Carries out a lifecycle plan; what it records (a pause, say) is saved in the manifest. */
export async function carryOut(b: Bound, plan: Plan, timeoutMs = 30_000): Promise<Outcome> {
  const out = await execute(plan, b.ctx, hooksFor(b, timeoutMs));
  if (Object.keys(out.record).length) {
    saveManifest({ ...b.m, supervisorState: mergeState(b.m.supervisorState, out.record), updatedAt: new Date().toISOString() }, b.env);
  }
  return out;
}

/** Refuses to start when something that is not this profile answers on its port. */
async function checkPortForStart(m: Manifest): Promise<void> {
  const p = await proveIdentity(m, { timeoutMs: 800 });
  if (p.probe.open && !p.proven) {
    throw new HeadroomError(`Port ${m.port} is held by ${heldBy(p, m)}, so the profile "${m.profile}" cannot start.`, `Stop it, or re-apply the profile with another --port.`);
  }
}

/** Starts the runtime through its supervisor (a watchdog's: `agent ensure`) and waits until healthy. */
export async function startDeployment(m: Manifest, env: Env = process.env, opts: ContextOptions = {}, timeoutMs = 30_000) {
  const b = await bind(m, env, opts);
  const serving = await isProfileServing(m);
  if (serving) {
    // Serving, but its schedule was paused: the schedule comes back.
    if (pausedOf(m.supervisorState)) await carryOut(b, await b.sup.start(b.ctx), timeoutMs);
    return serving;
  }
  await checkPortForStart(m);
  const failFast = await b.sup.failFast(b.ctx);
  await carryOut(b, await b.sup.start(b.ctx), timeoutMs);
  return waitHealthy(m, { env: b.env, timeoutMs, failFast });
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
  const present = await b.sup.presentRuntime(b.ctx);
  if (!present) return startDeployment(m, env, opts);
  // It may just be starting: give it a few seconds before calling it hung.
  const settled = await waitFor(() => isProfileServing(m), graceMs, 100);
  if (settled) return settled;
  return restartBound(b, present.pid);
}

/** Stops through the supervisor and returns once the port is free. */
export async function stopDeployment(m: Manifest, env: Env = process.env, opts: { pause?: boolean } & ContextOptions = {}): Promise<void> {
  const b = await bind(m, env, opts);
  await carryOut(b, await b.sup.stop(b.ctx, { pause: opts.pause }));
  if ((await proveIdentity(m, { timeoutMs: 500 })).proven) await stopRuntimeProcess(m, b.env);
  if (!(await waitPortFree(m.port))) {
    const q = await proveIdentity(m, { timeoutMs: 500 });
    throw new HeadroomError(`The profile "${m.profile}" was stopped, but port ${m.port} is still held by ${q.proven ? "its runtime" : heldBy(q, m)}.`);
  }
}

/** Waits for the old process to exit, then confirms a new healthy pid. */
export async function restartDeployment(m: Manifest, env: Env = process.env, opts: ContextOptions = {}) {
  const b = await bind(m, env, opts);
  const before = await proveIdentity(m, { timeoutMs: 800, expectedPid: () => b.sup.runtimePid(b.ctx) });
  // A container's /health pid is from its own namespace (usually 1): it says nothing about
  // which process is old or new, so only the supervisor's synchronous restart is relied on.
  const oldPid = before.proven && b.ctx.runtime.hostPid ? before.pid : undefined;
  if (before.probe.open && !before.proven) await checkPortForStart(m);
  return restartBound(b, oldPid);
}

/** Restarts through the supervisor; waits for `oldPid` to exit, then for a healthy runtime that is not it. */
async function restartBound(b: Bound, oldPid?: number) {
  const failFast = await b.sup.failFast(b.ctx);
  await carryOut(b, await b.sup.restart(b.ctx));
  if (oldPid) await waitFor(async () => !isRunning(oldPid), 20_000, 25);
  return waitHealthy(b.m, { env: b.env, notPid: oldPid, failFast });
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
    await execute(await b.sup.stop(b.ctx, {}), b.ctx, hooksFor(b));
  } catch (err) {
    stopError = errorMessage(err); // only a problem if the runtime is still there below
  }
  try {
    await execute(await b.sup.uninstall(b.ctx), b.ctx, hooksFor(b));
  } catch (err) {
    uninstalled = false;
    problems.push(`supervisor: ${errorMessage(err)}`);
  }
  if ((await proveIdentity(m, { timeoutMs: 500 })).proven) await stopRuntimeProcess(m, b.env);
  if (!(await waitPortFree(m.port, 5000)) && (await proveIdentity(m, { timeoutMs: 500 })).proven) {
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
