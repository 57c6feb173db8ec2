// cron (Linux without systemd as init, persistent-task): the watchdog's schedule as a
// marker-fenced block in the user's crontab (read with `crontab -l`, written whole with
// `crontab -`), or /etc/cron.d/headroom-<p> for the system scope. The user's own
// crontab lines are kept byte for byte. Rendering is pure; the crontab is read before
// the plan is made, so the plan carries the exact text `crontab -` receives.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { HeadroomError, errorMessage } from "../../errors.ts";
import { which } from "../../host/exec.ts";
import { runnerLogPath } from "../../paths.ts";
import type { Manifest } from "../manifest.ts";
import { agentArgv } from "../runtime-launchers.ts";
import { type RunStep, type Step, run } from "../steps.ts";
import { watchdogRuntime } from "./runtime-watch.ts";
import { pausedOf } from "./state.ts";
import type { Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";

export const beginMarker = (profile: string) => `# >>> headroom persistent task ${profile} >>>`;
export const endMarker = (profile: string) => `# <<< headroom persistent task ${profile} <<<`;

/** POSIX sh single-quoting, with cron's % escaped. */
export function cronShellWord(word: string): string {
  const q = /^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return q.replace(/%/g, "\\%");
}

function commandLine(m: Manifest, argv: string[], log: string): string {
  const env = `HEADROOM_WORKSPACE_DIR=${cronShellWord(m.workspaceDir)}`;
  return `${env} ${argv.map(cronShellWord).join(" ")} >>${cronShellWord(log)} 2>&1`;
}

/** The schedule lines: at boot and every N minutes. `user` adds the /etc/cron.d user field. */
export function renderCronLines(m: Manifest, argv: string[], log: string, user?: string): string[] {
  const u = user ? `${user} ` : "";
  const cmd = commandLine(m, argv, log);
  const every = m.interval >= 60 && m.interval % 60 === 0 ? `0 */${m.interval / 60} * * *` : `*/${m.interval} * * * *`;
  return [`@reboot ${u}${cmd}`, `${every} ${u}${cmd}`];
}

/** The marker-fenced block for a user crontab (ends with a newline). */
export function renderCronBlock(m: Manifest, argv: string[], log: string): string {
  return [beginMarker(m.profile), ...renderCronLines(m, argv, log), endMarker(m.profile)].join("\n") + "\n";
}

/** The /etc/cron.d file for the system scope. */
export function renderCronDFile(m: Manifest, argv: string[], log: string): string {
  return [
    `# Managed by headroom (profile ${m.profile}); \`headroom install remove\` deletes it.`,
    "SHELL=/bin/sh",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...renderCronLines(m, argv, log, "root"),
    "",
  ].join("\n");
}

/** Removes this profile's block (marker lines inclusive); every other byte is kept. */
export function removeCronBlock(current: string, profile: string): string {
  const lines = current.split(/(?<=\n)/);
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const bare = line.replace(/\r?\n$/, "");
    if (!inside && bare === beginMarker(profile)) { inside = true; continue; }
    if (inside) { if (bare === endMarker(profile)) inside = false; continue; }
    out.push(line);
  }
  return out.join("");
}

/** Replaces (or appends) this profile's block. */
export function spliceCronBlock(current: string, block: string, profile: string): string {
  const lines = current.split(/(?<=\n)/);
  const start = lines.findIndex((l) => l.replace(/\r?\n$/, "") === beginMarker(profile));
  if (start >= 0) {
    const end = lines.findIndex((l, i) => i > start && l.replace(/\r?\n$/, "") === endMarker(profile));
    if (end >= 0) return [...lines.slice(0, start), block, ...lines.slice(end + 1)].join("");
  }
  const base = current === "" || current.endsWith("\n") ? current : `${current}\n`;
  return base + block;
}

export const cronDPath = (profile: string) => `/etc/cron.d/headroom-${profile}`;

function logOf(ctx: SupervisorContext): string {
  return runnerLogPath(ctx.manifest.profile, { ...ctx.env, HEADROOM_WORKSPACE_DIR: ctx.manifest.workspaceDir });
}

const watchdog = (m: Manifest) => agentArgv(m, "ensure");

async function readCrontab(ctx: SupervisorContext): Promise<string> {
  const r = await ctx.run(["crontab", "-l"], { env: ctx.env, timeoutMs: 10_000 });
  if (r.code === 0) return r.stdout;
  if (/no crontab/i.test(r.stderr)) return "";
  throw new HeadroomError(`\`crontab -l\` failed: ${r.stderr.trim().split("\n")[0] || `exit code ${r.code}`}`);
}

/** The step that makes the user's crontab `next` (an empty one is removed, not written). */
function crontabStep(ctx: SupervisorContext, current: string, next: string): RunStep[] {
  if (next === current) return [];
  const what = `crontab of ${ctx.env.USER ?? `uid ${ctx.uid}`}`;
  if (next === "") return [run(["crontab", "-r"], { timeoutMs: 10_000, alsoOk: { when: "there is no crontab", test: (r) => /no crontab/i.test(r.stderr) }, error: (r) => new HeadroomError(`\`crontab -r\` failed: ${r.stderr.trim().split("\n")[0]}`) })];
  return [run(["crontab", "-"], { timeoutMs: 10_000, stdin: { text: next, replaces: current, what } })];
}

