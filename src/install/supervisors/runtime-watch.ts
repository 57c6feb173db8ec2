// How the code above the table learns about a deployment's runtime, in the two ways
// adapters have it: a service supervisor tracks the runtime itself (its main pid, its
// restart count), a watchdog's runtime is detached and named only by its pid file.
import { isRunning } from "../pid.ts";
import { readPidFile, runtimePid } from "../runtime-process.ts";
import type { FailFast, Supervisor, SupervisorContext } from "./types.ts";

type Watch = Pick<Supervisor, "status" | "runtimePid" | "presentRuntime" | "failFast">;

/** A supervisor that runs the runtime as its own process (systemd service, launchd KeepAlive, a service task). */
export function supervisedRuntime(status: Supervisor["status"]): Watch {
  return {
    async status(ctx) {
      const s = await status(ctx);
      return { ...s, keepsRuntime: true, runtimePid: ctx.runtime.hostPid ? s.pid : undefined };
    },
    async runtimePid(ctx) {
      if (!ctx.runtime.hostPid) return undefined;
      return (await status(ctx).catch(() => null))?.pid;
    },
    async presentRuntime(ctx) {
      const s = await status(ctx).catch(() => null);
      if (!s?.running) return null;
      return { pid: ctx.runtime.hostPid ? s.pid : undefined };
    },
    /** Gives up once the unit failed, or restarted twice since the wait began (its count is over the unit's whole life). */
    async failFast(ctx): Promise<FailFast> {
      const baseline = (await status(ctx).catch(() => null))?.restarts ?? 0;
      return async () => {
        try {
          const s = await status(ctx);
          const n = (s.restarts ?? 0) - baseline;
          if (/^failed/.test(s.state)) return `the ${s.kind} unit failed`;
          if (n >= 2) return `the ${s.kind} unit keeps crashing (${n} restarts)`;
        } catch {}
        return null;
      };
    },
  };
}

/** A scheduled watchdog: its runtime is the process its pid file names. */
export const watchdogRuntime = (status: Supervisor["status"]): Watch => ({
  async status(ctx) {
    const s = await status(ctx);
    return { ...s, keepsRuntime: false, runtimePid: ctx.runtime.hostPid ? readPidFile(ctx.manifest.profile, ctx.env) ?? undefined : undefined };
  },
  async runtimePid(ctx: SupervisorContext) {
    if (!ctx.runtime.hostPid) return undefined;
    const pid = readPidFile(ctx.manifest.profile, ctx.env);
    return pid && isRunning(pid) ? pid : undefined;
  },
  async presentRuntime(ctx: SupervisorContext) {
    const pid = await runtimePid(ctx.manifest, ctx.env);
    return pid ? { pid } : null;
  },
  async failFast() {
    return async () => null;
  },
});
