// cron watchdog (Linux without systemd as init): the persistent-task schedule as a
// marker-fenced block in the user's crontab (`crontab -l` / `crontab -`), or
// /etc/cron.d/headroom-<p> for the system scope. The user's own crontab lines are kept
// byte for byte. Rendering is pure; acting goes through ctx.run.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { HeadroomError } from "../../errors.ts";
import { which } from "../../host/exec.ts";
import { runnerLogPath } from "../../paths.ts";
import { runChecked, undoFileChanges, writePlanFiles } from "../executor.ts";
import type { Manifest } from "../manifest.ts";
import { watchdogArgv } from "../runtime-command.ts";
import { stopRuntimeProcess } from "../runtime-process.ts";
import type { Supervisor, SupervisorContext, SupervisorPlan, SupervisorStatus } from "./types.ts";

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

function render(ctx: SupervisorContext): SupervisorPlan {
  const m = ctx.manifest;
  if (m.scope === "system") return { files: [{ path: cronDPath(m.profile), content: renderCronDFile(m, watchdogArgv(ctx), logOf(ctx)), mode: 0o644 }], commands: [] };
  return {
    files: [{ path: `crontab (user ${ctx.env.USER ?? ctx.uid}, block "${m.profile}")`, content: renderCronBlock(m, watchdogArgv(ctx), logOf(ctx)) }],
    commands: [["crontab", "-l"], ["crontab", "-"]],
  };
}

async function readCrontab(ctx: SupervisorContext): Promise<string> {
  const r = await ctx.run(["crontab", "-l"], { env: ctx.env, timeoutMs: 10_000 });
  if (r.code === 0) return r.stdout;
  if (/no crontab/i.test(r.stderr)) return "";
  throw new HeadroomError(`\`crontab -l\` failed: ${r.stderr.trim().split("\n")[0] || `exit code ${r.code}`}`);
}

async function writeCrontab(ctx: SupervisorContext, text: string): Promise<void> {
  if (text === "") {
    const r = await ctx.run(["crontab", "-r"], { env: ctx.env, timeoutMs: 10_000 });
    if (r.code !== 0 && !/no crontab/i.test(r.stderr)) throw new HeadroomError(`\`crontab -r\` failed: ${r.stderr.trim().split("\n")[0]}`);
    return;
  }
  await runChecked(ctx.run, ["crontab", "-"], { env: ctx.env, input: text });
}

async function addSchedule(ctx: SupervisorContext): Promise<Record<string, unknown>> {
  const m = ctx.manifest;
  if (m.scope === "system") {
    const files = writePlanFiles(render(ctx).files);
    return { kind: "cron", cronFile: cronDPath(m.profile), files };
  }
  const current = await readCrontab(ctx);
  const next = spliceCronBlock(current, renderCronBlock(m, watchdogArgv(ctx), logOf(ctx)), m.profile);
  if (next !== current) await writeCrontab(ctx, next);
  return { kind: "cron", crontab: "user" };
}

async function removeSchedule(ctx: SupervisorContext): Promise<void> {
  const m = ctx.manifest;
  if (m.scope === "system") {
    const failures = undoFileChanges([{ path: cronDPath(m.profile), existed: false }]);
    if (failures.length) throw new HeadroomError(failures.join("; "));
    return;
  }
  const current = await readCrontab(ctx);
  const next = removeCronBlock(current, m.profile);
  if (next !== current) await writeCrontab(ctx, next);
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

export const cronSupervisor = (): Supervisor => ({
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

  render,

  install: addSchedule,

  async start(ctx) {
    // Puts a paused schedule back; the caller starts the runtime through agent ensure.
    await addSchedule(ctx);
  },

  async stop(ctx, opts) {
    if (opts?.pause) await removeSchedule(ctx);
    await stopRuntimeProcess(ctx.manifest, ctx.env);
  },

  async restart(ctx) {
    await stopRuntimeProcess(ctx.manifest, ctx.env);
  },

  async uninstall(ctx) {
    const errors: string[] = [];
    await removeSchedule(ctx).catch((err) => errors.push((err as Error).message));
    await stopRuntimeProcess(ctx.manifest, ctx.env);
    if (errors.length) throw new HeadroomError(`Removing the cron schedule was incomplete: ${errors.join("; ")}`);
  },

  async status(ctx): Promise<SupervisorStatus> {
    const m = ctx.manifest;
    const problems: string[] = [];
    let installed: boolean;
    if (m.scope === "system") installed = existsSync(cronDPath(m.profile));
    else {
      try {
        installed = (await readCrontab(ctx)).split("\n").includes(beginMarker(m.profile));
      } catch (err) {
        installed = false;
        problems.push((err as Error).message);
      }
    }
    if (!installed) problems.push(m.supervisorState?.paused ? "The watchdog schedule is paused (`install stop --pause`); `install start` puts it back." : "The watchdog cron schedule is missing.");
    const daemon = cronDaemonRunning();
    if (!daemon) problems.push("No cron daemon is running, so the watchdog never fires; start cron.");
    return { kind: "cron", installed, state: installed ? (daemon ? "scheduled" : "scheduled (cron not running)") : "not scheduled", running: installed && daemon, problems, details: { interval: m.interval } };
  },
});
