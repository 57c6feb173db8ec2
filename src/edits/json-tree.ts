// A location-keeping reader for JSON, JSONC and JSON5 text, and minimal text edits on it:
// only the bytes of the property being set or removed change; comments, trailing commas,
// key quoting, key order and indentation elsewhere stay as they were. Validation is
// done beforehand by the real parsers (JSON.parse, jsonc-parser, json5); this reader is
// lenient and only needs to find where things are.
import JSON5 from "json5";
import { eolOf } from "./types.ts";

export type JsonPath = string[];

interface ValueNode { kind: "value"; start: number; end: number }
interface ArrayNode { kind: "array"; start: number; end: number }
export interface ObjectNode { kind: "object"; start: number; end: number; props: Prop[] }
export type Node = ValueNode | ArrayNode | ObjectNode;
export interface Prop {
  key: string;
  keyStart: number;
  quote: '"' | "'" | "";
  value: Node;
  /** Offset just after this property's comma, when it has one. */
  commaEnd?: number;
}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  skip(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) return;
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF" || c === "\u00A0" || c === "\u2028" || c === "\u2029") {
        this.pos++;
      } else if (c === "/" && t[this.pos + 1] === "/") {
        while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && t[this.pos + 1] === "*") {
        const end = t.indexOf("*/", this.pos + 2);
        this.pos = end < 0 ? t.length : end + 2;
      } else return;
    }
  }

  string(): string {
    const t = this.text;
    const q = t[this.pos]!;
    const start = this.pos;
    this.pos++;
    while (this.pos < t.length && t[this.pos] !== q) {
      if (t[this.pos] === "\\") this.pos++;
      this.pos++;
    }
    this.pos++;
    return JSON5.parse(t.slice(start, this.pos)) as string;
  }

  value(): Node {
    this.skip();
    const t = this.text;
    const start = this.pos;
    const c = t[this.pos];
    if (c === "{") return this.object();
    if (c === "[") {
      this.pos++;
      for (;;) {
        this.skip();
        if (t[this.pos] === "]" || this.pos >= t.length) break;
        this.value();
        this.skip();
        if (t[this.pos] === ",") this.pos++;
      }
      this.pos++;
      return { kind: "array", start, end: this.pos };
    }
    if (c === '"' || c === "'") {
      this.string();
      return { kind: "value", start, end: this.pos };
    }
    while (this.pos < t.length && /[A-Za-z0-9_.+\-$]/.test(t[this.pos]!)) this.pos++;
    if (this.pos === start) this.pos++;
    return { kind: "value", start, end: this.pos };
  }

  object(): ObjectNode {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    const props: Prop[] = [];
    for (;;) {
      this.skip();
      if (this.pos >= t.length) break;
      if (t[this.pos] === "}") break;
      const keyStart = this.pos;
      let key: string;
      let quote: Prop["quote"] = "";
      if (t[this.pos] === '"' || t[this.pos] === "'") {
        quote = t[this.pos] as '"' | "'";
        key = this.string();
      } else {
        while (this.pos < t.length && /[^\s:/]/.test(t[this.pos]!)) this.pos++;
        key = t.slice(keyStart, this.pos);
      }
      this.skip();
      if (t[this.pos] === ":") this.pos++;
      const value = this.value();
      const prop: Prop = { key, keyStart, quote, value };
      this.skip();
      if (t[this.pos] === ",") {
        this.pos++;
        prop.commaEnd = this.pos;
      }
      props.push(prop);
    }
    this.pos++;
    return { kind: "object", start, end: this.pos, props };
  }
}

/** The root object of a document, or null when the text is empty. */
export function readTree(text: string): ObjectNode | null {
  const r = new Reader(text);
  r.skip();
  if (r.pos >= text.length) return null;
  const node = r.value();
  return node.kind === "object" ? node : null;
}

function findProp(obj: ObjectNode, key: string): Prop | undefined {
  // The last one wins, as in JSON.parse.
  for (let i = obj.props.length - 1; i >= 0; i--) if (obj.props[i]!.key === key) return obj.props[i];
  return undefined;
}

