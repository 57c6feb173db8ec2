// launchd-interval (macOS, persistent-task): the job runs the watchdog (`agent ensure`) at
// load and every N minutes (StartInterval); the runtime it starts is detached.
import { parseLaunchctlPrint } from "./launchd-print.ts";
import { intervalJob, launchdRunnerLog, launchdTarget, plistPath } from "./launchd-job.ts";
import { bootoutStep, bootstrapStep, installPlan, isLoaded, launchctlPrint, preflightLaunchd } from "./launchd.ts";
import { watchdogRuntime } from "./runtime-watch.ts";
import { pausedOf } from "./state.ts";
import type { Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";

async function status(ctx: SupervisorContext): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const target = launchdTarget(m, ctx.uid);
  const r = await launchctlPrint(ctx);
  const problems: string[] = [];
  if (r.code !== 0) {
    problems.push(pausedOf(m.supervisorState) ? "The watchdog job is unloaded (`install stop --pause`); `install start` loads it again." : `The launchd job ${target} is not loaded, so the watchdog does not run.`);
    return { kind: "launchd", installed: false, state: "not loaded", running: false, problems, details: { target, plist: plistPath(m, ctx.home) } };
  }
  const p = parseLaunchctlPrint(r.stdout);
  if (p.lastExitCode) problems.push(`The last watchdog run exited with code ${p.lastExitCode}; see ${launchdRunnerLog(m)}.`);
  return {
    kind: "launchd",
    installed: true,
    state: p.state ?? "unknown",
    running: true,
    pid: p.pid,
    restarts: p.runs !== undefined ? Math.max(0, p.runs - 1) : undefined,
    problems,
    details: { target, plist: plistPath(m, ctx.home), runs: p.runs, lastExitCode: p.lastExitCode, lastSignal: p.lastSignal },
  };
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
