// One interface for every supervisor (systemd, cron, launchd, Windows Task Scheduler,
// docker). Rendering is pure; acting goes through a CommandRunner so tests can record
// and answer the exact argument vectors. The adapter is chosen once, from one table
// keyed by (os, preset), and nothing below it tests the platform again.
import type { CommandRunner } from "../../host/exec.ts";
import type { OsName } from "../../host/platform.ts";
import type { Manifest } from "../manifest.ts";

export interface RenderedFile {
  path: string;
  /** Text content, or raw bytes (Windows task XML is UTF-16 LE with a BOM). */
  content: string | Uint8Array;
  mode?: number;
}

export interface SupervisorContext {
  manifest: Manifest;
  os: OsName;
  /** HOME of the user the deployment belongs to. */
  home: string;
  uid: number;
  gid: number;
  isRoot: boolean;
  env: Record<string, string | undefined>;
  run: CommandRunner;
  /** The systemd version of this host, when the systemd adapter asked (it picks the restart back-off). */
  systemdVersion?: number;
}

export interface SupervisorPlan {
  files: RenderedFile[];
  /** Commands run after the files are written, in order (install + start). */
  commands: string[][];
}

export interface SupervisorStatus {
  /** e.g. "systemd", "cron", "launchd", "windows-task", "docker". */
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
}

export interface Supervisor {
  kind: string;
  /** Facts about this host that rendering needs (asked once, before render; optional). */
  hostFacts?(ctx: SupervisorContext): Promise<Partial<SupervisorContext>>;
  /** Checks that must pass before anything is changed (binary present, root for system scope...). Throws HeadroomError. */
  preflight(ctx: SupervisorContext): Promise<void>;
  /** Pure: the files and commands that install and start the deployment. */
  render(ctx: SupervisorContext): SupervisorPlan;
  /** Writes the files, runs the commands; returns supervisor state to keep in the manifest. */
  install(ctx: SupervisorContext): Promise<Record<string, unknown>>;
  start(ctx: SupervisorContext): Promise<void>;
  /** Stops the runtime (for a task preset: the runtime, not the schedule unless pause). */
  stop(ctx: SupervisorContext, opts?: { pause?: boolean }): Promise<void>;
  restart(ctx: SupervisorContext): Promise<void>;
  /** Stops and removes everything install created. Reports errors by throwing after doing what it can. */
  uninstall(ctx: SupervisorContext): Promise<void>;
  status(ctx: SupervisorContext): Promise<SupervisorStatus>;
}
