// `install apply`: validate everything and refuse before changing anything; then stop
// the old deployment (never two runtimes on one port), apply the wiring (write-ahead in
// the manifest), install the supervisor, start, and wait until /readyz answers and
// /health names this profile. A failure puts the previous deployment back, running.
import { existsSync } from "node:fs";
import { sep } from "node:path";
import type { ChangeRecord } from "../edits/record.ts";
import { HeadroomError, errorMessage } from "../errors.ts";
import type { Env } from "../host/env.ts";
import type { CommandRunner } from "../host/exec.ts";
import { waitPortFree } from "../host/net.ts";
import { type OsName, hostOs } from "../host/platform.ts";
import { checkWritableFile, removeEmptyDirs } from "../host/path-check.ts";
import { manifestPath, profileDir } from "../paths.ts";
import { makeContext } from "./context.ts";
import { type Bound, bind, hooksFor, supervisorPid } from "./deploy.ts";
import { execute } from "./executor.ts";
import { type PortProbe, waitHealthy } from "./health.ts";
import { ensureIdentityKey, heldBy, proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";
import { ensurePrivateLog, stopRuntimeProcess } from "./runtime-process.ts";
import { writesOf } from "./steps.ts";
import { CorruptManifestError, deleteProfileDir, listManifests, saveManifest, tryLoadManifest } from "./store.ts";
import { type SupervisorState, keepingLinger, lingerIsOurs, mergeState } from "./supervisors/state.ts";
import type { Supervisor, SupervisorContext } from "./supervisors/types.ts";
import { adapterFor } from "./table.ts";
import { type WiringPlan, type WiringRequest, applyWiring, planWiring, revertWiring } from "./wiring.ts";

/** An apply checked and planned, before anything changed. */
export interface PreparedApply {
  manifest: Manifest;
  old: Manifest | null;
  sup: Supervisor;
  ctx: SupervisorContext;
  wiringReq: WiringRequest;
  wiring: WiringPlan;
  warnings: string[];
  env: Env;
  /** Folders writing the profile and its supervisor files creates (absent now), deepest first. */
  newDirs: string[];
  /** What the saved manifest records as created by headroom (newDirs and those it inherits). */
  createdDirs: string[];
}

export function wiringRequest(m: Manifest, ctx: SupervisorContext, env: Env): WiringRequest {
  return {
    scope: m.scope,
    providers: m.providers,
    targets: m.targets,
    port: m.port,
    host: m.host,
    os: ctx.os,
    home: ctx.home,
    env,
    profileDir: profileDir(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir }),
    isRoot: ctx.isRoot,
  };
}

const sameWiring = (a: Manifest, b: Manifest) =>
  a.scope === b.scope && a.port === b.port && a.host === b.host && a.providers === b.providers && JSON.stringify(a.targets) === JSON.stringify(b.targets);

/** Every check that must pass before anything is changed. Throws HeadroomError/UsageError. */
export async function prepareApply(draft: Manifest, env: Env, opts: { force?: boolean; dryRun?: boolean; run?: CommandRunner } = {}): Promise<PreparedApply> {
  const warnings: string[] = [];
  let old: Manifest | null = null;
  try {
    old = tryLoadManifest(draft.profile, env);
  } catch (err) {
    if (!(err instanceof CorruptManifestError) || !opts.force) throw err;
    warnings.push(`Replacing the unreadable manifest ${err.path} (${err.reason}); changes it recorded cannot be reverted.`);
  }
  const other = listManifests(env).find((m) => m.port === draft.port && m.profile !== draft.profile);
  if (other) {
    throw new HeadroomError(`Port ${draft.port} is already configured for the profile "${other.profile}".`, `Choose another --port, or remove that profile with \`headroom install remove --profile ${other.profile}\`.`);
  }
  // A dry run for another OS renders only; this machine's port says nothing about that one.
  if (!opts.dryRun || draft.os === hostOs()) {
    // Only this profile's own runtime may hold the port, and only if it proves it: a
    // process that copies its /health (or relays to it) is refused before anything is written.
    const holder = await proveIdentity(draft, { timeoutMs: 800, expectedPid: old ? () => supervisorPid(old!, env) : undefined });
    if (holder.probe.open && !holder.proven && !(old && holder.claims && holder.answered === false && (await olderContainer(old, env)))) {
      throw new HeadroomError(
        `Port ${draft.port} is held by ${heldBy(holder, draft)}.`,
        holder.claims && old
          ? `Stop whatever holds port ${draft.port} (\`headroom install restart --profile ${draft.profile}\` if it is this profile's runtime from an older headroom), or choose another port with --port.`
          : `Stop it first, or choose another port with --port.`,
      );
    }
  }
  const base = makeContext(draft, { env, os: draft.os as OsName, run: opts.run });
  // A dry run for another OS asks this host nothing, not even which watchdog backend it has.
  const { adapter: sup, runtime } = await adapterFor({ ...draft, supervisorState: {} }, env, base.run);
  let ctx: SupervisorContext = { ...base, runtime };
  if (!opts.dryRun) await sup.preflight(ctx);
  // What this host's supervisor accepts and holds (systemd's restart back-off, lingering,
  // the crontab as it is), so that a dry run shows the steps apply runs. Another OS's
  // plan is rendered without asking.
  if (sup.hostFacts && draft.os === hostOs()) ctx = { ...ctx, facts: await sup.hostFacts(ctx) };
  const wiringReq = wiringRequest(draft, ctx, env);
  const wiring = await planWiring(wiringReq);
  const manifest: Manifest = {
    ...draft,
    targets: wiring.targets,
    createdAt: old?.createdAt ?? draft.createdAt,
  };
  const dirs = draft.os === hostOs() ? checkWritePaths(manifest, sup, { ...ctx, manifest }, wiring, old, env) : { newDirs: [], createdDirs: [] };
  return { manifest, old, sup, ctx: { ...ctx, manifest }, wiringReq, wiring, warnings, env, ...dirs };
}

