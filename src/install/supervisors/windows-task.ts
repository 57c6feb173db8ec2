// Windows Task Scheduler supervisor. persistent-service: one task started at logon (user)
// or at boot (system, administrator) that runs `headroom.exe install agent run`, restarts
// on failure and has no time limit. persistent-task: a logon/boot task and an
// every-N-minutes task, both running `agent ensure`. Tasks are registered from XML
// (`schtasks /Create /XML`). sc.exe is not used: a plain executable cannot answer the
// service control manager (a service built that way fails with error 1053).
// Rendering is pure (windows-task-xml.ts); acting goes through ctx.run.
import { existsSync, readdirSync } from "node:fs";
import { HeadroomError } from "../../errors.ts";
import type { CommandResult } from "../../host/exec.ts";
import { which } from "../../host/exec.ts";
import { isPortOpen, waitFor } from "../../host/net.ts";
import { type FileChange, undoFileChanges, writePlanFiles } from "../executor.ts";
import { stopRuntimeProcess } from "../runtime-process.ts";
import type { RenderedFile, Supervisor, SupervisorContext, SupervisorPlan, SupervisorStatus } from "./types.ts";
import { type PinState, applyPin, pinCommand, releasePin, samePath, workspacePin } from "./windows-workspace-pin.ts";
import {
  createArgv,
  deleteArgv,
  enableArgv,
  endArgv,
  hex,
  isAccessDenied,
  isFailureResult,
  isNotRunning,
  isTaskMissing,
  parseQueryCsv,
  parseRegisteredAction,
  queryCsvArgv,
  queryXmlArgv,
  runArgv,
  schtasksError,
} from "./windows-schtasks.ts";
import { type TaskDefinition, serviceTaskName, taskDefinitions, utf16leWithBom, winJoin } from "./windows-task-xml.ts";

export interface WindowsTaskOptions {
  /** Resolves true once the port is free (after stop). */
  waitPortFree?: (port: number) => Promise<boolean>;
  /** Stops the detached runtime of the task preset (no supervisor tracks it). */
  stopRuntime?: (ctx: SupervisorContext) => Promise<unknown>;
  /** Whether another profile's manifest lives in the same workspace (it may still need the pinned variable). */
  otherProfiles?: (ctx: SupervisorContext) => boolean;
}

/** schtasks may write UTF-16 when its output is redirected; read as UTF-8 that leaves NULs between the characters. */
export function consoleText(s: string): string {
  return s.replace(/^\uFEFF/, "").replace(/\u0000/g, "");
}

/** HRESULT of ERROR_LOGON_TYPE_NOT_GRANTED (1385): an S4U task whose account may not log on as a batch job. */
export const ERROR_LOGON_TYPE_NOT_GRANTED = 0x80070569;

const defaultWaitPortFree = async (port: number) => (await waitFor(async () => !(await isPortOpen(port, "127.0.0.1", 300)), 15_000, 50)) !== null;

function defaultOtherProfiles(ctx: SupervisorContext): boolean {
  const root = winJoin(ctx.manifest.workspaceDir, "deploy");
  try {
    return readdirSync(root).some((p) => p !== ctx.manifest.profile && existsSync(winJoin(root, p, "manifest.json")));
  } catch {
    return false;
  }
}

/** Pure: the XML files (UTF-16 LE + BOM) and the commands that register and start the task(s). */
export function renderWindowsTasks(ctx: SupervisorContext): SupervisorPlan {
  const m = ctx.manifest;
  const defs = taskDefinitions(ctx);
  const pin = workspacePin(ctx);
  const files: RenderedFile[] = defs.map((d) => ({ path: d.file, content: utf16leWithBom(d.xml), mode: 0o600 }));
  const commands: string[][] = [...(pin ? [pinCommand(pin)] : []), ...defs.map((d) => createArgv(d.name, d.file))];
  // The logon/boot trigger fires next time; the service starts now. (The task preset's runtime is started by agent ensure.)
  if (m.preset !== "persistent-task") commands.push(runArgv(serviceTaskName(m.profile)));
  return { files, commands };
}

