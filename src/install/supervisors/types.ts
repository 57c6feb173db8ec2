// One interface for every supervisor adapter: one adapter per (OS, preset), chosen once
// from the table (table.ts); nothing below the table asks which preset or runtime it is.
// An adapter returns plans (steps.ts) that the one executor carries out; installing is
// pure given the host facts it asked for first, so `--dry-run` prints what apply runs.
// Queries (status, what is loaded) go through ctx.run.
import type { CommandRunner } from "../../host/exec.ts";
import type { Env } from "../../host/env.ts";
import type { OsName } from "../../host/platform.ts";
import type { Manifest } from "../manifest.ts";
import type { Plan } from "../steps.ts";
import type { InstalledState, Linger } from "./state.ts";

/** What an adapter asked this host before rendering (absent for a plan rendered for another OS). */
export interface HostFacts {
  /** The systemd version (it picks the restart back-off). */
  systemdVersion?: number;
  /** Whether logind keeps this user's manager running without a session. */
  linger?: Linger;
  /** The user's crontab as it is now ("" when there is none). */
  crontab?: string;
  /** What the Windows variable that pins the workspace holds now (null: unset). */
  workspaceVar?: string | null;
}

/**
 * The command that is the runtime, as the table chose it for the manifest's runtime:
 * the native runner (`headroom install agent run`) or a foreground `docker run`.
 */
export interface RuntimeLauncher {
  /** The foreground command a service runs, or the watchdog spawns. */
  argv(ctx: SupervisorContext): string[];
  /** What must run before it starts (a foreground container's stale namesake is removed). */
  beforeStart?(ctx: SupervisorContext): string[];
  /** Whether the process a supervisor reports is the runtime itself (a container's pids are the engine's). */
  hostPid: boolean;
}

export interface SupervisorContext {
  manifest: Manifest;
  os: OsName;
  /** HOME of the user the deployment belongs to. */
  home: string;
  uid: number;
  gid: number;
  isRoot: boolean;
  env: Env;
  run: CommandRunner;
  runtime: RuntimeLauncher;
  facts: HostFacts;
  /** Reads a systemd unit's properties without systemctl (systemd's private socket), when this host offers it. */
  readUnit?: (unit: string) => Promise<Record<string, string> | null>;
}

export interface SupervisorStatus {
  /** e.g. "systemd", "systemd-timer", "cron", "launchd", "windows-task", "docker". */
  kind: string;
  installed: boolean;
  /** active / running (the supervisor's own word), when it has one. */
  state: string;
  running: boolean;
  /** The main pid according to the supervisor, when known. */
  pid?: number;
  restarts?: number;
  /** Lines the status command should print as warnings (crash loop, no linger, ...). */
  problems: string[];
  /** A line status prints only when the deployment is not healthy (a runtime restarted moments ago may be crash-looping). */
  ifUnhealthy?: string;
  details?: Record<string, unknown>;
  /** Whether this supervisor keeps the runtime running (a watchdog's schedule does not: the runtime it started lives on its own). */
  keepsRuntime?: boolean;
  /** The pid that should be serving the port, as this supervisor knows it (none for a container). */
  runtimePid?: number;
}

/** Says why a start is failing (a crash loop since it began), or null while it may still come up. */
export type FailFast = () => Promise<string | null>;

export interface Supervisor {
  /** The adapter: systemd-service, systemd-timer, cron, launchd-keepalive, ... */
  name: string;
  /** What the manifest records as the supervisor's kind. */
  kind: InstalledState["kind"];
  /** Checks that must pass before anything is changed (binary present, root for system scope...). Throws HeadroomError. */
  preflight(ctx: SupervisorContext): Promise<void>;
  /** Facts about this host that rendering needs (asked once, before the install plan; read-only). */
  hostFacts?(ctx: SupervisorContext): Promise<HostFacts>;
  /** Pure: the steps that install and start the deployment. */
  install(ctx: SupervisorContext): Plan;
  /** Starts it (a watchdog's schedule comes back and its runtime starts). */
  start(ctx: SupervisorContext): Promise<Plan>;
  /** Stops the runtime; `pause` also stops a watchdog's schedule. */
  stop(ctx: SupervisorContext, opts?: { pause?: boolean }): Promise<Plan>;
  /** Stops the runtime and starts a new one. */
  restart(ctx: SupervisorContext): Promise<Plan>;
  /** Stops and removes everything install created; tries every step and reports what failed. */
  uninstall(ctx: SupervisorContext): Promise<Plan>;
  status(ctx: SupervisorContext): Promise<SupervisorStatus>;
  /** The pid of the runtime as the supervisor knows it (for the socket-owner proof), when that means something on this host. */
  runtimePid(ctx: SupervisorContext): Promise<number | undefined>;
  /** The runtime it has even though it is not healthy (null when nothing runs), with its pid when that means something here. */
  presentRuntime(ctx: SupervisorContext): Promise<{ pid?: number } | null>;
  /** A check that gives up a wait early once the runtime is crash-looping. */
  failFast(ctx: SupervisorContext): Promise<FailFast>;
}
