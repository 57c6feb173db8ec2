// `install apply`: validate everything and refuse before changing anything; then stop
// the old deployment (never two runtimes on one port), apply the wiring (write-ahead in
// the manifest), install the supervisor, start, and wait until /readyz answers and
// /health names this profile. A failure puts the previous deployment back, running.
import { existsSync } from "node:fs";
import { sep } from "node:path";
import { HeadroomError, errorMessage } from "../errors.ts";
import { isPortOpen, waitFor } from "../host/net.ts";
import { type OsName, hostOs } from "../host/platform.ts";
import { checkWritableFile, removeEmptyDirs } from "../host/path-check.ts";
import { manifestPath, profileDir } from "../paths.ts";
import { ensureRuntime } from "./agent.ts";
import { makeContext } from "./context.ts";
import { type Bound, bind, failFastFor, supervisorPid } from "./deploy.ts";
import { type PortProbe, waitHealthy } from "./health.ts";
import { ensureIdentityKey, heldBy, proveIdentity } from "./identity.ts";
import type { ChangeRecord } from "../edits/record.ts";
import type { Manifest } from "./manifest.ts";
import { ensurePrivateLog, stopRuntimeProcess } from "./runtime-process.ts";
import { CorruptManifestError, deleteProfileDir, listManifests, saveManifest, tryLoadManifest } from "./store.ts";
import type { Supervisor, SupervisorContext } from "./supervisors/types.ts";
import { supervisorFor } from "./table.ts";
import { type WiringPlan, type WiringRequest, applyWiring, planWiring, revertWiring } from "./wiring.ts";

type Env = Record<string, string | undefined>;

export interface Prepared {
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
export async function prepareApply(draft: Manifest, env: Env, opts: { force?: boolean; dryRun?: boolean } = {}): Promise<Prepared> {
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
  const sup = await supervisorFor(draft.os as OsName, draft.preset, draft.scope, env);
  let ctx = makeContext(draft, { env, os: draft.os as OsName });
  if (!opts.dryRun) await sup.preflight(ctx);
  // What this host's supervisor accepts (e.g. systemd's restart back-off), so that a dry
  // run shows the bytes apply writes. Another OS's plan is rendered without asking.
  if (sup.hostFacts && draft.os === hostOs()) ctx = { ...ctx, ...(await sup.hostFacts(ctx)) };
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
  const own = [manifestPath(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir }), ...sup.render(ctx).files.map((f) => f.path)];
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
  if (old.runtime !== "docker") return false;
  try {
    const b = await bind(old, env);
    const s = await b.sup.status(b.ctx);
    const ports = (s.details?.ports ?? {}) as Record<string, string[]>;
    return s.running && (ports[`${old.port}/tcp`] ?? []).includes(`${old.host}:${old.port}`);
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

async function portFree(port: number): Promise<boolean> {
  return (await waitFor(async () => !(await isPortOpen(port, "127.0.0.1", 300)), 15_000, 20)) !== null;
}

/** Takes a deployment down and removes its supervisor, keeping linger and wiring as they are. */
async function takeDown(b: Bound, keepLinger = true): Promise<void> {
  const m = keepLinger ? { ...b.m, supervisorState: { ...b.m.supervisorState, lingerEnabledByHeadroom: false } } : b.m;
  const ctx = { ...b.ctx, manifest: m };
  await b.sup.uninstall(ctx).catch(() => {});
  if ((await proveIdentity(b.m, { timeoutMs: 500 })).proven) await stopRuntimeProcess(b.m, b.env);
  await portFree(b.m.port);
}

/** Installs the supervisor for `m`, starts it and waits until healthy. Returns the saved manifest. */
async function bringUp(m: Manifest, sup: Supervisor, ctx: SupervisorContext, env: Env, warnings: string[], timeoutMs: number, carry: Record<string, unknown> = {}): Promise<{ manifest: Manifest; health: PortProbe }> {
  const failFast = await failFastFor({ m, sup, ctx: { ...ctx, manifest: m } });
  // The runtime proves who it is with this secret; it exists before the runtime starts.
  ensureIdentityKey(m);
  ensurePrivateLog(m, env);
  const state = await sup.install({ ...ctx, manifest: m });
  const { warnings: w, ...rest } = state as Record<string, unknown> & { warnings?: string[] };
  if (Array.isArray(w)) warnings.push(...w);
  // Lingering that headroom turned on for the previous install stays recorded as ours.
  if (carry.lingerEnabledByHeadroom === true && rest.linger === "yes" && rest.lingerEnabledByHeadroom === undefined) rest.lingerEnabledByHeadroom = true;
  const saved: Manifest = { ...m, supervisorState: rest, updatedAt: new Date().toISOString() };
  saveManifest(saved, env);
  if (saved.preset === "persistent-task") await ensureRuntime(saved, env, timeoutMs);
  const health = await waitHealthy(saved, { env, timeoutMs, failFast });
  return { manifest: saved, health };
}

export async function executeApply(p: Prepared, timeoutMs = 30_000): Promise<ApplyResult> {
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
    const carry = p.old && p.old.scope === m.scope ? p.old.supervisorState ?? {} : {};
    const up = await bringUp(m, p.sup, p.ctx, env, warnings, timeoutMs, carry);
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
async function rollback(p: Prepared, m: Manifest, keptWiring: boolean): Promise<string[]> {
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
    await bringUp(old, b.sup, b.ctx, env, [], 30_000, p.old.supervisorState ?? {});
  } catch (err) {
    restoreNotes.push(`the previous deployment could not be started again: ${errorMessage(err)}`);
    saveManifest(old, env);
  }
  return restoreNotes;
}

/** apply = prepare (refuse early, see prepareApply) + execute. */
export const applyProfile = executeApply;