export function windows_taskSupervisor(opts: WindowsTaskOptions = {}): Supervisor {
  const waitPortFree = opts.waitPortFree ?? defaultWaitPortFree;
  const stopRuntime = opts.stopRuntime ?? ((ctx: SupervisorContext) => stopRuntimeProcess(ctx.manifest, { ...ctx.env, HEADROOM_WORKSPACE_DIR: ctx.manifest.workspaceDir }));
  const otherProfiles = opts.otherProfiles ?? defaultOtherProfiles;

  const schtasks = (ctx: SupervisorContext, argv: string[]) => ctx.run(argv, { env: ctx.env, timeoutMs: 30_000 });

  async function checked(ctx: SupervisorContext, argv: string[], name: string): Promise<CommandResult> {
    const r = await schtasks(ctx, argv);
    if (r.code !== 0) throw schtasksError(argv, name, r);
    return r;
  }

  /** /End; a task that is not running (or not registered) is already stopped. */
  async function end(ctx: SupervisorContext, name: string): Promise<void> {
    const argv = endArgv(name);
    const r = await schtasks(ctx, argv);
    if (r.code === 0 || isNotRunning(r) || (isTaskMissing(r) && !isAccessDenied(r))) return;
    throw schtasksError(argv, name, r);
  }

  const names = (ctx: SupervisorContext) => taskDefinitions(ctx).map((d) => d.name);

  async function waitFree(ctx: SupervisorContext): Promise<void> {
    if (!(await waitPortFree(ctx.manifest.port))) throw new HeadroomError(`The task ended but port ${ctx.manifest.port} is still in use.`);
  }

  return {
    kind: "windows-task",

    async preflight(ctx) {
      const m = ctx.manifest;
      if (m.scope === "system" && !ctx.isRoot) {
        throw new HeadroomError(
          '--scope system registers a task that runs at startup as LocalSystem, which needs administrator rights: run the command again from a terminal opened with "Run as administrator", or use --scope user.',
        );
      }
      if (m.scope !== "system" && !ctx.env.USERNAME) {
        throw new HeadroomError("Cannot tell which Windows account the task should run as, because USERNAME is not set.", "Run the command from a normal Windows session.");
      }
      if (!which("schtasks", ctx.env) && !which("schtasks.exe", ctx.env)) throw new HeadroomError("schtasks.exe was not found on PATH, so no scheduled task can be registered.", "Make sure C:\\Windows\\System32 is on PATH.");
      renderWindowsTasks(ctx); // refuses what a task definition cannot carry before anything changes
    },

    render: renderWindowsTasks,

    async install(ctx) {
      const m = ctx.manifest;
      const plan = renderWindowsTasks(ctx);
      const defs = taskDefinitions(ctx);
      const state: Record<string, unknown> = { kind: "windows-task", tasks: defs.map((d) => d.name) };
      const pin = workspacePin(ctx);
      let pinned: PinState | undefined;
      if (pin) {
        pinned = await applyPin(ctx, pin);
        state.workspacePin = pinned;
      }
      let files: FileChange[] = [];
      const created: TaskDefinition[] = [];
      try {
        files = writePlanFiles(plan.files);
        state.files = files;
        for (const d of defs) {
          await checked(ctx, createArgv(d.name, d.file), d.name);
          created.push(d);
        }
        if (m.preset !== "persistent-task") await checked(ctx, runArgv(serviceTaskName(m.profile)), serviceTaskName(m.profile));
      } catch (err) {
        for (const d of created.reverse()) {
          await end(ctx, d.name).catch(() => {});
          await schtasks(ctx, deleteArgv(d.name));
        }
        undoFileChanges(files, { restorePrevious: true });
        if (pinned && pinned.previous !== pinned.value) await releasePin(ctx, pinned).catch(() => {});
        throw err;
      }
      return state;
    },

    async start(ctx) {
      const m = ctx.manifest;
      if (m.preset === "persistent-task") {
        // The schedule comes back (after `stop --pause`); the caller starts the runtime through agent ensure.
        for (const name of names(ctx)) await checked(ctx, enableArgv(name, true), name);
        return;
      }
      // `stop` disabled the task (so its one-minute repetition would not bring it back); enable, then run.
      const name = serviceTaskName(m.profile);
      await checked(ctx, enableArgv(name, true), name);
      await checked(ctx, runArgv(name), name);
    },

    async stop(ctx, o) {
      const m = ctx.manifest;
      if (m.preset === "persistent-task") {
        if (o?.pause) for (const name of names(ctx)) await checked(ctx, enableArgv(name, false), name);
        await stopRuntime(ctx);
        return;
      }
      const name = serviceTaskName(m.profile);
      await checked(ctx, enableArgv(name, false), name);
      await end(ctx, name);
      await waitFree(ctx);
    },

    async restart(ctx) {
      const m = ctx.manifest;
      if (m.preset === "persistent-task") {
        await stopRuntime(ctx); // the caller runs agent ensure
        return;
      }
      // Disabled while it ends, so the repetition cannot start a second instance before the
      // old process has let go of the port; then enabled and run again.
      const name = serviceTaskName(m.profile);
      await checked(ctx, enableArgv(name, false), name);
      await end(ctx, name);
      await waitFree(ctx);
      await checked(ctx, enableArgv(name, true), name);
      await checked(ctx, runArgv(name), name);
    },

    async uninstall(ctx) {
      const m = ctx.manifest;
      const errors: string[] = [];
      for (const d of taskDefinitions(ctx)) {
        await end(ctx, d.name).catch((err) => errors.push((err as Error).message));
        const r = await schtasks(ctx, deleteArgv(d.name));
        if (r.code !== 0 && !(isTaskMissing(r) && !isAccessDenied(r))) errors.push(schtasksError(deleteArgv(d.name), d.name, r).message);
      }
      if (m.preset === "persistent-task") await stopRuntime(ctx);
      errors.push(...undoFileChanges(taskDefinitions(ctx).map((d) => ({ path: d.file, existed: false }))));
      const pinned = m.supervisorState?.workspacePin as PinState | undefined;
      if (pinned && !otherProfiles(ctx)) await releasePin(ctx, pinned).catch((err) => errors.push((err as Error).message));
      if (errors.length) throw new HeadroomError(`Removing the scheduled tasks was incomplete: ${errors.map((e) => e.replace(/\.$/, "")).join("; ")}.`);
    },

    async status(ctx): Promise<SupervisorStatus> {
      const m = ctx.manifest;
      const task = m.preset === "persistent-task";
      const problems: string[] = [];
      const details: Record<string, unknown> = {};
      let installed = true;
      let running = true;
      let state = "unknown";
      for (const d of taskDefinitions(ctx)) {
        const csv = await schtasks(ctx, queryCsvArgv(d.name));
        if (csv.code !== 0) {
          installed = false;
          running = false;
          problems.push(isAccessDenied(csv) ? schtasksError(queryCsvArgv(d.name), d.name, csv).message : `The scheduled task ${d.name} is not registered.`);
          continue;
        }
        const q = parseQueryCsv(consoleText(csv.stdout));
        const xml = await schtasks(ctx, queryXmlArgv(d.name));
        const action = xml.code === 0 ? parseRegisteredAction(consoleText(xml.stdout)) : {};
        details[d.name] = { status: q?.status, lastRunTime: q?.lastRunTime, lastResult: q?.lastResult, nextRunTime: q?.nextRunTime, command: action.command, arguments: action.arguments };
        const status = q?.status ?? "unknown";
        if (action.command !== undefined && !action.command.includes("\uFFFD") && (!samePath(action.command, d.command) || action.arguments !== d.arguments)) {
          problems.push(`The task ${d.name} runs \`${action.command} ${action.arguments ?? ""}\`, not this deployment's \`${d.command} ${d.arguments}\`; re-apply the profile.`);
        }
        const disabled = /disabled/i.test(status) || action.enabled === false;
        if (q?.lastResult === ERROR_LOGON_TYPE_NOT_GRANTED) {
          problems.push(`Windows refused to start ${d.name} because the account lacks the "Log on as a batch job" right; grant it, or re-apply with --scope system from a terminal opened with "Run as administrator".`);
        } else if (isFailureResult(q?.lastResult)) problems.push(`The last run of ${d.name} ended with ${hex(q!.lastResult!)}${q?.lastRunTime ? ` (${q.lastRunTime})` : ""}.`);
        if (d.role === "service") {
          state = disabled ? "disabled (stopped)" : status;
          running = /^running$/i.test(status);
          if (disabled) problems.push(`The task ${d.name} is disabled (stopped by \`install stop\`); \`headroom install start\` enables and runs it.`);
        } else {
          if (d.role === "watchdog") state = disabled ? "paused" : status;
          if (disabled) {
            running = false;
            problems.push(m.supervisorState?.paused ? `The watchdog task ${d.name} is paused (\`install stop --pause\`); \`install start\` enables it again.` : `The watchdog task ${d.name} is disabled.`);
          }
        }
      }
      if (!installed) state = "not registered";
      return { kind: "windows-task", installed, state, running: installed && running, problems, details: { ...details, preset: task ? "task" : "service" } };
    },
  };
}
