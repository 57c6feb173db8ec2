// After the binary was replaced under running deployments (install.sh, install.ps1, a
// package manager): restart, through its supervisor, every deployment whose runtime
// runs another version than this binary, and check it comes back healthy on this one.
// What `headroom install upgrade-restart` does; the installers call it.
import { realpathSync } from "node:fs";
import { errorMessage } from "../errors.ts";
import { probePort } from "../host/port-probe.ts";
import { VERSION } from "../version.ts";
import { proveIdentity } from "./identity.ts";
import type { Manifest } from "./manifest.ts";

import type { Env } from "../host/env.ts";

export type UpgradeAction = "restarted" | "current" | "stopped" | "skipped" | "failed";

export interface UpgradeOutcome {
  profile: string;
  action: UpgradeAction;
  preset?: string;
  port?: number;
  /** The version that answered before, and after the restart. */
  from?: string;
  to?: string;
  pid?: number;
  /** Why it was skipped or failed. */
  reason?: string;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export interface UpgradeOptions {
  env?: Env;
  /** This binary's version (the one deployments should end on). */
  version?: string;
  /** This binary's path; a deployment whose supervisor runs another file is left alone. */
  self?: string;
  /** The restart itself (tests); default: deploy.ts restartDeployment. */
  restart?: (m: Manifest, env: Env) => Promise<{ pid?: number }>;
}

/** Decides and, where needed, restarts one deployment. */
export async function upgradeOne(m: Manifest, opts: UpgradeOptions = {}): Promise<UpgradeOutcome> {
  const env = opts.env ?? process.env;
  const version = opts.version ?? VERSION;
  const self = opts.self ?? env.HEADROOM_BIN ?? process.execPath;
  const base = { profile: m.profile, preset: m.preset, port: m.port };
  if (m.runtime === "docker") return { ...base, action: "skipped", reason: `it runs in a container, whose image (${m.image ?? "the default"}) decides its version` };
  if (real(m.binPath) !== real(self)) return { ...base, action: "skipped", reason: `its supervisor runs ${m.binPath}, not this binary (${self})` };
  const before = await proveIdentity(m, { timeoutMs: 1000 });
  if (!before.proven || !before.probe.ready) {
    if (before.probe.open && !before.proven) return { ...base, action: "skipped", reason: `port ${m.port} is held by a process that is not this deployment` };
    return { ...base, action: "stopped", reason: `nothing of it runs now; it starts on ${version} next time` };
  }
  const from = before.probe.version;
  if (from === version) return { ...base, action: "current", from, to: from, pid: before.pid };
  try {
    const restart = opts.restart ?? (async (mm: Manifest, e: Env) => (await import("./deploy.ts")).restartDeployment(mm, e));
    const h = await restart(m, env);
    const after = await probePort(m.port, "127.0.0.1", 1000);
    if (after.version !== version) return { ...base, action: "failed", from, to: after.version, pid: h.pid, reason: `it came back as ${after.version ?? "an unknown version"}, not ${version}` };
    return { ...base, action: "restarted", from, to: version, pid: h.pid ?? after.pid };
  } catch (err) {
    return { ...base, action: "failed", from, reason: errorMessage(err) };
  }
}

/** Every profile of this workspace, one after the other (a broken manifest is skipped with its error). */
export async function restartOutdated(opts: UpgradeOptions = {}): Promise<UpgradeOutcome[]> {
  const env = opts.env ?? process.env;
  const { listManifestEntries } = await import("./store.ts");
  const out: UpgradeOutcome[] = [];
  for (const e of listManifestEntries(env)) {
    if (!e.manifest) {
      out.push({ profile: e.profile, action: "skipped", reason: e.error ?? "its manifest cannot be read" });
      continue;
    }
    out.push(await upgradeOne(e.manifest, opts));
  }
  return out;
}

/** One line per outcome, for the installers' output. */
export function describeOutcome(o: UpgradeOutcome, version = VERSION): string {
  const name = `profile "${o.profile}"${o.preset ? ` (${o.preset}, port ${o.port})` : ""}`;
  switch (o.action) {
    case "restarted":
      return `restarted ${name}: ${o.from ?? "?"} -> ${o.to}, healthy${o.pid ? ` (pid ${o.pid})` : ""}`;
    case "current":
      return `${name} already runs ${version}`;
    case "stopped":
      return `${name} is not running; it starts on ${version} next time`;
    case "skipped":
      return `left ${name} alone: ${o.reason}`;
    case "failed":
      return `could not switch ${name} to ${version}: ${o.reason}`;
  }
}