/** Walks `path`; returns the deepest object reached and the property found at the end, if any. */
function locate(text: string, path: JsonPath): { parent: ObjectNode; depth: number; prop?: Prop } | null {
  let obj = readTree(text);
  if (!obj) return null;
  for (let i = 0; i < path.length; i++) {
    const prop = findProp(obj, path[i]!);
    if (!prop) return { parent: obj, depth: i };
    if (i === path.length - 1) return { parent: obj, depth: i, prop };
    if (prop.value.kind !== "object") return { parent: obj, depth: i, prop };
    obj = prop.value;
  }
  return null;
}

export function getValue(text: string, path: JsonPath): unknown {
  const loc = locate(text, path);
  if (!loc?.prop || loc.depth !== path.length - 1) return undefined;
  return JSON5.parse(text.slice(loc.prop.value.start, loc.prop.value.end));
}

export function hasPath(text: string, path: JsonPath): boolean {
  const loc = locate(text, path);
  return !!loc?.prop && loc.depth === path.length - 1;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

interface Style { unit: string; eol: string; quote: '"' | "'" | "" }

function styleOf(text: string): Style {
  const eol = eolOf(text);
  const m = /\n([ \t]+)\S/.exec(text);
  const unit = m ? (m[1]!.startsWith("\t") ? "\t" : m[1]!) : "  ";
  const tree = readTree(text);
  const first = tree?.props[0];
  return { unit, eol, quote: first ? first.quote : '"' };
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function indentAt(text: string, offset: number): string {
  const ls = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(ls, offset))![0];
}

function onOwnLine(text: string, offset: number): boolean {
  return text.slice(lineStart(text, offset), offset).trim() === "";
}

function renderKey(key: string, style: Style): string {
  if (style.quote === "" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return key;
  if (style.quote === "'") return `'${JSON.stringify(key).slice(1, -1).replace(/'/g, "\\'").replace(/\\"/g, '"')}'`;
  return JSON.stringify(key);
}

function renderValue(value: unknown, indent: string, style: Style): string {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return "{}";
    const inner = indent + style.unit;
    const lines = keys.map((k) => `${inner}${renderKey(k, style)}: ${renderValue(value[k], inner, style)}`);
    return `{${style.eol}${lines.join(`,${style.eol}`)}${style.eol}${indent}}`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = indent + style.unit;
    return `[${style.eol}${value.map((v) => inner + renderValue(v, inner, style)).join(`,${style.eol}`)}${style.eol}${indent}]`;
  }
  return JSON.stringify(value);
}

function nest(path: JsonPath, value: unknown): unknown {
  let v = value;
  for (let i = path.length - 1; i >= 0; i--) v = { [path[i]!]: v };
  return v;
}

/** End of the line holding `offset` when the rest of that line is only blanks or a // comment. */
function restOfLineEnd(text: string, offset: number): number | null {
  const nl = text.indexOf("\n", offset);
  const end = nl < 0 ? text.length : nl;
  const rest = text.slice(offset, end).replace(/\r$/, "");
  if (rest.trim() === "" || rest.trim().startsWith("//")) return offset + rest.length;
  return null;
}

function insertProp(text: string, obj: ObjectNode, key: string, value: unknown, style: Style): string {
  const objIndent = indentAt(text, obj.start);
  const last = obj.props[obj.props.length - 1];
  if (!last) {
    const inner = text.slice(obj.start + 1, obj.end - 1);
    const propIndent = objIndent + style.unit;
    const entry = `${renderKey(key, style)}: ${renderValue(value, propIndent, style)}`;
    if (inner.trim() === "") {
      return `${text.slice(0, obj.start + 1)}${style.eol}${propIndent}${entry}${style.eol}${objIndent}${text.slice(obj.end - 1)}`;
    }
    // Only comments inside: add after the opening brace.
    return `${text.slice(0, obj.start + 1)}${style.eol}${propIndent}${entry},${text.slice(obj.start + 1)}`;
  }
  const first = obj.props[0]!;
  const multiline = onOwnLine(text, first.keyStart);
  const propIndent = multiline ? indentAt(text, first.keyStart) : objIndent + style.unit;
  const trailing = last.commaEnd !== undefined;
  const entry = `${renderKey(key, style)}: ${renderValue(value, propIndent, style)}`;
  if (!multiline) {
    // Inline object: `{ a: 1 }` -> `{ a: 1, key: value }`.
    const at = last.commaEnd ?? last.value.end;
    return `${text.slice(0, at)}${trailing ? " " : ", "}${entry}${trailing ? "," : ""}${text.slice(at)}`;
  }
  const afterLast = last.commaEnd ?? last.value.end;
  const lineEnd = restOfLineEnd(text, afterLast);
  const at = lineEnd ?? afterLast;
  const newLine = `${style.eol}${propIndent}${entry}${trailing ? "," : ""}`;
  if (trailing) return text.slice(0, at) + newLine + text.slice(at);
  return text.slice(0, last.value.end) + "," + text.slice(last.value.end, at) + newLine + text.slice(at);
}

/**
 * Sets `path` to `value`, creating missing parent objects. The text must hold an object
 * at the root (an empty text becomes `{}` first). Only the edited span changes.
 */
export function setValue(text: string, path: JsonPath, value: unknown): string {
  let base = text;
  if (readTree(base) === null) base = `{}${eolOf(text)}`;
  const style = styleOf(text.trim() === "" ? "" : text);
  const loc = locate(base, path)!;
  if (loc.prop && loc.depth === path.length - 1) {
    const v = loc.prop.value;
    const indent = indentAt(base, loc.prop.keyStart);
    return base.slice(0, v.start) + renderValue(value, indent, style) + base.slice(v.end);
  }
  if (loc.prop) {
    // A non-object sits where an object is needed: replace it with the nested value.
    const v = loc.prop.value;
    const indent = indentAt(base, loc.prop.keyStart);
    return base.slice(0, v.start) + renderValue(nest(path.slice(loc.depth + 1), value), indent, style) + base.slice(v.end);
  }
  return insertProp(base, loc.parent, path[loc.depth]!, nest(path.slice(loc.depth + 1), value), style);
}

/** Removes the property at `path` (and its line, when it sits on lines of its own). */
export function removeValue(text: string, path: JsonPath): string {
  const loc = locate(text, path);
  if (!loc?.prop || loc.depth !== path.length - 1) return text;
  const { prop, parent } = loc;
  const idx = parent.props.indexOf(prop);
  const end0 = prop.commaEnd ?? prop.value.end;
  if (onOwnLine(text, prop.keyStart)) {
    const lineEnd = restOfLineEnd(text, end0);
    if (lineEnd !== null) {
      let start = lineStart(text, prop.keyStart);
      let end = lineEnd;
      // Take the line break too.
      if (text[end] === "\n") end += 1;
      else if (start > 0) {
        // Last line of the file: take the preceding line break instead.
        start -= text[start - 2] === "\r" ? 2 : 1;
      }
      let out = text.slice(0, start) + text.slice(end);
      if (prop.commaEnd === undefined && idx > 0) out = dropCommaBefore(out, start, parent.props[idx - 1]!);
      return out;
    }
  }
  let start = prop.keyStart;
  let end = end0;
  while (text[end] === " ") end++;
  let out = text.slice(0, start) + text.slice(end);
  if (prop.commaEnd === undefined && idx > 0) out = dropCommaBefore(out, start, parent.props[idx - 1]!);
  return out;
}

/** JSON (not JSON5) forbids a trailing comma: drop the previous property's comma when it became the last. */
function dropCommaBefore(text: string, _removedAt: number, prev: Prop): string {
  if (prev.commaEnd === undefined) return text;
  return text.slice(0, prev.commaEnd - 1) + text.slice(prev.commaEnd);
}
