// The one table that picks a deployment's supervisor adapter and runtime launcher, keyed
// by (os, preset, runtime). Nothing below it asks which preset or runtime it is. Each
// adapter's module is loaded only when it is picked, so `install status` reads the one
// supervisor its manifest names. The Linux watchdog's backend (a systemd timer, or cron)
// is asked of the host through the command runner, once, when it is installed; later the
// manifest's record says which it was.
import type { CommandRunner } from "../host/exec.ts";
import type { Env } from "../host/env.ts";
import { which } from "../host/exec.ts";
import { existsSync } from "node:fs";
import type { OsName } from "../host/platform.ts";
import type { Manifest, Preset, Runtime, Scope } from "./manifest.ts";
import { dockerRuntime, nativeRuntime } from "./runtime-launchers.ts";
import type { SupervisorState } from "./supervisors/state.ts";
import type { RuntimeLauncher, Supervisor } from "./supervisors/types.ts";
import { MANAGER_UP_STATES } from "./supervisors/manager-states.ts";

export type AdapterName =
  | "systemd-service"
  | "systemd-timer"
  | "cron"
  | "launchd-keepalive"
  | "launchd-interval"
  | "windows-task-service"
  | "windows-task-watchdog"
  | "docker";

const ADAPTERS: Record<AdapterName, () => Promise<Supervisor>> = {
  "systemd-service": () => import("./supervisors/systemd-service.ts").then((m) => m.systemdService()),
  "systemd-timer": () => import("./supervisors/systemd-timer.ts").then((m) => m.systemdTimer()),
  cron: () => import("./supervisors/cron.ts").then((m) => m.cronSupervisor()),
  "launchd-keepalive": () => import("./supervisors/launchd-keepalive.ts").then((m) => m.launchdKeepAlive()),
  "launchd-interval": () => import("./supervisors/launchd-interval.ts").then((m) => m.launchdInterval()),
  "windows-task-service": () => import("./supervisors/windows-task-service.ts").then((m) => m.windowsTaskService()),
  "windows-task-watchdog": () => import("./supervisors/windows-task-watchdog.ts").then((m) => m.windowsTaskWatchdog()),
  docker: () => import("./supervisors/docker.ts").then((m) => m.dockerSupervisor()),
};

/** The Linux watchdog backends; the table's row for (linux, persistent-task) depends on which the host has. */
type TaskBackend = "systemd" | "cron";

/** The table: (os, preset) -> adapter; a Linux watchdog row names its backend's adapter. */
const TABLE: Record<OsName, Record<Preset, AdapterName | Record<TaskBackend, AdapterName>>> = {
  linux: { "persistent-service": "systemd-service", "persistent-task": { systemd: "systemd-timer", cron: "cron" }, "persistent-docker": "docker" },
  darwin: { "persistent-service": "launchd-keepalive", "persistent-task": "launchd-interval", "persistent-docker": "docker" },
  windows: { "persistent-service": "windows-task-service", "persistent-task": "windows-task-watchdog", "persistent-docker": "docker" },
};

/** (runtime) -> the launcher the adapter runs; persistent-docker's container is the adapter itself. */
const RUNTIMES: Record<Runtime, RuntimeLauncher> = { native: nativeRuntime, docker: dockerRuntime };

export function launcherFor(runtime: Runtime): RuntimeLauncher {
  return RUNTIMES[runtime];
}

/**
 * Whether the Linux watchdog should be a systemd timer: systemd is the init
 * (/run/systemd/system exists) and its manager (the user's, for the user scope) answers.
 * HEADROOM_TASK_BACKEND=cron|systemd forces one.
 */
export async function linuxTaskBackend(scope: Scope, env: Env, run: CommandRunner): Promise<TaskBackend> {
  const forced = env.HEADROOM_TASK_BACKEND;
  if (forced === "cron" || forced === "systemd") return forced;
  if (!existsSync("/run/systemd/system")) return "cron";
  // Without systemctl on PATH there is no timer to install (cron's preflight then says what is missing).
  if (!which("systemctl", env)) return "cron";
  const r = await run(scope === "system" ? ["systemctl", "is-system-running"] : ["systemctl", "--user", "is-system-running"], { env, timeoutMs: 3000 });
  return MANAGER_UP_STATES.includes(r.stdout.trim()) ? "systemd" : "cron";
}

export interface TableKey {
  os: OsName;
  preset: Preset;
  scope: Scope;
  /** What an installed deployment recorded (its kind names the Linux watchdog's backend). */
  supervisorState?: SupervisorState;
}

/** The adapter's name for a key; asks the host for the Linux watchdog's backend only when nothing recorded it. */
export async function adapterNameFor(key: TableKey, env: Env, run: CommandRunner): Promise<AdapterName> {
  const row = TABLE[key.os][key.preset];
  if (typeof row === "string") return row;
  const kind = key.supervisorState?.kind;
  return row[kind === "cron" || kind === "systemd" ? kind : await linuxTaskBackend(key.scope, env, run)];
}

/**
 * The adapter of an installed deployment, from the table and what it recorded, without
 * asking the host (a Linux watchdog that recorded no backend is taken as cron's).
 */
export function recordedAdapterName(m: Pick<Manifest, "os" | "preset" | "supervisorState">): AdapterName {
  const row = TABLE[m.os as OsName][m.preset];
  if (typeof row === "string") return row;
  return row[m.supervisorState.kind === "systemd" ? "systemd" : "cron"];
}

/** The adapter and runtime launcher for a manifest (or a draft of one). */
export async function adapterFor(m: Pick<Manifest, "os" | "preset" | "scope" | "runtime" | "supervisorState">, env: Env, run: CommandRunner): Promise<{ adapter: Supervisor; runtime: RuntimeLauncher }> {
  const name = await adapterNameFor({ os: m.os as OsName, preset: m.preset, scope: m.scope, supervisorState: m.supervisorState }, env, run);
  return { adapter: await ADAPTERS[name](), runtime: launcherFor(m.runtime) };
}
