// launchd-keepalive (macOS, persistent-service): a job with RunAtLoad + KeepAlive that runs
// the runtime; launchd starts it again after every exit, at most every ThrottleInterval.
import { THROTTLE_INTERVAL, keepAliveJob, launchdRunnerLog, launchdTarget, plistPath } from "./launchd-job.ts";
import { bootoutStep, installPlan, jobStatus, kickstartStep, preflightLaunchd } from "./launchd.ts";
import { supervisedRuntime } from "./runtime-watch.ts";
import type { Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";

function status(ctx: SupervisorContext): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const log = launchdRunnerLog(m);
  return jobStatus(ctx, `The launchd job ${launchdTarget(m, ctx.uid)} is not loaded (stopped or never installed); \`headroom install start\` loads it.`, (p, state) => {
    const problems: string[] = [];
    if (state !== "running" && p.lastExitCode) problems.push(`The launchd job is ${state} and last exited with code ${p.lastExitCode}; see ${log}.`);
    if ((p.runs ?? 0) >= 3 && state !== "running") problems.push(`The launchd job is crash-looping (${p.runs} runs); launchd starts it again at most every ${THROTTLE_INTERVAL} s and never gives up; see ${log} for why. Once the cause is fixed it comes back by itself; \`headroom install restart --profile ${m.profile}\` retries now.`);
    return { problems, running: state === "running" };
  });
}

export const launchdKeepAlive = (): Supervisor => ({
  name: "launchd-keepalive",
  kind: "launchd",
  preflight: (ctx) => preflightLaunchd(ctx, keepAliveJob),
  install: (ctx) => installPlan(ctx, keepAliveJob(ctx)),
  async start(ctx) {
    return { steps: [kickstartStep(ctx, false)] };
  },
  async stop(ctx) {
    // bootout: ESRCH means it was stopped already.
    const port = ctx.manifest.port;
    return { steps: [bootoutStep(ctx), { do: "wait-port-free", port, failure: `The launchd job stopped but port ${port} is still in use.` }] };
  },
  async restart(ctx) {
    // -k: launchd kills the running instance and starts a new one once it has exited.
    return { steps: [kickstartStep(ctx, true)] };
  },
  async uninstall(ctx) {
    return { steps: [bootoutStep(ctx), { do: "remove", path: plistPath(ctx.manifest, ctx.home) }], bestEffort: "Removing the launchd job was incomplete" };
  },
  ...supervisedRuntime(status),
});
