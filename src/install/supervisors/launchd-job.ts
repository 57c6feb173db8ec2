// The launchd job of a deployment: label, plist location, launchctl domain and the job
// dictionary. Pure: everything comes from the manifest and the context, never the host.
import { posix } from "node:path";
import type { Manifest } from "../manifest.ts";
import { runtimeArgv, watchdogArgv } from "../runtime-command.ts";
import { type PlistValue, renderPlist } from "./launchd-plist.ts";
import type { SupervisorContext } from "./types.ts";

/** Seconds launchd waits before starting a job that exited again (its default is 10). */
export const THROTTLE_INTERVAL = 10;

export const launchdLabel = (profile: string) => `com.headroom.${profile}`;

/** ~/Library/LaunchAgents/com.headroom.<p>.plist (user) or /Library/LaunchDaemons/... (system). */
export function plistPath(m: Pick<Manifest, "scope" | "profile">, home: string): string {
  const file = `${launchdLabel(m.profile)}.plist`;
  return m.scope === "system" ? posix.join("/Library/LaunchDaemons", file) : posix.join(home, "Library", "LaunchAgents", file);
}

/** The launchctl domain: `system` for a LaunchDaemon, `gui/<uid>` for a LaunchAgent. */
export function launchdDomain(m: Pick<Manifest, "scope">, uid: number): string {
  return m.scope === "system" ? "system" : `gui/${uid}`;
}

/** The service target `<domain>/<label>` that kickstart, bootout and print take. */
export function launchdTarget(m: Pick<Manifest, "scope" | "profile">, uid: number): string {
  return `${launchdDomain(m, uid)}/${launchdLabel(m.profile)}`;
}

export function launchdRunnerLog(m: Pick<Manifest, "workspaceDir" | "profile">): string {
  return posix.join(m.workspaceDir, "deploy", m.profile, "runner.log");
}

/**
 * The variables pinned in the job: only where the manifest is. A plist in LaunchAgents is
 * readable by others, so no --env value goes here: `agent run`/`ensure` read them from
 * the 0600 manifest (a container from the mounted manifest).
 */
export function jobEnvironment(m: Manifest): Record<string, string> {
  return { HEADROOM_WORKSPACE_DIR: m.workspaceDir };
}

/** The job dictionary: persistent-service keeps `agent run` alive; persistent-task runs `agent ensure` at load and every N minutes. */
export function launchdJob(ctx: SupervisorContext): Record<string, PlistValue> {
  const m = ctx.manifest;
  const log = launchdRunnerLog(m);
  const task = m.preset === "persistent-task";
  const job: Record<string, PlistValue> = {
    Label: launchdLabel(m.profile),
    ProgramArguments: task ? watchdogArgv(ctx) : runtimeArgv(ctx),
    EnvironmentVariables: jobEnvironment(m),
    RunAtLoad: true,
  };
  if (task) {
    job.StartInterval = m.interval * 60;
    // The runtime that ensure starts lives in its own session; never let launchd reap it with the job.
    job.AbandonProcessGroup = true;
  } else {
    job.KeepAlive = true;
  }
  job.ThrottleInterval = THROTTLE_INTERVAL;
  job.StandardOutPath = log;
  job.StandardErrorPath = log;
  return job;
}

export function renderLaunchdPlist(ctx: SupervisorContext): string {
  return renderPlist(launchdJob(ctx));
}
