// Headroom-owned parts of a TOML document, edited as text so comments and everything else
// stay byte-identical: root keys (placed before the first table header, a user's own
// value replaced in place and remembered) and whole tables headroom owns. smol-toml only
// validates, before anything is written.
import { parse as parseToml } from "smol-toml";
import { errorMessage, HeadroomError } from "../errors.ts";
import { findTable, rootStatements, scanToml } from "./toml-text.ts";
import type { TomlKeysPayload } from "./record.ts";
import { eolOf, type ComputedEdit, type FileEdit, type UndoAdapter } from "./types.ts";

export interface TomlRootKey {
  key: string;
  /** The TOML literal, e.g. `"headroom"`. */
  literal: string;
}

export function parseTomlText(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (err) {
    const msg = errorMessage(err).split("\n")[0] ?? "";
    throw new HeadroomError(`Cannot parse ${path} (${msg.replace(/\.$/, "")}); headroom changed nothing.`, "Fix the file and try again.");
  }
}

function literalValue(literal: string): unknown {
  return parseToml(`x = ${literal}`).x;
}

function stmtValue(text: string): unknown {
  try {
    const parsed = parseToml(text.endsWith("\n") ? text : `${text}\n`);
    return Object.values(parsed)[0];
  } catch {
    return undefined;
  }
}

function findRootKey(text: string, key: string) {
  return rootStatements(scanToml(text)).find((s) => s.kind === "kv" && s.key === key);
}

/** Where new root keys go: after the last root key/value, else before the first header and its leading comments. */
function rootInsertPoint(text: string): number {
  const stmts = scanToml(text);
  const root = rootStatements(stmts);
  const lastKv = [...root].reverse().find((s) => s.kind === "kv");
  if (lastKv) return lastKv.end;
  const headerIdx = stmts.findIndex((s) => s.kind === "header");
  if (headerIdx < 0) return text.length;
  let i = headerIdx;
  while (i > 0 && text.slice(stmts[i - 1]!.start, stmts[i - 1]!.end).trim().startsWith("#")) i--;
  return stmts[i]!.start;
}

function setRootKey(text: string, key: string, literal: string, eol: string): { text: string; previous?: string } {
  const line = `${key} = ${literal}`;
  const found = findRootKey(text, key);
  if (found) {
    const stmt = text.slice(found.start, found.end);
    const body = stmt.replace(/\r?\n$/, "");
    const ending = stmt.slice(body.length);
    const previous = body === line || stmtValue(stmt) === literalValue(literal) ? undefined : body;
    return { text: text.slice(0, found.start) + line + ending + text.slice(found.end), previous };
  }
  const at = rootInsertPoint(text);
  const needsBreak = at > 0 && text[at - 1] !== "\n";
  return { text: text.slice(0, at) + (needsBreak ? eol : "") + line + eol + text.slice(at) };
}

function removeTable(text: string, name: string, separator: string): string {
  const t = findTable(scanToml(text), name);
  if (!t) return text;
  let start = t.start;
  const atEnd = text.slice(t.end).trim() === "";
  if (atEnd && separator && text.slice(0, start).endsWith(separator)) start -= separator.length;
  return text.slice(0, start) + text.slice(atEnd ? text.length : t.end);
}

export function tomlEdit(adapter: string, path: string, rootKeys: TomlRootKey[], tables: { name: string; body: string[] }[]): FileEdit<TomlKeysPayload> {
  return {
    adapter,
    path,
    compute(before): ComputedEdit<TomlKeysPayload> {
      let text = before ?? "";
      if (before !== null) parseTomlText(before, path);
      const eol = eolOf(before);
      const data: TomlKeysPayload = { rootKeys: [], tables: [], kind: "toml-keys" };
      for (const rk of rootKeys) {
        const r = setRootKey(text, rk.key, rk.literal, eol);
        text = r.text;
        data.rootKeys.push(r.previous !== undefined ? { key: rk.key, literal: rk.literal, previous: r.previous } : { key: rk.key, literal: rk.literal });
      }
      for (const tb of tables) {
        const section = [`[${tb.name}]`, ...tb.body].join(eol) + eol;
        const existing = findTable(scanToml(text), tb.name);
        let separator = "";
        if (existing) {
          text = text.slice(0, existing.start) + section + text.slice(existing.end);
        } else {
          if (text.length > 0 && !text.endsWith("\n")) separator += eol;
          if (text.trim().length > 0 && !(text + separator).endsWith(`${eol}${eol}`)) separator += eol;
          text = text + separator + section;
        }
        data.tables.push({ name: tb.name, text: section, separator });
      }
      const parsed = parseTomlText(text, path);
      for (const rk of rootKeys) {
        if (parsed[rk.key] !== literalValue(rk.literal)) throw new HeadroomError(`Internal error: editing ${path} did not set ${rk.key}; nothing was written.`);
      }
      return { after: text, data };
    },
  };
}

export const tomlUndo: UndoAdapter<TomlKeysPayload> = {
  name: "toml-keys",
  strip(text, data, path) {
    parseTomlText(text, path);
    let out = text;
    for (const tb of [...data.tables].reverse()) out = removeTable(out, tb.name, tb.separator);
    for (const rk of [...data.rootKeys].reverse()) {
      const found = findRootKey(out, rk.key);
      if (!found) continue;
      const stmt = out.slice(found.start, found.end);
      if (stmtValue(stmt) !== literalValue(rk.literal)) continue;
      const body = stmt.replace(/\r?\n$/, "");
      out = rk.previous !== undefined ? out.slice(0, found.start) + rk.previous + stmt.slice(body.length) + out.slice(found.end) : out.slice(0, found.start) + out.slice(found.end);
    }
    parseTomlText(out, path);
    return out;
  },
  drift(text, data, path) {
    let doc: Record<string, unknown>;
    try {
      doc = parseTomlText(text, path);
    } catch (err) {
      return [`${path}: ${errorMessage(err)}`];
    }
    const lines: string[] = [];
    for (const rk of data.rootKeys) {
      const cur = doc[rk.key];
      if (cur === literalValue(rk.literal)) continue;
      lines.push(cur === undefined ? `${path}: ${rk.key} was removed since headroom set it.` : `${path}: ${rk.key} was changed since headroom set it (now ${JSON.stringify(cur)}).`);
    }
    for (const tb of data.tables) {
      const t = findTable(scanToml(text), tb.name);
      if (!t) lines.push(`${path}: [${tb.name}] was removed since headroom added it.`);
      else if (text.slice(t.start, t.end) !== tb.text) lines.push(`${path}: [${tb.name}] was changed since headroom added it.`);
    }
    return lines;
  },
};