/** `dir` is `path` or one of its folders. */
const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Before anything is written: every file apply writes (the manifest, the supervisor's
 * files, the tools' configs) can be written where it goes; a file in the way of a
 * folder, a folder in the place of a file or a read-only folder is refused now
 * (path-check.ts). Returns the folders the profile and its supervisor files would
 * create, and those the manifest records as headroom's: these, the ones this profile
 * recorded before, and those another profile recorded that this one's files are in
 * (the last profile removed takes them out).
 */
function checkWritePaths(m: Manifest, sup: Supervisor, ctx: SupervisorContext, wiring: WiringPlan, old: Manifest | null, env: Env): { newDirs: string[]; createdDirs: string[] } {
  const own = [manifestPath(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir }), ...writesOf(sup.install(ctx)).map((f) => f.path)];
  const created = new Set<string>();
  for (const path of own) for (const d of checkWritableFile(path, env)) created.add(d);
  for (const f of wiring.files) checkWritableFile(f.path, env);
  const newDirs = [...created].sort((a, b) => b.length - a.length);
  const recorded = [old, ...listManifests(env)].flatMap((o) => o?.createdDirs ?? []);
  for (const d of recorded) if (existsSync(d) && own.some((p) => within(p, d))) created.add(d);
  return { newDirs, createdDirs: [...created].sort((a, b) => b.length - a.length) };
}

/**
 * A container of this profile that the engine runs and publishes on its port, from an
 * image older than the identity challenge: the engine's own port binding says the port is
 * the container's (nothing else can bind it meanwhile), so re-applying may replace it.
 */
async function olderContainer(old: Manifest, env: Env): Promise<boolean> {
  try {
    const b = await bind(old, env);
    // Only a container's engine publishes the port; a host process answers the challenge or not.
    if (b.ctx.runtime.hostPid) return false;
    const s = await b.sup.status(b.ctx);
    const ports = s.details?.ports;
    const bound = ports && typeof ports === "object" ? (ports as Record<string, unknown>)[`${old.port}/tcp`] : undefined;
    return s.running && Array.isArray(bound) && bound.includes(`${old.host}:${old.port}`);
  } catch {
    return false;
  }
}

export interface ApplyResult {
  manifest: Manifest;
  health: PortProbe;
  warnings: string[];
  replaced: boolean;
}

/** Takes a deployment down and removes its supervisor, keeping linger and wiring as they are. */
async function takeDown(b: Bound, keepLinger = true): Promise<void> {
  const m = keepLinger ? { ...b.m, supervisorState: keepingLinger(b.m.supervisorState) } : b.m;
  const ctx = { ...b.ctx, manifest: m };
  await execute(await b.sup.uninstall(ctx), ctx, hooksFor(b)).catch(() => {});
  if ((await proveIdentity(b.m, { timeoutMs: 500 })).proven) await stopRuntimeProcess(b.m, b.env);
  await waitPortFree(b.m.port);
}

/** Installs the supervisor for `m`, starts it and waits until healthy. Returns the saved manifest. */
async function bringUp(m: Manifest, sup: Supervisor, ctx: SupervisorContext, env: Env, warnings: string[], timeoutMs: number, carry: SupervisorState = {}, hostChanged = true): Promise<{ manifest: Manifest; health: PortProbe }> {
  // When something was taken down since the host was asked (a crontab without the old
  // block), it is asked again, so the plan starts from what is there.
  const here = { ...ctx, manifest: m };
  const at = hostChanged && sup.hostFacts && ctx.os === hostOs() ? { ...here, facts: await sup.hostFacts(here) } : here;
  const failFast = await sup.failFast(at);
  // The runtime proves who it is with this secret; it exists before the runtime starts.
  ensureIdentityKey(m);
  ensurePrivateLog(m, env);
  const out = await execute(sup.install(at), at, hooksFor({ env }, timeoutMs));
  warnings.push(...out.warnings);
  const record = { ...out.record };
  // Lingering that headroom turned on for the previous install stays recorded as ours.
  if (lingerIsOurs(carry) && record.linger === "yes" && record.lingerEnabledByHeadroom === undefined) record.lingerEnabledByHeadroom = true;
  const saved: Manifest = { ...m, supervisorState: mergeState({}, record), updatedAt: new Date().toISOString() };
  saveManifest(saved, env);
  const health = await waitHealthy(saved, { env, timeoutMs, failFast });
  return { manifest: saved, health };
}

