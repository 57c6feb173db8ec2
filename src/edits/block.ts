// A marker-fenced block of lines owned by headroom inside a text file (shell profiles).
// The file's line endings are kept, and so is a missing trailing newline: the separator
// headroom had to add is recorded and taken out again with the block.
import { HeadroomError } from "../errors.ts";
import type { ShellBlockPayload } from "./record.ts";
import { eolOf, type ComputedEdit, type FileEdit, type UndoAdapter } from "./types.ts";

export const BLOCK_START = "# >>> headroom persistent env >>>";
export const BLOCK_END = "# <<< headroom persistent env <<<";

function findBlock(text: string, start: string, end: string): { from: number; to: number } | null {
  const s = text.indexOf(start);
  if (s < 0) return null;
  const e = text.indexOf(end, s);
  if (e < 0) return null;
  const from = text.lastIndexOf("\n", s - 1) + 1;
  const nl = text.indexOf("\n", e);
  return { from, to: nl < 0 ? text.length : nl + 1 };
}

/** `lines` are the block's inner lines; the markers are added around them. */
export function blockEdit(adapter: string, path: string, lines: string[], markers = { start: BLOCK_START, end: BLOCK_END }): FileEdit<ShellBlockPayload> {
  return {
    adapter,
    path,
    compute(before): ComputedEdit<ShellBlockPayload> {
      const text = before ?? "";
      const eol = eolOf(before);
      const all = [markers.start, ...lines, markers.end];
      const block = all.join(eol) + eol;
      const starts = text.split(markers.start).length - 1;
      const ends = text.split(markers.end).length - 1;
      if (starts > 1 || ends > 1 || starts !== ends) {
        throw new HeadroomError(
          `${path} has ${starts} "${markers.start}" and ${ends} "${markers.end}" lines; headroom changed nothing.`,
          "Leave exactly one pair of those lines (or none) and try again.",
        );
      }
      const found = findBlock(text, markers.start, markers.end);
      let separator = "";
      let after: string;
      if (found) {
        after = text.slice(0, found.from) + block + text.slice(found.to);
      } else {
        if (text.length > 0 && !text.endsWith("\n")) separator += eol;
        if (text.trim().length > 0) separator += eol;
        after = text + separator + block;
      }
      return { after, data: { start: markers.start, end: markers.end, lines: all, separator, kind: "shell-block" } };
    },
  };
}

export const blockUndo: UndoAdapter<ShellBlockPayload> = {
  name: "shell-block",
  strip(text, data) {
    const found = findBlock(text, data.start, data.end);
    if (!found) return text;
    let from = found.from;
    const atEnd = found.to >= text.length;
    const head = text.slice(0, from);
    if (atEnd && data.separator && head.endsWith(data.separator)) from -= data.separator.length;
    else if (!atEnd && data.separator) {
      // The user wrote more after the block since: the blank line headroom put before it
      // goes, and the line before it keeps its line ending.
      const eol = data.separator.endsWith("\r\n") ? "\r\n" : "\n";
      if (head.endsWith(eol + eol)) from -= eol.length;
    }
    return text.slice(0, from) + text.slice(found.to);
  },
  drift(text, data, path) {
    const found = findBlock(text, data.start, data.end);
    if (!found) return [`${path}: the headroom block was removed since headroom added it.`];
    const current = text.slice(found.from, found.to).split(/\r?\n/).filter((l, i, a) => i < a.length - 1 || l !== "");
    if (current.join("\n") !== data.lines.join("\n")) return [`${path}: the headroom block was changed since headroom added it.`];
    return [];
  },
};
