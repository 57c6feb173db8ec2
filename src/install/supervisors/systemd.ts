// What the two systemd adapters share (systemd-service.ts: one unit with
// Restart=on-failure that runs the runtime; systemd-timer.ts: a oneshot `agent ensure`
// unit and a timer). The unit renderers are pure; queries (version, linger, unit state)
// go through ctx.run or the context's unit reader. User scope uses `systemctl --user` and
// ${XDG_CONFIG_HOME:-~/.config}/systemd/user; system scope /etc/systemd/system (root).
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { HeadroomError } from "../../errors.ts";
import type { Env } from "../../host/env.ts";
import { which } from "../../host/exec.ts";
import type { Manifest } from "../manifest.ts";
import { type RunStep, type Step, run } from "../steps.ts";
import { type Linger, lingerIsOurs, recordedFiles } from "./state.ts";
import { MANAGER_UP_STATES } from "./manager-states.ts";
import { statusProperties } from "./systemd-bus.ts";
import type { SupervisorContext } from "./types.ts";

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
export function renderServiceUnit(m: Manifest, exec: string[], systemdVersion?: number, beforeStart?: string[]): string {
  const env = Object.entries(unitEnvironment(m)).map(([k, v]) => environmentLine(k, v));
  const schedule = restartSchedule(systemdVersion);
  // What must run first (a foreground container's stale namesake goes); "-" ignores its failure.
  const pre = beforeStart ? [`ExecStartPre=-${execLine(beforeStart)}`] : [];
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

export function systemctl(m: Pick<Manifest, "scope">): string[] {
  return m.scope === "system" ? ["systemctl"] : ["systemctl", "--user"];
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
export async function lingerState(ctx: Pick<SupervisorContext, "env" | "run">): Promise<Linger> {
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


// ---- what both adapters do ------------------------------------------------------------


/** Refuses before anything changes: no systemctl, system scope without root, a manager that does not answer. */
export async function preflightSystemd(ctx: SupervisorContext, missingHint: string): Promise<void> {
  const m = ctx.manifest;
  if (!which("systemctl", ctx.env)) throw new HeadroomError("systemctl was not found, so a systemd unit cannot be installed.", missingHint);
  if (m.scope === "system" && !ctx.isRoot) {
    throw new HeadroomError("--scope system installs into /etc/systemd/system and needs root.", "Re-run with sudo, or use --scope user.");
  }
  const r = await ctx.run([...systemctl(m), "is-system-running"], { env: ctx.env, timeoutMs: 5000 });
  const answer = r.stdout.trim();
  if (!MANAGER_UP_STATES.includes(answer)) {
    const why = (r.stderr.trim().split("\n")[0] || answer || `exit code ${r.code}`).replace(/\.$/, "");
    throw new HeadroomError(
      `The systemd ${m.scope === "system" ? "system" : "user"} manager does not answer (${why}).`,
      m.scope === "system" ? "Check that systemd is the init system." : "Log in through a session that starts `systemd --user` (XDG_RUNTIME_DIR must be set), or use --scope system as root.",
    );
  }
}

/** What an install asks the host before it renders: the version (restart back-off) and, for the user scope, lingering. */
export async function systemdFacts(ctx: SupervisorContext): Promise<Partial<SupervisorContext["facts"]>> {
  const [version, linger] = await Promise.all([systemdVersion(ctx), ctx.manifest.scope === "user" ? lingerState(ctx) : Promise.resolve(undefined)]);
  return { systemdVersion: version, ...(linger ? { linger } : {}) };
}

/**
 * The install steps after the unit files: daemon-reload (undone by another one once the
 * files are gone), reset-failed (a unit left failed by an earlier install would not
 * start), enable --now; then, for the user scope, lingering when logind says it is off.
 */
export function enableSteps(ctx: SupervisorContext, units: string[], main: string): { steps: RunStep[]; warnings: string[]; record: Record<string, unknown> } {
  const m = ctx.manifest;
  const sc = systemctl(m);
  const steps: RunStep[] = [run([...sc, "daemon-reload"]), run([...sc, "reset-failed", ...units], { onFail: "ignore" }), run([...sc, "enable", "--now", main])];
  const warnings: string[] = [];
  const record: Record<string, unknown> = {};
  if (m.scope === "user") {
    const user = userName(ctx.env);
    const linger = ctx.facts.linger ?? "unknown";
    record.linger = linger;
    if (linger === "no") {
      steps.push(
        run(["loginctl", "enable-linger", user], {
          timeoutMs: 5000,
          onFail: { warn: `Lingering is off for ${user}, so the service stops at logout and does not start at boot; enable it with \`${lingerHint(ctx.env)}\`.` },
          sets: { linger: "yes", lingerEnabledByHeadroom: true },
        }),
      );
    } else if (linger === "unknown") {
      warnings.push(`Could not ask logind whether lingering is on; if the service should run without a login session, run \`${lingerHint(ctx.env)}\`.`);
    }
  }
  return { steps, warnings, record };
}

/** What undoes a failed install: the files are gone, so the manager reloads. */
export const reloadAfterUndo = (ctx: SupervisorContext): RunStep[] => [run([...systemctl(ctx.manifest), "daemon-reload"])];

/** Removal: disable and stop, the unit files (recorded and rendered), reload, forget failures, lingering headroom turned on. */
export function removeUnitSteps(ctx: SupervisorContext, units: string[], rendered: string[]): { disable: RunStep; rest: Step[] } {
  const m = ctx.manifest;
  const sc = systemctl(m);
  const state = m.supervisorState;
  const recorded = recordedFiles(state).map((f) => f.path);
  const paths = [...new Set([...recorded, ...rendered])];
  const user = userName(ctx.env);
  return {
    disable: run([...sc, "disable", "--now", ...units], {
      alsoOk: { when: "the unit is not loaded", test: (r) => /not loaded|does not exist|No such file/i.test(r.stderr) },
      error: (r) => new HeadroomError(`systemctl disable: ${r.stderr.trim().split("\n")[0]}`),
    }),
    rest: [
      ...paths.map((path) => ({ do: "remove" as const, path })),
      run([...sc, "daemon-reload"], { onFail: "ignore" }),
      run([...sc, "reset-failed", ...units], { onFail: "ignore" }),
      ...(lingerIsOurs(state)
        ? [run(["loginctl", "disable-linger", user], { timeoutMs: 5000, error: () => new HeadroomError(`could not turn lingering back off (\`loginctl disable-linger ${user}\`)`) })]
        : []),
    ],
  };
}

/** `systemctl show` for the properties status reads: through the context's unit reader (systemd's private socket) when it answers, else systemctl. */
export async function show(ctx: SupervisorContext, unit: string): Promise<Record<string, string>> {
  if (ctx.readUnit) {
    const answer = await ctx.readUnit(unit).catch(() => null);
    if (answer) return answer;
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

/** The lingering line status prints when a user unit would not outlive the session: `off` and `unknown` end "so ..." / "without it ...". */
export function lingerProblem(linger: Linger, ctx: SupervisorContext, said: { off: string; unknown: string }): string | null {
  if (linger === "yes") return null;
  return linger === "no" ? `Lingering is off, so ${said.off}; run \`${lingerHint(ctx.env)}\`.` : `Lingering could not be checked (logind does not answer); without it ${said.unknown}.`;
}
