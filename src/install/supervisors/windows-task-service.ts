// windows-task-service (Windows, persistent-service): one task at logon (user) or boot
// (system) that runs the runtime, restarted on failure, with a one-minute repetition that
// brings a crashed proxy back and no time limit.
import type { Plan } from "../steps.ts";
import { supervisedRuntime } from "./runtime-watch.ts";
import type { Supervisor, SupervisorContext } from "./types.ts";
import { runArgv } from "./windows-schtasks.ts";
import { type WindowsTaskOptions, enableStep, endStep, installPlan, preflightWindows, schtasksStep, tasksStatus, uninstallPlan, windowsFacts } from "./windows-task.ts";
import { serviceTaskDefinitions, serviceTaskName } from "./windows-task-xml.ts";

const status = (ctx: SupervisorContext) => tasksStatus(ctx, serviceTaskDefinitions(ctx), "service");

/** Ends the task and waits for its port; it is disabled first so the repetition cannot start it again meanwhile. */
function stopSteps(ctx: SupervisorContext): Plan["steps"] {
  const name = serviceTaskName(ctx.manifest.profile);
  const port = ctx.manifest.port;
  return [enableStep(name, false), endStep(name), { do: "wait-port-free", port, failure: `The task ended but port ${port} is still in use.` }];
}

/** `stop` disabled the task; enable it, then run it. */
function startSteps(ctx: SupervisorContext): Plan["steps"] {
  const name = serviceTaskName(ctx.manifest.profile);
  return [enableStep(name, true), schtasksStep(runArgv(name), name)];
}

export const windowsTaskService = (opts: WindowsTaskOptions = {}): Supervisor => ({
  name: "windows-task-service",
  kind: "windows-task",
  preflight: (ctx) => preflightWindows(ctx, serviceTaskDefinitions),
  hostFacts: windowsFacts,
  install(ctx) {
    // The logon/boot trigger fires next time; the service starts now.
    const name = serviceTaskName(ctx.manifest.profile);
    return installPlan(ctx, serviceTaskDefinitions(ctx), [schtasksStep(runArgv(name), name)]);
  },
  async start(ctx) {
    return { steps: startSteps(ctx) };
  },
  async stop(ctx) {
    return { steps: stopSteps(ctx) };
  },
  async restart(ctx) {
    return { steps: [...stopSteps(ctx), ...startSteps(ctx)] };
  },
  async uninstall(ctx) {
    return uninstallPlan(ctx, serviceTaskDefinitions(ctx), [], opts);
  },
  ...supervisedRuntime(status),
});
