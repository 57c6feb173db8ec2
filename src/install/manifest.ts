// The deployment manifest: $HEADROOM_WORKSPACE_DIR/deploy/<profile>/manifest.json.
// The schema is the single source of the types; a file that fails it is an error that
// names the file, never a crash.
import * as v from "valibot";
import { ChangeRecordSchema } from "../edits/record.ts";
import { SupervisorStateSchema } from "./supervisors/state.ts";

export const SCHEMA_VERSION = 1;

export const PRESETS = ["persistent-service", "persistent-task", "persistent-docker"] as const;
export const RUNTIMES = ["native", "docker"] as const;
export const SCOPES = ["provider", "user", "system"] as const;
export const PROVIDER_MODES = ["auto", "all", "manual"] as const;
export const OSES = ["linux", "darwin", "windows"] as const;

export type Preset = (typeof PRESETS)[number];
export type Runtime = (typeof RUNTIMES)[number];
export type Scope = (typeof SCOPES)[number];

/** What supervises the runtime, as reported in /health's deployment block. */
export function supervisorOf(preset: Preset): "service" | "task" | "docker" {
  return preset === "persistent-service" ? "service" : preset === "persistent-task" ? "task" : "docker";
}

export const ProxySettingsSchema = v.object({
  mode: v.picklist(["auto", "token", "cache"]),
  backend: v.optional(v.string()),
  anthropicApiUrl: v.optional(v.string()),
  openaiApiUrl: v.optional(v.string()),
  optimize: v.boolean(),
  telemetry: v.optional(v.boolean()),
  logLevel: v.optional(v.string()),
});

export const ManifestSchema = v.object({
  schemaVersion: v.literal(SCHEMA_VERSION),
  profile: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/), v.check((p) => p !== "." && p !== "..", "profile must not be . or ..")),
  preset: v.picklist(PRESETS),
  runtime: v.picklist(RUNTIMES),
  supervisor: v.picklist(["service", "task", "docker"]),
  scope: v.picklist(SCOPES),
  os: v.picklist(OSES),
  host: v.string(),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  providers: v.picklist(PROVIDER_MODES),
  targets: v.array(v.string()),
  proxy: ProxySettingsSchema,
  /** --env NAME=VALUE pairs kept for the runtime (never used for docker secrets). */
  env: v.record(v.string(), v.string()),
  /** Names of variables passed through by name only (docker API keys). */
  passEnv: v.optional(v.array(v.string()), []),
  /** Watchdog interval in minutes (persistent-task). */
  interval: v.pipe(v.number(), v.integer(), v.minValue(1)),
  image: v.optional(v.string()),
  /** Absolute path of the headroom executable the supervisor runs. */
  binPath: v.string(),
  workspaceDir: v.string(),
  /** Supervisor-specific state (unit names, files written, linger enabled by headroom...). */
  supervisorState: v.optional(SupervisorStateSchema, {}),
  /** Every reversible change to users' files, in the order applied. */
  changes: v.array(ChangeRecordSchema),
  /**
   * Folders that did not exist before headroom wrote this profile's files and units
   * (the workspace, deploy/, ~/.config/systemd/user...): remove takes out the ones that
   * are empty then, so it leaves nothing headroom created. Tool config folders are kept
   * with their change records instead.
   */
  createdDirs: v.optional(v.array(v.string())),
  createdAt: v.string(),
  updatedAt: v.string(),
});

export type Manifest = v.InferOutput<typeof ManifestSchema>;
