// The contract between the file-edit engine (engine.ts) and the format adapters. An edit
// is computed by a closure that knows its parameters (port, host...); taking it out again
// and spotting drift use only the recorded data, so they work from a manifest alone.
import type { EditPayload, FileChangeData } from "./record.ts";

export interface ComputedEdit<P extends EditPayload = EditPayload> {
  /** The new file content. */
  after: string;
  /** What the undo adapter needs to take the edit out again (kept in the change record; its kind names the adapter). */
  data: P;
}

/** One file headroom wants to change. */
export interface FileEdit<P extends EditPayload = EditPayload> {
  /** What made the change, kept in ChangeRecord.adapter (e.g. "codex-config"). */
  adapter: string;
  /** The configured path (may be a symlink). */
  path: string;
  /** Mode of the folders a write creates for the file (default 0700; 0755 for a system-wide config). */
  dirMode?: number;
  /**
   * Validates `before` (throws HeadroomError naming the path and the parser's message)
   * and returns the edited text. `before` is null when the file does not exist.
   */
  compute(before: string | null): ComputedEdit<P>;
  /**
   * When set, the change is made by running these commands (the tool's own CLI) instead
   * of writing `after`; the file is backed up and recorded the same way.
   */
  commands?: (data: FileChangeData) => string[][];
  /** Extra environment for those commands (e.g. the config path the CLI must edit). */
  commandEnv?: Record<string, string>;
  /** Commands that take the change out again, used when the user edited the file since. */
  revertCommands?: (data: FileChangeData) => string[][];
}

/** The undo side of one adapter; `data` is what its edit computed (or the whole recorded data). */
export interface UndoAdapter<P extends EditPayload> {
  name: P["kind"];
  /** Takes headroom's edit out of `text` (a file the user changed since), keeping the rest. */
  strip(text: string, data: P, path: string): string;
  /** One line per managed edit that is no longer in place in `text`. */
  drift(text: string, data: P, path: string): string[];
}

export function eolOf(text: string | null): string {
  return text !== null && text.includes("\r\n") ? "\r\n" : "\n";
}
