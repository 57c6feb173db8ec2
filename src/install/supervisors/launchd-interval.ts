// launchd-interval (macOS, persistent-task): the job runs the watchdog (`agent ensure`) at
// load and every N minutes (StartInterval); the runtime it starts is detached.
import { intervalJob, launchdRunnerLog, launchdTarget, plistPath } from "./launchd-job.ts";
import { bootoutStep, bootstrapStep, installPlan, isLoaded, jobStatus, preflightLaunchd } from "./launchd.ts";
import { watchdogRuntime } from "./runtime-watch.ts";
import { pausedOf } from "./state.ts";
import type { Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";

function status(ctx: SupervisorContext): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const notLoaded = pausedOf(m.supervisorState) ? "The watchdog job is unloaded (`install stop --pause`); `install start` loads it again." : `The launchd job ${launchdTarget(m, ctx.uid)} is not loaded, so the watchdog does not run.`;
  return jobStatus(ctx, notLoaded, (p) => ({ running: true, problems: p.lastExitCode ? [`The last watchdog run exited with code ${p.lastExitCode}; see ${launchdRunnerLog(m)}.`] : [] }));
}

export const launchdInterval = (): Supervisor => ({
  name: "launchd-interval",
  kind: "launchd",
  preflight: (ctx) => preflightLaunchd(ctx, intervalJob),
  install: (ctx) => {
    // The watchdog starts the runtime now (the manifest it reads is saved before the supervisor is installed).
    const plan = installPlan(ctx, intervalJob(ctx));
    return { ...plan, steps: [...plan.steps, { do: "ensure-runtime" }] };
  },
  async start(ctx) {
    // A paused (unloaded) job is loaded again; the watchdog starts the runtime now.
    const resume = pausedOf(ctx.manifest.supervisorState) ? ((await isLoaded(ctx)) ? [] : [bootstrapStep(ctx)]) : [];
    return { steps: [...resume, { do: "ensure-runtime" }], record: pausedOf(ctx.manifest.supervisorState) ? { paused: false } : {} };
  },
  async stop(ctx, opts) {
    return { steps: [...(opts?.pause ? [bootoutStep(ctx)] : []), { do: "stop-runtime" }], record: opts?.pause ? { paused: true } : {} };
  },
  async restart() {
    return { steps: [{ do: "stop-runtime" }, { do: "ensure-runtime" }] };
  },
  async uninstall(ctx) {
    return { steps: [bootoutStep(ctx), { do: "stop-runtime" }, { do: "remove", path: plistPath(ctx.manifest, ctx.home) }], bestEffort: "Removing the launchd job was incomplete" };
  },
  ...watchdogRuntime(status),
});
