// launchd supervisor (macOS). persistent-service: a job with RunAtLoad + KeepAlive that
// runs `headroom install agent run`; persistent-task: the same label running `agent ensure`
// at load and every N minutes (StartInterval). User scope is a LaunchAgent in the
// gui/<uid> domain, system scope a LaunchDaemon in the system domain (root).
// Rendering is pure (launchd-job.ts); acting goes through ctx.run with launchctl's own
// exit codes: 3 (ESRCH) = not loaded / already stopped, 5 (EIO) = bootstrap raced a
// bootout still in progress (retried), 113 = service not found in the domain.
import { HeadroomError } from "../../errors.ts";
import { which } from "../../host/exec.ts";
import { isPortOpen, waitFor } from "../../host/net.ts";
import { type FileChange, undoFileChanges, writePlanFiles } from "../executor.ts";
import { stopRuntimeProcess } from "../runtime-process.ts";
import { THROTTLE_INTERVAL, launchdDomain, launchdLabel, launchdRunnerLog, launchdTarget, plistPath, renderLaunchdPlist } from "./launchd-job.ts";
import { parseLaunchctlPrint } from "./launchd-print.ts";
import type { Supervisor, SupervisorContext, SupervisorPlan, SupervisorStatus } from "./types.ts";

export const LAUNCHCTL_ESRCH = 3;
export const LAUNCHCTL_EIO = 5;
export const LAUNCHCTL_NOT_FOUND = 113;

export interface LaunchdOptions {
  /** Waits between bootstrap retries (injectable so tests do not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** How long bootstrap keeps retrying on EIO. */
  bootstrapRetryMs?: number;
  retryDelayMs?: number;
  /** Resolves true once the port is free (after stop). */
  waitPortFree?: (port: number) => Promise<boolean>;
  /** Stops the detached runtime of the task preset (no supervisor tracks it). */
  stopRuntime?: (ctx: SupervisorContext) => Promise<unknown>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const defaultWaitPortFree = async (port: number) => (await waitFor(async () => !(await isPortOpen(port, "127.0.0.1", 300)), 15_000, 50)) !== null;

function firstLine(r: { stdout: string; stderr: string; code: number }): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n")[0]?.trim() || `exit code ${r.code}`;
}

/** Pure: the plist and the commands that load (and so start) it. */
export function renderLaunchd(ctx: SupervisorContext): SupervisorPlan {
  const m = ctx.manifest;
  const path = plistPath(m, ctx.home);
  return {
    files: [{ path, content: renderLaunchdPlist(ctx), mode: 0o644 }],
    commands: [
      ["launchctl", "bootout", launchdTarget(m, ctx.uid)],
      ["launchctl", "enable", launchdTarget(m, ctx.uid)],
      ["launchctl", "bootstrap", launchdDomain(m, ctx.uid), path],
    ],
  };
}

