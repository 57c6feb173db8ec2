// The change record: one reversible change headroom made to a user's file or environment,
// with what is needed to undo it. Kept in a deployment's manifest, in a wrapped session's
// session.json and in the edit engine's records.json.
//
// `data` is a variant keyed by `kind`, one shape per undo adapter (edits/json-keys.ts,
// toml-keys.ts, block.ts) plus the Windows environment variables (install/scopes/
// windows-env.ts); a check of `data.kind` types the rest. Every object is loose: keys this
// version does not know are kept when a record is read and written back. The entries are
// listed in the order the code writes them, so a record read and written back keeps its
// stored JSON as it was.
import * as v from "valibot";

const JsonPathSchema = v.array(v.string());

/** The adapter's part of a JSON, JSONC or JSON5 key edit (edits/json-keys.ts). */
const JSON_KEYS = {
  format: v.picklist(["json", "jsonc", "json5"]),
  /** Each key headroom set, with the user's value it replaced. */
  entries: v.array(
    v.looseObject({
      path: JsonPathSchema,
      value: v.optional(v.unknown()),
      hadPrevious: v.boolean(),
      previous: v.optional(v.unknown()),
    }),
  ),
  /** Parent objects headroom created, taken out again when they end up empty. */
  created: v.array(JsonPathSchema),
  kind: v.literal("json-keys"),
};

/** The adapter's part of a TOML edit (edits/toml-keys.ts). */
const TOML_KEYS = {
  /** Root keys set; `previous` is the user's own statement it replaced. */
  rootKeys: v.array(v.looseObject({ key: v.string(), literal: v.string(), previous: v.optional(v.string()) })),
  /** Whole tables headroom owns, as written, and the separator added before each. */
  tables: v.array(v.looseObject({ name: v.string(), text: v.string(), separator: v.string() })),
  kind: v.literal("toml-keys"),
};

/** The adapter's part of a marker-fenced block in a shell file (edits/block.ts). */
const SHELL_BLOCK = {
  start: v.string(),
  end: v.string(),
  /** The block's lines (markers included, without line endings), to tell drift. */
  lines: v.array(v.string()),
  /** What headroom added before the block when it appended it. */
  separator: v.string(),
  kind: v.literal("shell-block"),
};

/** What the edit engine (edits/engine.ts) adds to every file edit's data. */
const FILE = {
  /** The path the adapter named (the record's path is its symlink target). */
  configuredPath: v.string(),
  /** Folders the write created, taken out again (when empty) with a created file. */
  createdDirs: v.optional(v.array(v.string())),
  /** For a change made through the tool's own CLI: the commands that take it out again. */
  revertCommands: v.optional(v.array(v.array(v.string()))),
  /** Extra environment for those commands. */
  commandEnv: v.optional(v.record(v.string(), v.string())),
  /** The folder holding the backups and records.json of the run that made the change. */
  stateDir: v.optional(v.string()),
};

export const JsonKeysPayloadSchema = v.looseObject(JSON_KEYS);
export const TomlKeysPayloadSchema = v.looseObject(TOML_KEYS);
export const ShellBlockPayloadSchema = v.looseObject(SHELL_BLOCK);

export const JsonKeysDataSchema = v.looseObject({ ...JSON_KEYS, ...FILE });
export const TomlKeysDataSchema = v.looseObject({ ...TOML_KEYS, ...FILE });
export const ShellBlockDataSchema = v.looseObject({ ...SHELL_BLOCK, ...FILE });

/** User or Machine environment variables set on Windows (install/scopes/windows-env.ts). */
export const WindowsEnvDataSchema = v.looseObject({
  kind: v.literal("windows-env"),
  scope: v.picklist(["User", "Machine"]),
  /** The values headroom set. */
  values: v.record(v.string(), v.string()),
  /** What each variable held before (null: unset), put back on remove. */
  previous: v.record(v.string(), v.nullable(v.string())),
  /** The PowerShell command that puts them back. */
  restore: v.array(v.string()),
});

export const ChangeDataSchema = v.variant("kind", [JsonKeysDataSchema, TomlKeysDataSchema, ShellBlockDataSchema, WindowsEnvDataSchema]);

/** What an adapter computes for one file (edits/types.ts ComputedEdit), before the engine adds its part. */
export type JsonKeysPayload = v.InferOutput<typeof JsonKeysPayloadSchema>;
export type TomlKeysPayload = v.InferOutput<typeof TomlKeysPayloadSchema>;
export type ShellBlockPayload = v.InferOutput<typeof ShellBlockPayloadSchema>;
export type EditPayload = JsonKeysPayload | TomlKeysPayload | ShellBlockPayload;

export type JsonKeysData = v.InferOutput<typeof JsonKeysDataSchema>;
export type TomlKeysData = v.InferOutput<typeof TomlKeysDataSchema>;
export type ShellBlockData = v.InferOutput<typeof ShellBlockDataSchema>;
/** The data of a record of a file edit. */
export type FileChangeData = JsonKeysData | TomlKeysData | ShellBlockData;
export type WindowsEnvData = v.InferOutput<typeof WindowsEnvDataSchema>;
export type ChangeData = v.InferOutput<typeof ChangeDataSchema>;

/** One recorded change to a user's file or environment, with what is needed to undo it. */
export const ChangeRecordSchema = v.looseObject({
  /** Adapter that made the change, e.g. "claude-settings", "codex-config", "shell-block". */
  adapter: v.string(),
  /** The file that was changed (the symlink target when the configured path is a link). */
  path: v.string(),
  /** Whether the file existed before headroom touched it. */
  existed: v.boolean(),
  /** Backup of the original bytes inside the profile folder (absent when the file was new). */
  backup: v.optional(v.string()),
  /** sha256 of the bytes headroom wrote, to tell whether the user edited the file since. */
  appliedSha256: v.string(),
  /** What the undo needs, by kind (previous values, keys added, ...). */
  data: v.optional(ChangeDataSchema),
});
export type ChangeRecord = v.InferOutput<typeof ChangeRecordSchema>;

/** The record's data when it is a file edit's (not the Windows environment's). */
export function fileChangeData(record: ChangeRecord): FileChangeData | undefined {
  const data = record.data;
  return data && data.kind !== "windows-env" ? data : undefined;
}
