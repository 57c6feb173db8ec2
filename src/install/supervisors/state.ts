// What the manifest keeps about the supervisor that installed a deployment, one variant
// per kind of supervisor (the `kind` a manifest of any earlier headroom already stores).
// Objects stay loose: a field an older or newer headroom wrote is kept as it is.
import * as v from "valibot";

/** A file a plan wrote, with what puts it back (its previous bytes, base64, when it existed and differed). */
export const FileChangeSchema = v.object({
  path: v.string(),
  existed: v.boolean(),
  previous: v.optional(v.string()),
});
export type FileChange = v.InferOutput<typeof FileChangeSchema>;

const files = v.optional(v.array(FileChangeSchema));
const paused = v.optional(v.boolean());

export const RestartScheduleSchema = v.object({
  sec: v.number(),
  maxDelaySec: v.optional(v.number()),
  steps: v.optional(v.number()),
  systemdVersion: v.optional(v.number()),
});

export const LingerSchema = v.picklist(["yes", "no", "unknown"]);
export type Linger = v.InferOutput<typeof LingerSchema>;

export const SystemdStateSchema = v.looseObject({
  kind: v.literal("systemd"),
  unitDir: v.optional(v.string()),
  units: v.optional(v.array(v.string())),
  files,
  restart: v.optional(RestartScheduleSchema),
  linger: v.optional(LingerSchema),
  lingerEnabledByHeadroom: v.optional(v.boolean()),
  paused,
});

export const CronStateSchema = v.looseObject({
  kind: v.literal("cron"),
  cronFile: v.optional(v.string()),
  crontab: v.optional(v.literal("user")),
  files,
  paused,
});

export const LaunchdStateSchema = v.looseObject({
  kind: v.literal("launchd"),
  label: v.optional(v.string()),
  domain: v.optional(v.string()),
  plist: v.optional(v.string()),
  files,
  paused,
});

export const PinStateSchema = v.object({
  scope: v.picklist(["User", "Machine"]),
  value: v.string(),
  /** What the variable held before headroom set it (null: unset). */
  previous: v.nullable(v.string()),
});
export type PinState = v.InferOutput<typeof PinStateSchema>;

export const WindowsTaskStateSchema = v.looseObject({
  kind: v.literal("windows-task"),
  tasks: v.optional(v.array(v.string())),
  workspacePin: v.optional(PinStateSchema),
  files,
  paused,
});

export const DockerStateSchema = v.looseObject({
  kind: v.literal("docker"),
  container: v.optional(v.string()),
  image: v.optional(v.string()),
  containerId: v.optional(v.string()),
});

export const InstalledStateSchema = v.variant("kind", [SystemdStateSchema, CronStateSchema, LaunchdStateSchema, WindowsTaskStateSchema, DockerStateSchema]);
export type InstalledState = v.InferOutput<typeof InstalledStateSchema>;

/** Nothing installed yet (an apply writes the manifest before its supervisor). */
export const NoStateSchema = v.object({ kind: v.optional(v.undefined()) });

export const SupervisorStateSchema = v.union([InstalledStateSchema, NoStateSchema]);
export type SupervisorState = v.InferOutput<typeof SupervisorStateSchema>;

/** The fields any kind may carry, for code above the table that reads them without asking the kind. */
export type StatePatch = Partial<{ paused: boolean; linger: Linger; lingerEnabledByHeadroom: boolean; containerId: string; workspacePin: PinState }>;

/** Whether `install stop --pause` took the schedule away. */
export const pausedOf = (s: SupervisorState): boolean => s.kind !== undefined && s.kind !== "docker" && s.paused === true;

/** The files the install wrote, as it recorded them. */
export const recordedFiles = (s: SupervisorState): FileChange[] => (s.kind !== undefined && s.kind !== "docker" ? s.files ?? [] : []);

/** The workspace variable a Windows install pinned, when it did. */
export const recordedPin = (s: SupervisorState): PinState | undefined => (s.kind === "windows-task" ? s.workspacePin : undefined);

/** `state` with what a plan recorded merged in, checked against the schema (a plan records only known fields). */
export function mergeState(state: SupervisorState, record: Record<string, unknown>): SupervisorState {
  return v.parse(SupervisorStateSchema, { ...state, ...record });
}

/** The record as it is when the supervisor is taken down to be installed again: lingering headroom turned on stays on. */
export function keepingLinger(state: SupervisorState): SupervisorState {
  return state.kind === "systemd" && state.lingerEnabledByHeadroom ? { ...state, lingerEnabledByHeadroom: false } : state;
}

/** Whether headroom turned lingering on for this deployment (it turns it off again on remove). */
export const lingerIsOurs = (state: SupervisorState): boolean => state.kind === "systemd" && state.lingerEnabledByHeadroom === true;