/** The steps that put the schedule in place, given the crontab as it is now. */
function scheduleSteps(ctx: SupervisorContext, crontab: string): Step[] {
  const m = ctx.manifest;
  if (m.scope === "system") return [{ do: "write", path: cronDPath(m.profile), content: renderCronDFile(m, watchdog(m), logOf(ctx)), mode: 0o644 }];
  return crontabStep(ctx, crontab, spliceCronBlock(crontab, renderCronBlock(m, watchdog(m), logOf(ctx)), m.profile));
}

/** The steps that take the schedule out; for the user scope the crontab is read first. */
async function unscheduleSteps(ctx: SupervisorContext): Promise<Step[]> {
  const m = ctx.manifest;
  if (m.scope === "system") return [{ do: "remove", path: cronDPath(m.profile) }];
  const current = await readCrontab(ctx);
  return crontabStep(ctx, current, removeCronBlock(current, m.profile));
}

function cronDaemonRunning(): boolean {
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        if (comm === "cron" || comm === "crond" || comm === "busybox-crond") return true;
      } catch {}
    }
  } catch {
    return true; // cannot tell; do not warn
  }
  return false;
}

async function status(ctx: SupervisorContext): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const problems: string[] = [];
  let installed: boolean;
  if (m.scope === "system") installed = existsSync(cronDPath(m.profile));
  else {
    try {
      installed = (await readCrontab(ctx)).split("\n").includes(beginMarker(m.profile));
    } catch (err) {
      installed = false;
      problems.push(errorMessage(err));
    }
  }
  if (!installed) problems.push(pausedOf(m.supervisorState) ? "The watchdog schedule is paused (`install stop --pause`); `install start` puts it back." : "The watchdog cron schedule is missing.");
  const daemon = cronDaemonRunning();
  if (!daemon) problems.push("No cron daemon is running, so the watchdog never fires; start cron.");
  return { kind: "cron", installed, state: installed ? (daemon ? "scheduled" : "scheduled (cron not running)") : "not scheduled", running: installed && daemon, problems, details: { interval: m.interval } };
}

export const cronSupervisor = (): Supervisor => ({
  name: "cron",
  kind: "cron",

  async preflight(ctx) {
    const m = ctx.manifest;
    if (m.scope === "system") {
      if (!ctx.isRoot) throw new HeadroomError("--scope system writes /etc/cron.d and needs root.", "Re-run with sudo, or use --scope user.");
      if (!existsSync("/etc/cron.d")) throw new HeadroomError("/etc/cron.d does not exist, so no system cron job can be installed.", "Install cron (e.g. `apt-get install cron`).");
      return;
    }
    if (!which("crontab", ctx.env)) {
      throw new HeadroomError("Neither a systemd user manager nor `crontab` is available, so the watchdog cannot be scheduled.", which("systemctl", ctx.env) ? "Install cron (e.g. `apt-get install cron`) or use --preset persistent-service / persistent-docker." : "Install cron (e.g. `apt-get install cron`) or use --preset persistent-docker.");
    }
    await readCrontab(ctx);
  },

  async hostFacts(ctx) {
    return ctx.manifest.scope === "system" ? {} : { crontab: await readCrontab(ctx) };
  },

  install(ctx) {
    const m = ctx.manifest;
    const record = m.scope === "system" ? { kind: "cron", cronFile: cronDPath(m.profile) } : { kind: "cron", crontab: "user" };
    // The watchdog starts the runtime now (the manifest it reads is saved before the supervisor is installed).
    return { steps: [...scheduleSteps(ctx, ctx.facts.crontab ?? ""), { do: "ensure-runtime" }], record };
  },

  async start(ctx) {
    // A paused schedule comes back, and the watchdog starts the runtime now.
    const resume = pausedOf(ctx.manifest.supervisorState) ? scheduleSteps(ctx, ctx.manifest.scope === "system" ? "" : await readCrontab(ctx)) : [];
    return { steps: [...resume, { do: "ensure-runtime" }], record: resume.length ? { paused: false } : {} };
  },

  async stop(ctx, opts) {
    const pause = opts?.pause ? await unscheduleSteps(ctx) : [];
    return { steps: [...pause, { do: "stop-runtime" }], record: opts?.pause ? { paused: true } : {} };
  },

  async restart() {
    return { steps: [{ do: "stop-runtime" }, { do: "ensure-runtime" }] };
  },

  async uninstall(ctx) {
    const failed: string[] = [];
    const unschedule = await unscheduleSteps(ctx).catch((err) => {
      failed.push(errorMessage(err));
      return [] as Step[];
    });
    return { steps: [...unschedule, { do: "stop-runtime" }], bestEffort: "Removing the cron schedule was incomplete", failed };
  },

  ...watchdogRuntime(status),
});