export function launchdSupervisor(opts: LaunchdOptions = {}): Supervisor {
  const sleep = opts.sleep ?? defaultSleep;
  const retryMs = opts.bootstrapRetryMs ?? 15_000;
  const delayMs = opts.retryDelayMs ?? 500;
  const waitPortFree = opts.waitPortFree ?? defaultWaitPortFree;
  const stopRuntime = opts.stopRuntime ?? ((ctx: SupervisorContext) => stopRuntimeProcess(ctx.manifest, { ...ctx.env, HEADROOM_WORKSPACE_DIR: ctx.manifest.workspaceDir }));

  const launchctl = (ctx: SupervisorContext, args: string[]) => ctx.run(["launchctl", ...args], { env: ctx.env, timeoutMs: 30_000 });

  /** bootout; true when it unloaded something, false when nothing was loaded. Other failures throw. */
  async function bootout(ctx: SupervisorContext): Promise<boolean> {
    const r = await launchctl(ctx, ["bootout", launchdTarget(ctx.manifest, ctx.uid)]);
    if (r.code === 0) return true;
    if (r.code === LAUNCHCTL_ESRCH || r.code === LAUNCHCTL_NOT_FOUND) return false;
    throw new HeadroomError(`\`launchctl bootout ${launchdTarget(ctx.manifest, ctx.uid)}\` failed: ${firstLine(r)}.`);
  }

  /** bootstrap, retried while launchd answers EIO (the previous instance is still being torn down). */
  async function bootstrap(ctx: SupervisorContext): Promise<void> {
    const argv = ["bootstrap", launchdDomain(ctx.manifest, ctx.uid), plistPath(ctx.manifest, ctx.home)];
    let waited = 0;
    for (;;) {
      const r = await launchctl(ctx, argv);
      if (r.code === 0) return;
      if (r.code !== LAUNCHCTL_EIO || waited >= retryMs) {
        const target = launchdTarget(ctx.manifest, ctx.uid);
        const hint =
          r.code === LAUNCHCTL_EIO
            ? `launchd kept answering EIO: check \`launchctl print ${target}\` and \`launchctl print-disabled ${launchdDomain(ctx.manifest, ctx.uid)}\` (a disabled job is enabled with \`launchctl enable ${target}\`).`
            : ctx.manifest.scope === "user"
              ? `A LaunchAgent needs the logged-in user's ${launchdDomain(ctx.manifest, ctx.uid)} domain; without a desktop login (e.g. over SSH), use --scope system with sudo.`
              : undefined;
        throw new HeadroomError(`\`launchctl ${argv.join(" ")}\` failed: ${firstLine(r)}.`, hint);
      }
      await sleep(delayMs);
      waited += delayMs;
    }
  }

  /** kickstart [-k]; when the service is not loaded (113), bootstrap it instead (RunAtLoad starts it). */
  async function kickstart(ctx: SupervisorContext, kill: boolean): Promise<void> {
    const target = launchdTarget(ctx.manifest, ctx.uid);
    const r = await launchctl(ctx, ["kickstart", ...(kill ? ["-k"] : []), target]);
    if (r.code === 0) return;
    if (r.code === LAUNCHCTL_NOT_FOUND || r.code === LAUNCHCTL_ESRCH) return bootstrap(ctx);
    throw new HeadroomError(`\`launchctl kickstart ${kill ? "-k " : ""}${target}\` failed: ${firstLine(r)}.`);
  }

  async function isLoaded(ctx: SupervisorContext): Promise<boolean> {
    const r = await launchctl(ctx, ["print", launchdTarget(ctx.manifest, ctx.uid)]);
    return r.code === 0;
  }

  return {
    kind: "launchd",

    async preflight(ctx) {
      const m = ctx.manifest;
      if (m.scope === "system" && !ctx.isRoot) {
        throw new HeadroomError("--scope system installs a LaunchDaemon in /Library/LaunchDaemons and needs root.", "Re-run with sudo, or use --scope user.");
      }
      if (!which("launchctl", ctx.env)) throw new HeadroomError("launchctl was not found on PATH, so no launchd job can be installed.", "Run this on macOS with /bin in PATH.");
      renderLaunchd(ctx); // refuses values a plist cannot carry before anything changes
    },

    render: renderLaunchd,

    async install(ctx) {
      const m = ctx.manifest;
      const plan = renderLaunchd(ctx);
      // A job already loaded under this label (a previous apply) is unloaded first, so the new plist is read.
      await bootout(ctx);
      const files: FileChange[] = writePlanFiles(plan.files);
      try {
        // apply is an explicit request to run it: clear a `launchctl disable` left in the override database.
        const en = await launchctl(ctx, ["enable", launchdTarget(m, ctx.uid)]);
        if (en.code !== 0) throw new HeadroomError(`\`launchctl enable ${launchdTarget(m, ctx.uid)}\` failed: ${firstLine(en)}.`);
        await bootstrap(ctx);
      } catch (err) {
        undoFileChanges(files, { restorePrevious: true });
        throw err;
      }
      return { kind: "launchd", label: launchdLabel(m.profile), domain: launchdDomain(m, ctx.uid), plist: plan.files[0]!.path, files };
    },

    async start(ctx) {
      if (ctx.manifest.preset === "persistent-task") {
        // The schedule comes back (after `stop --pause`); the caller starts the runtime through agent ensure.
        if (!(await isLoaded(ctx))) await bootstrap(ctx);
        return;
      }
      await kickstart(ctx, false);
    },

    async stop(ctx, o) {
      const m = ctx.manifest;
      if (m.preset === "persistent-task") {
        if (o?.pause) await bootout(ctx);
        await stopRuntime(ctx);
        return;
      }
      await bootout(ctx); // ESRCH: already stopped
      if (!(await waitPortFree(m.port))) throw new HeadroomError(`The launchd job stopped but port ${m.port} is still in use.`);
    },

    async restart(ctx) {
      if (ctx.manifest.preset === "persistent-task") {
        await stopRuntime(ctx); // the caller runs agent ensure
        return;
      }
      // -k: launchd kills the running instance and starts a new one once it has exited.
      await kickstart(ctx, true);
    },

    async uninstall(ctx) {
      const m = ctx.manifest;
      const errors: string[] = [];
      await bootout(ctx).catch((err) => errors.push((err as Error).message));
      if (m.preset === "persistent-task") await stopRuntime(ctx);
      errors.push(...undoFileChanges([{ path: plistPath(m, ctx.home), existed: false }]));
      if (errors.length) throw new HeadroomError(`Removing the launchd job was incomplete: ${errors.join("; ")}`);
    },

    async status(ctx): Promise<SupervisorStatus> {
      const m = ctx.manifest;
      const target = launchdTarget(m, ctx.uid);
      const r = await launchctl(ctx, ["print", target]);
      const problems: string[] = [];
      const task = m.preset === "persistent-task";
      if (r.code !== 0) {
        const paused = m.supervisorState?.paused === true;
        problems.push(
          paused
            ? "The watchdog job is unloaded (`install stop --pause`); `install start` loads it again."
            : task
              ? `The launchd job ${target} is not loaded, so the watchdog does not run.`
              : `The launchd job ${target} is not loaded (stopped or never installed); \`headroom install start\` loads it.`,
        );
        return { kind: "launchd", installed: false, state: "not loaded", running: false, problems, details: { target, plist: plistPath(m, ctx.home) } };
      }
      const p = parseLaunchctlPrint(r.stdout);
      const state = p.state ?? "unknown";
      const log = launchdRunnerLog(m);
      if (!task) {
        if (state !== "running" && p.lastExitCode) problems.push(`The launchd job is ${state} and last exited with code ${p.lastExitCode}; see ${log}.`);
        if ((p.runs ?? 0) >= 3 && state !== "running") problems.push(`The launchd job is crash-looping (${p.runs} runs); launchd starts it again at most every ${THROTTLE_INTERVAL} s and never gives up; see ${log} for why. Once the cause is fixed it comes back by itself; \`headroom install restart --profile ${m.profile}\` retries now.`);
      } else if (p.lastExitCode) {
        problems.push(`The last watchdog run exited with code ${p.lastExitCode}; see ${log}.`);
      }
      return {
        kind: "launchd",
        installed: true,
        state,
        running: task ? true : state === "running",
        pid: p.pid,
        restarts: p.runs !== undefined ? Math.max(0, p.runs - 1) : undefined,
        problems,
        details: { target, plist: plistPath(m, ctx.home), runs: p.runs, lastExitCode: p.lastExitCode, lastSignal: p.lastSignal },
      };
    },
  };
}
