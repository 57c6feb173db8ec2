// The one table that picks a supervisor adapter from (os, preset). Nothing below it
// tests the platform again.
import { existsSync } from "node:fs";
import type { OsName } from "../host/platform.ts";
import type { Preset, Scope } from "./manifest.ts";
import { cronSupervisor } from "./supervisors/cron.ts";
import { dockerSupervisor } from "./supervisors/docker.ts";
import { launchdSupervisor } from "./supervisors/launchd.ts";
import { systemdSupervisor } from "./supervisors/systemd.ts";
import type { Supervisor } from "./supervisors/types.ts";
import { windows_taskSupervisor } from "./supervisors/windows-task.ts";

type Env = Record<string, string | undefined>;

/**
 * Whether the Linux watchdog should be a systemd timer: systemd is the init
 * (/run/systemd/system exists) and its manager (the user's, for the user scope) answers.
 * HEADROOM_TASK_BACKEND=cron|systemd forces one.
 */
export function linuxTaskBackend(scope: Scope, env: Env): "systemd" | "cron" {
  const forced = env.HEADROOM_TASK_BACKEND;
  if (forced === "cron" || forced === "systemd") return forced;
  if (!existsSync("/run/systemd/system")) return "cron";
  const r = Bun.spawnSync(scope === "system" ? ["systemctl", "is-system-running"] : ["systemctl", "--user", "is-system-running"], {
    env: env as Record<string, string>,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 3000,
  });
  const answer = r.stdout.toString().trim();
  return ["running", "degraded", "starting", "initializing", "maintenance"].includes(answer) ? "systemd" : "cron";
}

export function supervisorFor(os: OsName, preset: Preset, scope: Scope, env: Env = process.env, backend?: string): Supervisor {
  if (preset === "persistent-docker") return dockerSupervisor();
  if (os === "darwin") return launchdSupervisor();
  if (os === "windows") return windows_taskSupervisor();
  if (preset === "persistent-service") return systemdSupervisor();
  const which = backend ?? linuxTaskBackend(scope, env);
  return which === "cron" ? cronSupervisor() : systemdSupervisor();
}

/** The adapter that installed an existing deployment (its kind is kept in supervisorState). */
export function supervisorForManifest(m: { os: string; preset: Preset; scope: Scope; supervisorState?: Record<string, unknown> }, env: Env = process.env): Supervisor {
  const kind = typeof m.supervisorState?.kind === "string" ? (m.supervisorState.kind as string) : undefined;
  return supervisorFor(m.os as OsName, m.preset, m.scope, env, kind === "cron" || kind === "systemd" ? kind : undefined);
}
