// The one table that picks a supervisor adapter from (os, preset). Nothing below it
// tests the platform again. Each adapter's module is loaded only when it is picked, so
// `install status` reads the one supervisor its manifest names.
import { existsSync } from "node:fs";
import type { OsName } from "../host/platform.ts";
import type { Preset, Scope } from "./manifest.ts";
import type { Supervisor } from "./supervisors/types.ts";

type Env = Record<string, string | undefined>;

export type SupervisorName = "systemd" | "cron" | "launchd" | "docker" | "windows-task";

const LOADERS: Record<SupervisorName, () => Promise<Supervisor>> = {
  systemd: () => import("./supervisors/systemd.ts").then((m) => m.systemdSupervisor()),
  cron: () => import("./supervisors/cron.ts").then((m) => m.cronSupervisor()),
  launchd: () => import("./supervisors/launchd.ts").then((m) => m.launchdSupervisor()),
  docker: () => import("./supervisors/docker.ts").then((m) => m.dockerSupervisor()),
  "windows-task": () => import("./supervisors/windows-task.ts").then((m) => m.windows_taskSupervisor()),
};

/**
 * Whether the Linux watchdog should be a systemd timer: systemd is the init
 * (/run/systemd/system exists) and its manager (the user's, for the user scope) answers.
 * HEADROOM_TASK_BACKEND=cron|systemd forces one.
 */
export function linuxTaskBackend(scope: Scope, env: Env): "systemd" | "cron" {
  const forced = env.HEADROOM_TASK_BACKEND;
  if (forced === "cron" || forced === "systemd") return forced;
  if (!existsSync("/run/systemd/system")) return "cron";
  // Without systemctl on PATH there is no timer to install (cron's preflight then says
  // what is missing), and spawning it would throw.
  const systemctl = Bun.which("systemctl", { PATH: env.PATH ?? "" });
  if (!systemctl) return "cron";
  const r = Bun.spawnSync(scope === "system" ? [systemctl, "is-system-running"] : [systemctl, "--user", "is-system-running"], {
    env: env as Record<string, string>,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 3000,
  });
  const answer = r.stdout.toString().trim();
  return ["running", "degraded", "starting", "initializing", "maintenance"].includes(answer) ? "systemd" : "cron";
}

/** Which adapter serves (os, preset); `backend` is the Linux task backend already chosen. */
export function supervisorNameFor(os: OsName, preset: Preset, scope: Scope, env: Env = process.env, backend?: string): SupervisorName {
  if (preset === "persistent-docker") return "docker";
  if (os === "darwin") return "launchd";
  if (os === "windows") return "windows-task";
  if (preset === "persistent-service") return "systemd";
  return (backend ?? linuxTaskBackend(scope, env)) === "cron" ? "cron" : "systemd";
}

export function supervisorFor(os: OsName, preset: Preset, scope: Scope, env: Env = process.env, backend?: string): Promise<Supervisor> {
  return LOADERS[supervisorNameFor(os, preset, scope, env, backend)]();
}

/** The adapter that installed an existing deployment (its kind is kept in supervisorState). */
export function supervisorForManifest(m: { os: string; preset: Preset; scope: Scope; supervisorState?: Record<string, unknown> }, env: Env = process.env): Promise<Supervisor> {
  const kind = typeof m.supervisorState?.kind === "string" ? (m.supervisorState.kind as string) : undefined;
  return supervisorFor(m.os as OsName, m.preset, m.scope, env, kind === "cron" || kind === "systemd" ? kind : undefined);
}
