// Headroom-owned keys in a JSON, JSONC or JSON5 document: set with their previous values
// recorded; taken out again (previous value back) only where they still hold headroom's value.
import JSON5 from "json5";
import { parseTree, printParseErrorCode, type ParseError } from "jsonc-parser";
import { errorMessage, HeadroomError } from "../errors.ts";
import { getValue, hasPath, isPlainObject, jsonEqual, readTree, removeValue, setValue, type JsonPath } from "./json-tree.ts";
import type { JsonKeysPayload } from "./record.ts";
import type { ComputedEdit, FileEdit, UndoAdapter } from "./types.ts";

export type JsonFormat = JsonKeysPayload["format"];

export type KeyEntry = JsonKeysPayload["entries"][number];

function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split("\n").length}, column ${offset - before.lastIndexOf("\n")}`;
}

/** Parses with the format's real parser; throws a HeadroomError naming the path and the parser's message. */
export function parseJsonText(text: string, path: string, format: JsonFormat): Record<string, unknown> | null {
  if (text.trim() === "") return null;
  let value: unknown;
  try {
    if (format === "json") value = JSON.parse(text.replace(/^\uFEFF/, ""));
    else if (format === "json5") value = JSON5.parse(text);
    else {
      const errors: ParseError[] = [];
      parseTree(text, errors, { allowTrailingComma: true, allowEmptyContent: true });
      if (errors.length > 0) throw new Error(`${printParseErrorCode(errors[0]!.error)} at ${position(text, errors[0]!.offset)}`);
      value = JSON5.parse(text);
    }
  } catch (err) {
    throw new HeadroomError(`Cannot parse ${path} (${errorMessage(err).replace(/\.$/, "")}); headroom changed nothing.`, "Fix the file and try again.");
  }
  if (!isPlainObject(value)) {
    throw new HeadroomError(`Cannot use ${path}: its top level is not an object; headroom changed nothing.`, "Fix the file and try again.");
  }
  return value;
}

function dotted(path: JsonPath): string {
  return path.join(".");
}

/** Sets each (path, value) in the document, recording what was there before. */
export type Wanted = { path: JsonPath; value: unknown }[];

export function jsonKeysEdit(
  adapter: string,
  path: string,
  format: JsonFormat,
  wantedOrFn: Wanted | ((doc: Record<string, unknown> | null) => Wanted),
): FileEdit<JsonKeysPayload> {
  return {
    adapter,
    path,
    compute(before): ComputedEdit<JsonKeysPayload> {
      let text = before ?? "";
      const doc = parseJsonText(text, path, format);
      if (doc === null) text = "{}\n";
      const wanted = typeof wantedOrFn === "function" ? wantedOrFn(doc) : wantedOrFn;
      const entries: KeyEntry[] = [];
      const created: JsonPath[] = [];
      for (const w of wanted) {
        for (let i = 1; i < w.path.length; i++) {
          const prefix = w.path.slice(0, i);
          const cur = hasPath(text, prefix) ? getValue(text, prefix) : undefined;
          if (cur !== undefined && !isPlainObject(cur)) {
            throw new HeadroomError(`Cannot use ${path}: "${dotted(prefix)}" is not an object; headroom changed nothing.`, "Fix the file and try again.");
          }
          if (cur === undefined && !created.some((c) => dotted(c) === dotted(prefix))) created.push(prefix);
        }
        const has = hasPath(text, w.path);
        const prev = has ? getValue(text, w.path) : undefined;
        // A value that already is headroom's (left by an earlier run) is not a user value to restore.
        const hadPrevious = has && !jsonEqual(prev, w.value);
        entries.push(hadPrevious ? { path: w.path, value: w.value, hadPrevious, previous: prev } : { path: w.path, value: w.value, hadPrevious });
        text = setValue(text, w.path, w.value);
      }
      const check = parseJsonText(text, path, format);
      for (const e of entries) {
        if (!jsonEqual(lookup(check, e.path), e.value)) throw new HeadroomError(`Internal error: editing ${path} did not set ${dotted(e.path)}; nothing was written.`);
      }
      return { after: text, data: { format, entries, created, kind: "json-keys" } };
    },
  };
}

function lookup(doc: unknown, path: JsonPath): unknown {
  let cur = doc;
  for (const k of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export const jsonKeysUndo: UndoAdapter<JsonKeysPayload> = {
  name: "json-keys",
  strip(text, data, path) {
    parseJsonText(text, path, data.format);
    let out = text;
    for (const e of [...data.entries].reverse()) {
      if (!hasPath(out, e.path) || !jsonEqual(getValue(out, e.path), e.value)) continue;
      out = e.hadPrevious ? setValue(out, e.path, e.previous) : removeValue(out, e.path);
    }
    for (const c of [...data.created].sort((a, b) => b.length - a.length)) {
      const v = hasPath(out, c) ? getValue(out, c) : undefined;
      if (isPlainObject(v) && Object.keys(v).length === 0) out = removeValue(out, c);
    }
    if (readTree(out) !== null) parseJsonText(out, path, data.format);
    return out;
  },
  drift(text, data, path) {
    let doc: unknown;
    try {
      doc = parseJsonText(text, path, data.format);
    } catch (err) {
      return [`${path}: ${errorMessage(err)}`];
    }
    const lines: string[] = [];
    for (const e of data.entries) {
      const cur = lookup(doc, e.path);
      if (jsonEqual(cur, e.value)) continue;
      lines.push(
        cur === undefined
          ? `${path}: ${dotted(e.path)} was removed since headroom set it.`
          : `${path}: ${dotted(e.path)} was changed since headroom set it (now ${JSON.stringify(cur)}).`,
      );
    }
    return lines;
  },
};
