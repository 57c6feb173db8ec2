// windows-task-watchdog (Windows, persistent-task): a task at logon (user) or boot (system)
// and one every N minutes, both running the watchdog (`agent ensure`); the runtime it
// starts is detached.
import { watchdogRuntime } from "./runtime-watch.ts";
import { pausedOf } from "./state.ts";
import type { Supervisor, SupervisorContext } from "./types.ts";
import { type WindowsTaskOptions, enableStep, installPlan, preflightWindows, tasksStatus, uninstallPlan, windowsFacts } from "./windows-task.ts";
import { watchdogTaskDefinitions } from "./windows-task-xml.ts";

const names = (ctx: SupervisorContext) => watchdogTaskDefinitions(ctx).map((d) => d.name);

export const windowsTaskWatchdog = (opts: WindowsTaskOptions = {}): Supervisor => ({
  name: "windows-task-watchdog",
  kind: "windows-task",
  preflight: (ctx) => preflightWindows(ctx, watchdogTaskDefinitions),
  hostFacts: windowsFacts,
  // The watchdog starts the runtime now (the manifest it reads is saved before the supervisor is installed).
  install: (ctx) => installPlan(ctx, watchdogTaskDefinitions(ctx), [{ do: "ensure-runtime" }]),
  async start(ctx) {
    // A paused schedule comes back; the watchdog starts the runtime now.
    const paused = pausedOf(ctx.manifest.supervisorState);
    return { steps: [...(paused ? names(ctx).map((n) => enableStep(n, true)) : []), { do: "ensure-runtime" }], record: paused ? { paused: false } : {} };
  },
  async stop(ctx, o) {
    return { steps: [...(o?.pause ? names(ctx).map((n) => enableStep(n, false)) : []), { do: "stop-runtime" }], record: o?.pause ? { paused: true } : {} };
  },
  async restart() {
    return { steps: [{ do: "stop-runtime" }, { do: "ensure-runtime" }] };
  },
  async uninstall(ctx) {
    return uninstallPlan(ctx, watchdogTaskDefinitions(ctx), [{ do: "stop-runtime" }], opts);
  },
  ...watchdogRuntime((ctx) => tasksStatus(ctx, watchdogTaskDefinitions(ctx), "task")),
});
