// systemd supervisor (Linux). persistent-service: one unit with Restart=on-failure that
// runs `headroom install agent run`. persistent-task: a oneshot `agent ensure` unit and a
// timer (at boot and every N minutes). User scope uses `systemctl --user` and
// ${XDG_CONFIG_HOME:-~/.config}/systemd/user; system scope /etc/systemd/system (root).
// Rendering is pure; acting goes through ctx.run.
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { HeadroomError } from "../../errors.ts";
import { runCommand, which } from "../../host/exec.ts";
import { isPortOpen, waitFor } from "../../host/net.ts";
import { runnerLogPath } from "../../paths.ts";
import { type FileChange, runChecked, undoFileChanges, writePlanFiles } from "../executor.ts";
import type { Manifest } from "../manifest.ts";
import { runtimeArgv, watchdogArgv } from "../runtime-command.ts";
import { stopRuntimeProcess } from "../runtime-process.ts";
import { privateSocket, showUnitOverBus, statusProperties } from "./systemd-bus.ts";
import type { RenderedFile, Supervisor, SupervisorContext, SupervisorPlan, SupervisorStatus } from "./types.ts";

type Env = Record<string, string | undefined>;

// ---- pure renderers -------------------------------------------------------------------

/** Escapes a value for a systemd unit: specifiers (%) always, $ in command lines. */
function escapeUnitValue(s: string, forExec: boolean): string {
  let out = s.replace(/%/g, "%%");
  if (forExec) out = out.replace(/\$/g, "$$$$");
  return out;
}

/** One word of an ExecStart= line, double-quoted when it needs to be. */
export function systemdQuote(word: string, forExec = true): string {
  const escaped = escapeUnitValue(word, forExec);
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function execLine(argv: string[]): string {
  return argv.map((w) => systemdQuote(w, true)).join(" ");
}

/** An Environment= line: `Environment="NAME=VALUE"`. */
export function environmentLine(name: string, value: string): string {
  return `Environment=${systemdQuote(`${name}=${value}`, false)}`;
}

/**
 * The unit's own environment: only where the manifest is. Unit files are world-readable
 * (0644, as systemd expects), so no --env value goes here: the runner takes them from the
 * 0600 manifest (`agent run`/`agent ensure`; a container from the mounted manifest).
 */
export function unitEnvironment(m: Manifest): Record<string, string> {
  return { HEADROOM_WORKSPACE_DIR: m.workspaceDir };
}

export function serviceUnitName(profile: string): string {
  return `headroom-${profile}.service`;
}
export function ensureUnitName(profile: string): string {
  return `headroom-${profile}-ensure.service`;
}
export function timerUnitName(profile: string): string {
  return `headroom-${profile}-ensure.timer`;
}

export function unitDir(m: Pick<Manifest, "scope">, env: Env, home: string): string {
  if (m.scope === "system") return "/etc/systemd/system";
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "systemd", "user");
}

function header(m: Manifest): string {
  return `# Managed by headroom (profile ${m.profile}); \`headroom install apply\` rewrites it and \`headroom install remove\` deletes it.\n`;
}

// ---- never giving up ------------------------------------------------------------------

/** The first systemd that grows the restart delay (RestartSteps=, RestartMaxDelaySec=). */
export const BACKOFF_SINCE = 254;
export const RESTART_SEC = 1;
export const RESTART_STEPS = 4;
export const RESTART_MAX_DELAY_SEC = 15;

export interface RestartSchedule {
  /** Delay before the first restart, seconds. */
  sec: number;
  /** Where the delay stops growing (systemd >= 254), seconds; absent: it stays at `sec`. */
  maxDelaySec?: number;
  steps?: number;
}

/**
 * How a crashing runtime is retried: never abandoned (no start limit), after 1 s; on
 * systemd >= 254 the delay grows over 4 steps to 15 s (1, 2, 3.9, 7.6, 15 s: systemd's
 * exponential steps) until a manual start or `reset-failed` resets the count. Older
 * systemd (Debian 12 has 252) cannot grow it and retries every second.
 */
export function restartSchedule(version: number | undefined): RestartSchedule {
  return version !== undefined && version >= BACKOFF_SINCE ? { sec: RESTART_SEC, maxDelaySec: RESTART_MAX_DELAY_SEC, steps: RESTART_STEPS } : { sec: RESTART_SEC };
}

/** "every 1 s" / "after 1 s, growing to 15 s", for status lines. */
export function describeSchedule(r: RestartSchedule): string {
  return r.maxDelaySec ? `after ${r.sec} s, the delay growing to ${r.maxDelaySec} s` : `every ${r.sec} s`;
}

