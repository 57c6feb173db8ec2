// systemd-timer (Linux, persistent-task): a oneshot unit that runs the watchdog (`agent
// ensure`) and a timer that fires it at boot and every N minutes. The runtime it starts
// is detached and named by its pid file.
import { join } from "node:path";
import { runnerLogPath } from "../../paths.ts";
import { agentArgv } from "../runtime-launchers.ts";
import { run } from "../steps.ts";
import { watchdogRuntime } from "./runtime-watch.ts";
import { pausedOf } from "./state.ts";
import {
  enableSteps,
  ensureUnitName,
  lingerProblem,
  lingerState,
  preflightSystemd,
  reloadAfterUndo,
  removeUnitSteps,
  renderEnsureUnit,
  renderTimerUnit,
  show,
  systemctl,
  systemdFacts,
  timerUnitName,
  unitDir,
} from "./systemd.ts";
import type { Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";

const unitsOf = (profile: string) => [timerUnitName(profile), ensureUnitName(profile)];

async function status(ctx: SupervisorContext): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const problems: string[] = [];
  const timer = timerUnitName(m.profile);
  const [t, e, linger] = await Promise.all([show(ctx, timer), show(ctx, ensureUnitName(m.profile)), m.scope === "user" ? lingerState(ctx) : Promise.resolve("yes" as const)]);
  const installed = t.LoadState === "loaded";
  if (!installed) problems.push(`The watchdog timer ${timer} is not installed.`);
  else if (t.ActiveState !== "active") problems.push(`The watchdog timer ${timer} is ${t.ActiveState}${pausedOf(m.supervisorState) ? " (paused by `install stop --pause`)" : ""}.`);
  if (e.Result && e.Result !== "success") problems.push(`The last watchdog run ended with ${e.Result}.`);
  const lingering = lingerProblem(linger, ctx, { off: "the watchdog does not run without a login session", unknown: "the watchdog does not run without a login session" });
  if (lingering) problems.push(lingering);
  return { kind: "systemd-timer", installed, state: t.ActiveState || "unknown", running: t.ActiveState === "active", problems, details: { timer: t, ensure: e, linger, units: unitsOf(m.profile) } };
}

export const systemdTimer = (): Supervisor => ({
  name: "systemd-timer",
  kind: "systemd",

  preflight: (ctx) => preflightSystemd(ctx, "Install cron or use a machine where systemd runs."),

  hostFacts: systemdFacts,

  install(ctx) {
    const m = ctx.manifest;
    const dir = unitDir(m, ctx.env, ctx.home);
    const log = runnerLogPath(m.profile, { ...ctx.env, HEADROOM_WORKSPACE_DIR: m.workspaceDir });
    const units = unitsOf(m.profile);
    const enable = enableSteps(ctx, units, timerUnitName(m.profile));
    return {
      steps: [
        { do: "write", path: join(dir, ensureUnitName(m.profile)), content: renderEnsureUnit(m, agentArgv(m, "ensure"), log), mode: 0o644 },
        { do: "write", path: join(dir, timerUnitName(m.profile)), content: renderTimerUnit(m), mode: 0o644 },
        ...enable.steps,
        // The watchdog starts the runtime now (the manifest it reads is saved before the supervisor is installed).
        { do: "ensure-runtime" },
      ],
      afterUndo: reloadAfterUndo(ctx),
      warnings: enable.warnings,
      record: { kind: "systemd", unitDir: dir, units, ...enable.record },
    };
  },

  async start(ctx) {
    // A paused schedule comes back, and the watchdog starts the runtime now.
    const resume = pausedOf(ctx.manifest.supervisorState) ? [run([...systemctl(ctx.manifest), "enable", "--now", timerUnitName(ctx.manifest.profile)], { sets: { paused: false } })] : [];
    return { steps: [...resume, { do: "ensure-runtime" }] };
  },

  async stop(ctx, opts) {
    const pause = opts?.pause ? [run([...systemctl(ctx.manifest), "disable", "--now", timerUnitName(ctx.manifest.profile)], { sets: { paused: true } })] : [];
    return { steps: [...pause, { do: "stop-runtime" }] };
  },

  async restart() {
    return { steps: [{ do: "stop-runtime" }, { do: "ensure-runtime" }] };
  },

  async uninstall(ctx) {
    const m = ctx.manifest;
    const dir = unitDir(m, ctx.env, ctx.home);
    const units = unitsOf(m.profile);
    const { disable, rest } = removeUnitSteps(ctx, units, [join(dir, ensureUnitName(m.profile)), join(dir, timerUnitName(m.profile))]);
    return { steps: [disable, { do: "stop-runtime" }, ...rest], bestEffort: "Removing the systemd units was incomplete" };
  },

  ...watchdogRuntime(status),
});