export async function executeApply(p: PreparedApply, timeoutMs = 30_000): Promise<ApplyResult> {
  const { env, warnings } = p;
  const oldBound = p.old ? await bind(p.old, env) : null;
  const keepWiring = p.old !== null && sameWiring(p.old, p.manifest);
  let records: ChangeRecord[] = keepWiring ? p.old!.changes : [];
  let m: Manifest = { ...p.manifest, changes: records, supervisorState: {}, ...(p.createdDirs.length ? { createdDirs: p.createdDirs } : {}) };

  // 1. Never two runtimes on one port: the old one goes down first.
  if (oldBound) await takeDown(oldBound, p.old!.scope === p.manifest.scope);

  try {
    // 2. Wiring (write-ahead: the manifest lists each change before the file is replaced).
    if (!keepWiring) {
      if (p.old) {
        const { failed } = await revertWiring(p.old.changes);
        if (failed.length) throw new HeadroomError(`Could not revert the previous wiring of ${failed.map((f) => f.record.path).join(", ")}: ${failed[0]!.error}`);
        records = [];
      }
      saveManifest(m, env);
      records = await applyWiring(p.wiringReq, async (recs) => {
        m = { ...m, changes: recs };
        saveManifest(m, env);
      });
      m = { ...m, changes: records };
    }
    saveManifest(m, env);
    // 3. Supervisor, start, wait.
    const carry: SupervisorState = p.old && p.old.scope === m.scope ? p.old.supervisorState : {};
    // prepareApply asked the host; only taking an old deployment down changes what it said.
    const up = await bringUp(m, p.sup, p.ctx, env, warnings, timeoutMs, carry, p.old !== null);
    return { manifest: up.manifest, health: up.health, warnings, replaced: p.old !== null };
  } catch (err) {
    const failure = err instanceof HeadroomError ? err : new HeadroomError(errorMessage(err));
    const notes = await rollback(p, m, keepWiring);
    const what = failure.message.replace(/\.$/, "");
    let tail: string;
    if (p.old) {
      tail = notes.length === 0
        ? ` The previous deployment of "${p.old.profile}" was restored and is healthy.`
        : ` Restoring the previous deployment was incomplete: ${notes.join("; ")}.`;
    } else {
      tail = notes.length === 0 ? " Nothing was left installed." : ` Cleaning up was incomplete: ${notes.join("; ")}.`;
    }
    throw new HeadroomError(`Applying the profile "${m.profile}" failed: ${what}.${tail}`, failure.hint);
  }
}

/** Undoes a failed apply and puts the previous deployment back. Returns what could not be restored. */
async function rollback(p: PreparedApply, m: Manifest, keptWiring: boolean): Promise<string[]> {
  const { env } = p;
  const restoreNotes: string[] = [];
  await takeDown({ m, sup: p.sup, ctx: { ...p.ctx, manifest: m }, env }).catch(() => {});
  let changes = p.old?.changes ?? [];
  if (!keptWiring) {
    const { failed } = await revertWiring(m.changes);
    if (failed.length) restoreNotes.push(`could not revert ${failed.map((f) => f.record.path).join(", ")}`);
    if (p.old) {
      try {
        const req = wiringRequest(p.old, (await bind(p.old, env)).ctx, env);
        let current = { ...p.old, changes: [] as ChangeRecord[] };
        changes = await applyWiring(req, async (recs) => {
          current = { ...current, changes: recs };
          saveManifest(current, env);
        });
      } catch (err) {
        restoreNotes.push(`could not re-apply the previous wiring: ${errorMessage(err)}`);
      }
    }
  }
  if (!p.old) {
    if (restoreNotes.length === 0) {
      deleteProfileDir(m.profile, env);
      removeEmptyDirs(p.newDirs);
    } else saveManifest({ ...m, supervisorState: {} }, env);
    return restoreNotes;
  }
  const old = { ...p.old, changes };
  const b = await bind(old, env);
  try {
    await bringUp(old, b.sup, b.ctx, env, [], 30_000, p.old.supervisorState);
  } catch (err) {
    restoreNotes.push(`the previous deployment could not be started again: ${errorMessage(err)}`);
    saveManifest(old, env);
  }
  return restoreNotes;
}
