// What the two launchd adapters share (launchd-keepalive.ts: a job with RunAtLoad +
// KeepAlive that runs the runtime; launchd-interval.ts: the same label running `agent
// ensure` at load and every N minutes). User scope is a LaunchAgent in the gui/<uid>
// domain, system scope a LaunchDaemon in the system domain (root). Steps carry
// launchctl's own exit codes: 3 (ESRCH) = not loaded / already stopped, 5 (EIO) =
// bootstrap raced a bootout still in progress (retried), 113 = not found in the domain.
import { HeadroomError } from "../../errors.ts";
import type { CommandResult } from "../../host/exec.ts";
import { which } from "../../host/exec.ts";
import type { Plan, RunStep } from "../steps.ts";
import { run } from "../steps.ts";
import { launchdDomain, launchdTarget, plistPath } from "./launchd-job.ts";
import { type PlistValue, renderPlist } from "./launchd-plist.ts";
import { type LaunchdPrint, parseLaunchctlPrint } from "./launchd-print.ts";
import type { SupervisorContext, SupervisorStatus } from "./types.ts";

export const LAUNCHCTL_ESRCH = 3;
export const LAUNCHCTL_EIO = 5;
export const LAUNCHCTL_NOT_FOUND = 113;

/** How long bootstrap is retried while launchd answers EIO, and how often. */
export const BOOTSTRAP_RETRY = { forMs: 15_000, everyMs: 500 };

function firstLine(r: CommandResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n")[0]?.trim() || `exit code ${r.code}`;
}

const target = (ctx: SupervisorContext) => launchdTarget(ctx.manifest, ctx.uid);

/** bootout; "not loaded" (ESRCH, 113) is done already. */
export function bootoutStep(ctx: SupervisorContext): RunStep {
  const t = target(ctx);
  return run(["launchctl", "bootout", t], { ok: [0, LAUNCHCTL_ESRCH, LAUNCHCTL_NOT_FOUND], error: (r) => new HeadroomError(`\`launchctl bootout ${t}\` failed: ${firstLine(r)}.`) });
}

/** enable: clears a `launchctl disable` left in the override database. */
export function enableStep(ctx: SupervisorContext): RunStep {
  const t = target(ctx);
  return run(["launchctl", "enable", t], { error: (r) => new HeadroomError(`\`launchctl enable ${t}\` failed: ${firstLine(r)}.`) });
}

/** bootstrap, retried while launchd answers EIO (the previous instance is still being torn down). */
export function bootstrapStep(ctx: SupervisorContext, sets?: RunStep["sets"]): RunStep {
  const m = ctx.manifest;
  const domain = launchdDomain(m, ctx.uid);
  const args = ["bootstrap", domain, plistPath(m, ctx.home)];
  return run(["launchctl", ...args], {
    retry: { codes: [LAUNCHCTL_EIO], ...BOOTSTRAP_RETRY },
    ...(sets ? { sets } : {}),
    error: (r) => {
      const t = target(ctx);
      const hint =
        r.code === LAUNCHCTL_EIO
          ? `launchd kept answering EIO: check \`launchctl print ${t}\` and \`launchctl print-disabled ${domain}\` (a disabled job is enabled with \`launchctl enable ${t}\`).`
          : m.scope === "user"
            ? `A LaunchAgent needs the logged-in user's ${domain} domain; without a desktop login (e.g. over SSH), use --scope system with sudo.`
            : undefined;
      return new HeadroomError(`\`launchctl ${args.join(" ")}\` failed: ${firstLine(r)}.`, hint);
    },
  });
}

/** kickstart [-k]; a service that is not loaded (113, ESRCH) is bootstrapped instead (RunAtLoad starts it). */
export function kickstartStep(ctx: SupervisorContext, kill: boolean): RunStep {
  const t = target(ctx);
  return run(["launchctl", "kickstart", ...(kill ? ["-k"] : []), t], {
    otherwise: { codes: [LAUNCHCTL_NOT_FOUND, LAUNCHCTL_ESRCH], then: bootstrapStep(ctx) },
    error: (r) => new HeadroomError(`\`launchctl kickstart ${kill ? "-k " : ""}${t}\` failed: ${firstLine(r)}.`),
  });
}

function launchctlPrint(ctx: SupervisorContext): Promise<CommandResult> {
  return ctx.run(["launchctl", "print", target(ctx)], { env: ctx.env, timeoutMs: 30_000 });
}

export async function isLoaded(ctx: SupervisorContext): Promise<boolean> {
  return (await launchctlPrint(ctx)).code === 0;
}

export async function preflightLaunchd(ctx: SupervisorContext, render: (ctx: SupervisorContext) => unknown): Promise<void> {
  if (ctx.manifest.scope === "system" && !ctx.isRoot) {
    throw new HeadroomError("--scope system installs a LaunchDaemon in /Library/LaunchDaemons and needs root.", "Re-run with sudo, or use --scope user.");
  }
  if (!which("launchctl", ctx.env)) throw new HeadroomError("launchctl was not found on PATH, so no launchd job can be installed.", "Run this on macOS with /bin in PATH.");
  render(ctx); // refuses values a plist cannot carry before anything changes
}

/**
 * Install: a job already loaded under this label (a previous apply) is unloaded first so
 * the new plist is read; the plist is written; `enable` (apply is an explicit request to
 * run it); bootstrap, which loads and so starts it.
 */
export function installPlan(ctx: SupervisorContext, job: Record<string, PlistValue>): Plan {
  const m = ctx.manifest;
  const path = plistPath(m, ctx.home);
  return {
    steps: [bootoutStep(ctx), { do: "write", path, content: renderPlist(job), mode: 0o644 }, enableStep(ctx), bootstrapStep(ctx)],
    record: { kind: "launchd", label: job.Label, domain: launchdDomain(m, ctx.uid), plist: path },
  };
}

/**
 * The job as `launchctl print` shows it. `notLoaded` is the sentence when it is not
 * loaded; `judge` reads a loaded job's state into problems and whether it counts as running.
 */
export async function jobStatus(
  ctx: SupervisorContext,
  notLoaded: string,
  judge: (p: LaunchdPrint, state: string) => { problems: string[]; running: boolean },
): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const target = launchdTarget(m, ctx.uid);
  const plist = plistPath(m, ctx.home);
  const r = await launchctlPrint(ctx);
  if (r.code !== 0) return { kind: "launchd", installed: false, state: "not loaded", running: false, problems: [notLoaded], details: { target, plist } };
  const p = parseLaunchctlPrint(r.stdout);
  const state = p.state ?? "unknown";
  const { problems, running } = judge(p, state);
  return {
    kind: "launchd",
    installed: true,
    state,
    running,
    pid: p.pid,
    restarts: p.runs !== undefined ? Math.max(0, p.runs - 1) : undefined,
    problems,
    details: { target, plist, runs: p.runs, lastExitCode: p.lastExitCode, lastSignal: p.lastSignal },
  };
}
