// The launchd job of a deployment: label, plist location, launchctl domain and the job
// dictionary. Pure: everything comes from the manifest and the context, never the host.
import { posix } from "node:path";
import type { Manifest } from "../manifest.ts";
import { agentArgv } from "../runtime-launchers.ts";
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

/** The job dictionary around `argv`, with what keeps it going (`schedule`: KeepAlive, or StartInterval). */
function job(ctx: SupervisorContext, argv: string[], schedule: Record<string, PlistValue>): Record<string, PlistValue> {
  const m = ctx.manifest;
  const log = launchdRunnerLog(m);
  return {
    Label: launchdLabel(m.profile),
    ProgramArguments: argv,
    EnvironmentVariables: jobEnvironment(m),
    RunAtLoad: true,
    ...schedule,
    ThrottleInterval: THROTTLE_INTERVAL,
    StandardOutPath: log,
    StandardErrorPath: log,
  };
}

/** persistent-service: the runtime, kept alive. */
export function keepAliveJob(ctx: SupervisorContext): Record<string, PlistValue> {
  return job(ctx, ctx.runtime.argv(ctx), { KeepAlive: true });
}

/** persistent-task: `agent ensure` at load and every N minutes. */
export function intervalJob(ctx: SupervisorContext): Record<string, PlistValue> {
  // The runtime that ensure starts lives in its own session; never let launchd reap it with the job.
  return job(ctx, agentArgv(ctx.manifest, "ensure"), { StartInterval: ctx.manifest.interval * 60, AbandonProcessGroup: true });
}