/** The version of the systemd that `systemctl --version` belongs to, or undefined. */
export async function systemdVersion(ctx: Pick<SupervisorContext, "run" | "env">): Promise<number | undefined> {
  const r = await ctx.run(["systemctl", "--version"], { env: ctx.env, timeoutMs: 5000 }).catch(() => null);
  const v = r && r.code === 0 ? /^systemd (\d+)/.exec(r.stdout.trim()) : null;
  return v ? Number(v[1]) : undefined;
}

/** The identifier the service's lines carry in the journal (`journalctl -t headroom-<p>`). */
export function syslogIdentifier(profile: string): string {
  return `headroom-${profile}`;
}

/**
 * The persistent-service unit. `systemdVersion` picks the restart back-off the manager
 * accepts. Its output goes to the journal, which rotates it (`journalctl --user -u
 * headroom-<p>`, or `-t headroom-<p>` where the journal lacks unit metadata); runner.log
 * is for the supervisors that have no log of their own.
 */
export function renderServiceUnit(m: Manifest, exec: string[], systemdVersion?: number): string {
  const env = Object.entries(unitEnvironment(m)).map(([k, v]) => environmentLine(k, v));
  // A foreground `docker run --rm --name X` cannot start while a container X is left
  // over (its client was killed): remove it first; "-" ignores "no such container".
  const nameAt = exec.indexOf("--name");
  const schedule = restartSchedule(systemdVersion);
  const pre = m.runtime === "docker" && nameAt > 0 && exec[nameAt + 1] ? [`ExecStartPre=-${execLine([exec[0]!, "rm", "-f", exec[nameAt + 1]!])}`] : [];
  return [
    header(m).trimEnd(),
    "[Unit]",
    `Description=headroom proxy (profile ${m.profile}, port ${m.port})`,
    "After=network.target",
    "# No start limit: a crash storm is retried for ever with the delay below, never left failed.",
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=simple",
    ...pre,
    `ExecStart=${execLine(exec)}`,
    ...env,
    "Restart=on-failure",
    `RestartSec=${schedule.sec}`,
    ...(schedule.maxDelaySec ? [`RestartSteps=${schedule.steps}`, `RestartMaxDelaySec=${schedule.maxDelaySec}`] : []),
    "TimeoutStopSec=20",
    "StandardOutput=journal",
    "StandardError=journal",
    `SyslogIdentifier=${escapeUnitValue(syslogIdentifier(m.profile), false)}`,
    "",
    "[Install]",
    `WantedBy=${m.scope === "system" ? "multi-user.target" : "default.target"}`,
    "",
  ].join("\n");
}

/** The persistent-task oneshot: runs `agent ensure`; KillMode=process leaves the runtime it starts alive. */
export function renderEnsureUnit(m: Manifest, exec: string[], logPath: string): string {
  const env = Object.entries(unitEnvironment(m)).map(([k, v]) => environmentLine(k, v));
  return [
    header(m).trimEnd(),
    "[Unit]",
    `Description=headroom watchdog (profile ${m.profile}, port ${m.port})`,
    "After=network.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${execLine(exec)}`,
    ...env,
    "KillMode=process",
    "TimeoutStartSec=60",
    `StandardOutput=append:${escapeUnitValue(logPath, false)}`,
    `StandardError=append:${escapeUnitValue(logPath, false)}`,
    "",
  ].join("\n");
}

