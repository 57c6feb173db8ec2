// The change record: one reversible change headroom made to a user's file or environment,
// with what is needed to undo it. Kept in a deployment's manifest, in a wrapped session's
// session.json and in the edit engine's records.json.
import * as v from "valibot";

/**
 * One recorded change to a user's file or environment, with what is needed to undo it.
 * The tool-wiring adapters own the `data` payload; the executor treats it as opaque.
 */
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
  /** Adapter-specific undo data (previous values, keys added, ...). */
  data: v.optional(v.record(v.string(), v.unknown())),
});
export type ChangeRecord = v.InferOutput<typeof ChangeRecordSchema>;
