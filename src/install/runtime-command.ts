// The one place that decides which command runs the runtime of a deployment:
// the native runner (`headroom install agent run`) or, for --runtime docker with the
// service and task presets, a foreground `docker run` supervised the same way.
import type { Manifest } from "./manifest.ts";
import { dockerRunArgv } from "./supervisors/docker.ts";
import type { SupervisorContext } from "./supervisors/types.ts";

/** `<bin> install agent <verb> --profile <p>`. */
export function agentArgv(m: Manifest, verb: "run" | "ensure"): string[] {
  return [m.binPath, "install", "agent", verb, "--profile", m.profile];
}

/** The foreground command a service unit (or the watchdog) runs for this deployment. */
export function runtimeArgv(ctx: SupervisorContext): string[] {
  const m = ctx.manifest;
  if (m.runtime === "docker") return dockerRunArgv(ctx, { detached: false });
  return agentArgv(m, "run");
}

/** The scheduled watchdog command (persistent-task). */
export function watchdogArgv(ctx: SupervisorContext): string[] {
  return agentArgv(ctx.manifest, "ensure");
}