export function renderTimerUnit(m: Manifest): string {
  return [
    header(m).trimEnd(),
    "[Unit]",
    `Description=headroom watchdog timer (profile ${m.profile}, every ${m.interval} min)`,
    "",
    "[Timer]",
    "OnBootSec=30s",
    `OnUnitActiveSec=${m.interval}min`,
    "AccuracySec=5s",
    `Unit=${ensureUnitName(m.profile)}`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

function systemctl(m: Pick<Manifest, "scope">): string[] {
  return m.scope === "system" ? ["systemctl"] : ["systemctl", "--user"];
}

function units(m: Manifest): { main: string; all: string[] } {
  if (m.preset === "persistent-task") return { main: timerUnitName(m.profile), all: [timerUnitName(m.profile), ensureUnitName(m.profile)] };
  return { main: serviceUnitName(m.profile), all: [serviceUnitName(m.profile)] };
}

function render(ctx: SupervisorContext): SupervisorPlan {
  const m = ctx.manifest;
  const dir = unitDir(m, ctx.env, ctx.home);
  const log = runnerLogPath(m.profile, { ...ctx.env, HEADROOM_WORKSPACE_DIR: m.workspaceDir });
  const sc = systemctl(m);
  if (m.preset === "persistent-task") {
    const files: RenderedFile[] = [
      { path: join(dir, ensureUnitName(m.profile)), content: renderEnsureUnit(m, watchdogArgv(ctx), log), mode: 0o644 },
      { path: join(dir, timerUnitName(m.profile)), content: renderTimerUnit(m), mode: 0o644 },
    ];
    return { files, commands: [[...sc, "daemon-reload"], [...sc, "enable", "--now", timerUnitName(m.profile)]] };
  }
  const files: RenderedFile[] = [{ path: join(dir, serviceUnitName(m.profile)), content: renderServiceUnit(m, runtimeArgv(ctx), ctx.systemdVersion), mode: 0o644 }];
  return { files, commands: [[...sc, "daemon-reload"], [...sc, "enable", "--now", serviceUnitName(m.profile)]] };
}

// ---- linger --------------------------------------------------------------------------

/** The login name for loginctl: $USER, $LOGNAME, /etc/passwd by uid, else the uid itself. */
export function userName(env: Env): string {
  if (env.USER) return env.USER;
  if (env.LOGNAME) return env.LOGNAME;
  const uid = process.getuid?.() ?? 0;
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {}
  const name = userInfo().username;
  return name && name !== "unknown" ? name : String(uid);
}

/** Where logind keeps lingering: one empty file per user that lingers. */
export const LINGER_DIR = "/var/lib/systemd/linger";
/** The system bus that loginctl asks logind through, unless DBUS_SYSTEM_BUS_ADDRESS names another. */
const SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket";

/**
 * "yes" / "no", or "unknown" when logind cannot be asked. logind's own record answers
 * "yes" without starting loginctl (about 3 ms, on every `install status`); so does a
 * missing system bus answer "unknown", which is all loginctl could say then.
 */
export async function lingerState(ctx: SupervisorContext): Promise<"yes" | "no" | "unknown"> {
  const user = userName(ctx.env);
  if (existsSync(join(LINGER_DIR, user))) return "yes";
  if (!ctx.env.DBUS_SYSTEM_BUS_ADDRESS && !existsSync(SYSTEM_BUS_SOCKET)) return "unknown";
  if (!which("loginctl", ctx.env)) return "unknown";
  const r = await ctx.run(["loginctl", "show-user", user, "--property=Linger", "--value"], { env: ctx.env, timeoutMs: 3000 });
  if (r.code !== 0) return "unknown";
  const v = r.stdout.trim();
  return v === "yes" ? "yes" : v === "no" ? "no" : "unknown";
}

export function lingerHint(env: Env): string {
  return `sudo loginctl enable-linger ${userName(env)}`;
}

// ---- the adapter ----------------------------------------------------------------------

function stateFiles(m: Manifest): FileChange[] {
  const files = m.supervisorState?.files;
  return Array.isArray(files) ? (files as FileChange[]) : [];
}

/** `systemctl show` for the properties status reads: over systemd's private socket when it answers, else systemctl. */
async function show(ctx: SupervisorContext, unit: string): Promise<Record<string, string>> {
  // Only when commands really run: a scripted runner (tests, dry runs) gets the systemctl call.
  const socket = ctx.run === runCommand ? privateSocket(ctx.manifest.scope, ctx.env, ctx.isRoot) : null;
  if (socket) {
    try {
      return await showUnitOverBus(socket, unit);
    } catch {
      // Not reachable or not understood: systemctl says the same in its own way.
    }
  }
  const names = statusProperties(unit).map((p) => p.name);
  const r = await ctx.run([...systemctl(ctx.manifest), "show", unit, `--property=${names.join(",")}`], { env: ctx.env, timeoutMs: 10_000 });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function waitPortFree(port: number, timeoutMs = 15_000): Promise<boolean> {
  return (await waitFor(async () => !(await isPortOpen(port, "127.0.0.1", 300)), timeoutMs, 25)) !== null;
}

export const systemdSupervisor = (): Supervisor => ({
  kind: "systemd",

  async preflight(ctx) {
    const m = ctx.manifest;
    if (!which("systemctl", ctx.env)) {
      throw new HeadroomError("systemctl was not found, so a systemd unit cannot be installed.", m.preset === "persistent-task" ? "Install cron or use a machine where systemd runs." : which("crontab", ctx.env) ? "Use --preset persistent-task (cron) or --preset persistent-docker on this machine." : "Use --preset persistent-docker on this machine, or install systemd or cron.");
    }
    if (m.scope === "system" && !ctx.isRoot) {
      throw new HeadroomError("--scope system installs into /etc/systemd/system and needs root.", "Re-run with sudo, or use --scope user.");
    }
    const r = await ctx.run([...systemctl(m), "is-system-running"], { env: ctx.env, timeoutMs: 5000 });
    const answer = r.stdout.trim();
    if (!["running", "degraded", "starting", "initializing", "maintenance"].includes(answer)) {
      const why = (r.stderr.trim().split("\n")[0] || answer || `exit code ${r.code}`).replace(/\.$/, "");
      throw new HeadroomError(
        `The systemd ${m.scope === "system" ? "system" : "user"} manager does not answer (${why}).`,
        m.scope === "system" ? "Check that systemd is the init system." : "Log in through a session that starts `systemd --user` (XDG_RUNTIME_DIR must be set), or use --scope system as root.",
      );
    }
  },

  async hostFacts(ctx) {
    return { systemdVersion: await systemdVersion(ctx) };
  },

  render,

  async install(input) {
    const ctx = input.systemdVersion !== undefined ? input : { ...input, systemdVersion: await systemdVersion(input) };
    const m = ctx.manifest;
    const plan = render(ctx);
    const files = writePlanFiles(plan.files);
    const state: Record<string, unknown> = { kind: "systemd", unitDir: unitDir(m, ctx.env, ctx.home), units: units(m).all, files };
    if (m.preset !== "persistent-task") state.restart = { ...restartSchedule(ctx.systemdVersion), ...(ctx.systemdVersion ? { systemdVersion: ctx.systemdVersion } : {}) };
    try {
      // daemon-reload, then enable --now
      await runChecked(ctx.run, plan.commands[0]!, { env: ctx.env });
      await runChecked(ctx.run, [...systemctl(m), "reset-failed", ...units(m).all], { env: ctx.env }).catch(() => {});
      await runChecked(ctx.run, plan.commands[1]!, { env: ctx.env });
    } catch (err) {
      undoFileChanges(files);
      await ctx.run([...systemctl(m), "daemon-reload"], { env: ctx.env });
      throw err;
    }
    if (m.scope === "user") {
      const warnings: string[] = [];
      const before = await lingerState(ctx);
      state.linger = before;
      if (before === "no") {
        const r = await ctx.run(["loginctl", "enable-linger", userName(ctx.env)], { env: ctx.env, timeoutMs: 5000 });
        if (r.code === 0) {
          state.linger = "yes";
          state.lingerEnabledByHeadroom = true;
        } else {
          warnings.push(`Lingering is off for ${userName(ctx.env)}, so the service stops at logout and does not start at boot; enable it with \`${lingerHint(ctx.env)}\`.`);
        }
      } else if (before === "unknown") {
        warnings.push(`Could not ask logind whether lingering is on; if the service should run without a login session, run \`${lingerHint(ctx.env)}\`.`);
      }
      if (warnings.length) state.warnings = warnings;
    }
    return state;
  },

  async start(ctx) {
    const m = ctx.manifest;
    if (m.preset === "persistent-task") {
      // The schedule (possibly paused) comes back; the runtime is started by the caller via agent ensure.
      await runChecked(ctx.run, [...systemctl(m), "enable", "--now", timerUnitName(m.profile)], { env: ctx.env });
      return;
    }
    await runChecked(ctx.run, [...systemctl(m), "reset-failed", serviceUnitName(m.profile)], { env: ctx.env }).catch(() => {});
    await runChecked(ctx.run, [...systemctl(m), "start", serviceUnitName(m.profile)], { env: ctx.env });
  },

  async stop(ctx, opts) {
    const m = ctx.manifest;
    if (m.preset === "persistent-task") {
      if (opts?.pause) await runChecked(ctx.run, [...systemctl(m), "disable", "--now", timerUnitName(m.profile)], { env: ctx.env });
      await stopRuntimeProcess(m, ctx.env);
      return;
    }
    await runChecked(ctx.run, [...systemctl(m), "stop", serviceUnitName(m.profile)], { env: ctx.env });
    if (!(await waitPortFree(m.port))) throw new HeadroomError(`The service stopped but port ${m.port} is still in use.`);
  },

  async restart(ctx) {
    const m = ctx.manifest;
    if (m.preset === "persistent-task") {
      await stopRuntimeProcess(m, ctx.env);
      return; // the caller runs agent ensure
    }
    // systemctl restart stops (waits for the old process to exit) and starts again.
    await runChecked(ctx.run, [...systemctl(m), "reset-failed", serviceUnitName(m.profile)], { env: ctx.env }).catch(() => {});
    await runChecked(ctx.run, [...systemctl(m), "restart", serviceUnitName(m.profile)], { env: ctx.env });
  },

  async uninstall(ctx) {
    const m = ctx.manifest;
    const sc = systemctl(m);
    const errors: string[] = [];
    const all = units(m).all;
    const r = await ctx.run([...sc, "disable", "--now", ...all], { env: ctx.env, timeoutMs: 30_000 });
    if (r.code !== 0 && !/not loaded|does not exist|No such file/i.test(r.stderr)) errors.push(`systemctl disable: ${r.stderr.trim().split("\n")[0]}`);
    if (m.preset === "persistent-task") await stopRuntimeProcess(m, ctx.env);
    const recorded = stateFiles(m);
    const plan = render(ctx);
    const paths = new Set([...recorded.map((f) => f.path), ...plan.files.map((f) => f.path)]);
    errors.push(...undoFileChanges([...paths].map((path) => ({ path, existed: false }))));
    await ctx.run([...sc, "daemon-reload"], { env: ctx.env });
    await ctx.run([...sc, "reset-failed", ...all], { env: ctx.env });
    if (m.supervisorState?.lingerEnabledByHeadroom === true) {
      const d = await ctx.run(["loginctl", "disable-linger", userName(ctx.env)], { env: ctx.env, timeoutMs: 5000 });
      if (d.code !== 0) errors.push(`could not turn lingering back off (\`loginctl disable-linger ${userName(ctx.env)}\`)`);
    }
    if (errors.length) throw new HeadroomError(`Removing the systemd units was incomplete: ${errors.join("; ")}.`);
  },

  async status(ctx): Promise<SupervisorStatus> {
    const m = ctx.manifest;
    const problems: string[] = [];
    if (m.preset === "persistent-task") {
      const [t, e, linger] = await Promise.all([
        show(ctx, timerUnitName(m.profile)),
        show(ctx, ensureUnitName(m.profile)),
        m.scope === "user" ? lingerState(ctx) : Promise.resolve("yes" as const),
      ]);
      const installed = t.LoadState === "loaded";
      if (!installed) problems.push(`The watchdog timer ${timerUnitName(m.profile)} is not installed.`);
      else if (t.ActiveState !== "active") problems.push(`The watchdog timer ${timerUnitName(m.profile)} is ${t.ActiveState}${m.supervisorState?.paused ? " (paused by `install stop --pause`)" : ""}.`);
      if (e.Result && e.Result !== "success") problems.push(`The last watchdog run ended with ${e.Result}.`);
      if (linger !== "yes") problems.push(linger === "no" ? `Lingering is off, so the watchdog does not run without a login session; run \`${lingerHint(ctx.env)}\`.` : `Lingering could not be checked (logind does not answer); without it the watchdog does not run without a login session.`);
      return { kind: "systemd-timer", installed, state: t.ActiveState || "unknown", running: t.ActiveState === "active", problems, details: { timer: t, ensure: e, linger, units: units(m).all } };
    }
    const [s, linger] = await Promise.all([
      show(ctx, serviceUnitName(m.profile)),
      m.scope === "user" ? lingerState(ctx) : Promise.resolve("yes" as const),
    ]);
    const installed = s.LoadState === "loaded";
    const pid = Number(s.MainPID) > 0 ? Number(s.MainPID) : undefined;
    const restarts = s.NRestarts !== undefined && s.NRestarts !== "" ? Number(s.NRestarts) : undefined;
    // Wherever the unit writes (the journal; runner.log for a unit of an older headroom), this shows it.
    const log = `\`headroom install logs --profile ${m.profile}\``;
    const unit = serviceUnitName(m.profile);
    const recorded = m.supervisorState?.restart as RestartSchedule | undefined;
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
    if (linger !== "yes") problems.push(linger === "no" ? `Lingering is off, so the service stops at logout and does not start at boot; run \`${lingerHint(ctx.env)}\`.` : `Lingering could not be checked (logind does not answer); without it a user service does not start at boot.`);
    return {
      kind: "systemd",
      installed,
      state: s.SubState ? `${s.ActiveState} (${s.SubState})` : s.ActiveState || "unknown",
      running: s.ActiveState === "active" && s.SubState === "running",
      pid,
      restarts,
      problems,
      ...(ifUnhealthy ? { ifUnhealthy } : {}),
      details: { unit: serviceUnitName(m.profile), linger, ...s },
    };
  },
});
