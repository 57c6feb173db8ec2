// systemd-service (Linux, persistent-service): one unit with Restart=on-failure that runs
// the runtime, never given up on (no start limit).
import { join } from "node:path";
import { run } from "../steps.ts";
import { supervisedRuntime } from "./runtime-watch.ts";
import {
  type RestartSchedule,
  describeSchedule,
  enableSteps,
  lingerProblem,
  lingerState,
  preflightSystemd,
  reloadAfterUndo,
  removeUnitSteps,
  renderServiceUnit,
  restartSchedule,
  serviceUnitName,
  show,
  systemctl,
  systemdFacts,
  unitDir,
} from "./systemd.ts";
import type { Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";
import { which } from "../../host/exec.ts";

async function status(ctx: SupervisorContext): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const problems: string[] = [];
  const unit = serviceUnitName(m.profile);
  const [s, linger] = await Promise.all([show(ctx, unit), m.scope === "user" ? lingerState(ctx) : Promise.resolve("yes" as const)]);
  const installed = s.LoadState === "loaded";
  const pid = Number(s.MainPID) > 0 ? Number(s.MainPID) : undefined;
  const restarts = s.NRestarts !== undefined && s.NRestarts !== "" ? Number(s.NRestarts) : undefined;
  // Wherever the unit writes (the journal; runner.log for a unit of an older headroom), this shows it.
  const log = `\`headroom install logs --profile ${m.profile}\``;
  const state = m.supervisorState;
  const recorded: RestartSchedule | undefined = state.kind === "systemd" ? state.restart : undefined;
  if (!installed) problems.push(`The unit ${unit} is not installed.`);
  else if (s.ActiveState === "failed" && s.Result === "start-limit-hit") {
    // Only a unit rendered by an older headroom has a start limit.
    problems.push(`The unit ${unit} gave up after ${restarts ?? 0} restarts (start-limit-hit: it was installed by an older headroom with a start limit); see ${log}. \`headroom install apply --profile ${m.profile}\` installs the unit that never gives up, \`headroom install start --profile ${m.profile}\` starts it now.`);
  } else if (s.ActiveState === "failed") {
    problems.push(`The unit ${unit} failed (${s.Result || "unknown result"}); see ${log}. \`headroom install start --profile ${m.profile}\` starts it again.`);
  }
  const every = recorded?.sec ? `systemd retries ${describeSchedule(recorded)}, and never gives up` : "systemd retries it";
  const looping = `The unit is crash-looping: restarted ${restarts ?? 0} times; ${every}; see ${log} for why. Once the cause is fixed it comes back by itself; \`headroom install restart --profile ${m.profile}\` clears the count and retries now.`;
  // Between two crashes the unit is briefly "active (running)": a main process started
  // moments ago after earlier restarts is crash-looping too unless it turns out healthy.
  const startedAt = Number(s.ExecMainStartTimestampMonotonic);
  const justStarted = startedAt > 0 && Number(process.hrtime.bigint() / 1000n) - startedAt < 10_000_000;
  let ifUnhealthy: string | undefined;
  if (installed && s.ActiveState !== "failed") {
    if (s.SubState === "auto-restart" || (s.ActiveState === "activating" && (restarts ?? 0) > 0)) problems.push(looping);
    else if ((restarts ?? 0) > 0 && justStarted) ifUnhealthy = looping;
  }
  const lingering = lingerProblem(linger, ctx, { off: "the service stops at logout and does not start at boot", unknown: "a user service does not start at boot" });
  if (lingering) problems.push(lingering);
  return {
    kind: "systemd",
    installed,
    state: s.SubState ? `${s.ActiveState} (${s.SubState})` : s.ActiveState || "unknown",
    running: s.ActiveState === "active" && s.SubState === "running",
    pid,
    restarts,
    problems,
    ...(ifUnhealthy ? { ifUnhealthy } : {}),
    details: { unit, linger, ...s },
  };
}

export const systemdService = (): Supervisor => ({
  name: "systemd-service",
  kind: "systemd",

  preflight: (ctx) =>
    preflightSystemd(ctx, which("crontab", ctx.env) ? "Use --preset persistent-task (cron) or --preset persistent-docker on this machine." : "Use --preset persistent-docker on this machine, or install systemd or cron."),

  hostFacts: systemdFacts,

  install(ctx) {
    const m = ctx.manifest;
    const dir = unitDir(m, ctx.env, ctx.home);
    const unit = serviceUnitName(m.profile);
    const version = ctx.facts.systemdVersion;
    const enable = enableSteps(ctx, [unit], unit);
    return {
      steps: [{ do: "write", path: join(dir, unit), content: renderServiceUnit(m, ctx.runtime.argv(ctx), version, ctx.runtime.beforeStart?.(ctx)), mode: 0o644 }, ...enable.steps],
      afterUndo: reloadAfterUndo(ctx),
      warnings: enable.warnings,
      record: { kind: "systemd", unitDir: dir, units: [unit], restart: { ...restartSchedule(version), ...(version ? { systemdVersion: version } : {}) }, ...enable.record },
    };
  },

  async start(ctx) {
    const sc = systemctl(ctx.manifest);
    const unit = serviceUnitName(ctx.manifest.profile);
    return { steps: [run([...sc, "reset-failed", unit], { onFail: "ignore" }), run([...sc, "start", unit])] };
  },

  async stop(ctx) {
    const m = ctx.manifest;
    return { steps: [run([...systemctl(m), "stop", serviceUnitName(m.profile)]), { do: "wait-port-free", port: m.port, failure: `The service stopped but port ${m.port} is still in use.` }] };
  },

  async restart(ctx) {
    // systemctl restart stops (waits for the old process to exit) and starts again.
    const sc = systemctl(ctx.manifest);
    const unit = serviceUnitName(ctx.manifest.profile);
    return { steps: [run([...sc, "reset-failed", unit], { onFail: "ignore" }), run([...sc, "restart", unit])] };
  },

  async uninstall(ctx) {
    const m = ctx.manifest;
    const unit = serviceUnitName(m.profile);
    const { disable, rest } = removeUnitSteps(ctx, [unit], [join(unitDir(m, ctx.env, ctx.home), unit)]);
    return { steps: [disable, ...rest], bestEffort: "Removing the systemd units was incomplete" };
  },

  ...supervisedRuntime(status),
});
