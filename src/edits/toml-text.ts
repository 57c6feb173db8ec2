// Statement-level view of a TOML document, for minimal text edits: where each root
// key/value statement and each table header sits (multi-line strings and arrays are
// one statement). smol-toml validates; this only locates.
export interface TomlStatement {
  kind: "kv" | "header" | "other";
  /** Offset of the statement's first character (line start). */
  start: number;
  /** Offset just past the statement's last line break (or the end of the text). */
  end: number;
  /** For kv: the key as written, unquoted (dotted keys keep their dots). */
  key?: string;
  /** For header: the table name with blanks and simple quotes removed. */
  table?: string;
}

function normalizeTable(raw: string): string {
  return raw
    .replace(/^\[+|\]+$/g, "")
    .split(".")
    .map((s) => s.trim().replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1"))
    .join(".");
}

/** Splits the text into statements (a line, or several for a multi-line value). */
export function scanToml(text: string): TomlStatement[] {
  const out: TomlStatement[] = [];
  let pos = 0;
  while (pos < text.length) {
    const start = pos;
    const lineEnd = (p: number) => {
      const nl = text.indexOf("\n", p);
      return nl < 0 ? text.length : nl + 1;
    };
    const firstLine = text.slice(start, lineEnd(start));
    const trimmed = firstLine.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      pos = lineEnd(start);
      out.push({ kind: "other", start, end: pos });
      continue;
    }
    if (trimmed.startsWith("[")) {
      pos = lineEnd(start);
      const m = /^\s*(\[\[?[^\]]*\]\]?)/.exec(firstLine);
      out.push({ kind: "header", start, end: pos, table: normalizeTable(m ? m[1]! : trimmed) });
      continue;
    }
    // key = value, possibly spanning lines: scan until depth 0 outside strings at a line break.
    const km = /^[ \t]*("(?:[^"\\]|\\.)*"|'[^']*'|[^=\s]+(?:[ \t]*\.[ \t]*[^=\s]+)*)[ \t]*=/.exec(firstLine);
    const key = km ? km[1]!.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1") : undefined;
    let p = start + (km ? km[0].length : 0);
    let depth = 0;
    while (p < text.length) {
      const c = text[p]!;
      if (c === "#") {
        while (p < text.length && text[p] !== "\n") p++;
        continue;
      }
      if (c === '"' || c === "'") {
        const triple = text.startsWith(c.repeat(3), p);
        if (triple) {
          const close = text.indexOf(c.repeat(3), p + 3);
          p = close < 0 ? text.length : close + 3;
          while (text[p] === c) p++;
        } else {
          p++;
          while (p < text.length && text[p] !== c && text[p] !== "\n") {
            if (c === '"' && text[p] === "\\") p++;
            p++;
          }
          p++;
        }
        continue;
      }
      if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") depth--;
      else if (c === "\n" && depth <= 0) {
        p++;
        break;
      }
      p++;
    }
    pos = Math.min(p, text.length);
    out.push({ kind: "kv", start, end: pos, key });
  }
  return out;
}

/** Statements before the first table header. */
export function rootStatements(stmts: TomlStatement[]): TomlStatement[] {
  const i = stmts.findIndex((s) => s.kind === "header");
  return i < 0 ? stmts : stmts.slice(0, i);
}

/** The [table] section: from its header to the end of its last key/value statement. */
export function findTable(stmts: TomlStatement[], table: string): { start: number; end: number; next: number | null } | null {
  const i = stmts.findIndex((s) => s.kind === "header" && s.table === table);
  if (i < 0) return null;
  let end = stmts[i]!.end;
  let next: number | null = null;
  for (let j = i + 1; j < stmts.length; j++) {
    const s = stmts[j]!;
    if (s.kind === "header") {
      next = s.start;
      break;
    }
    if (s.kind === "kv") end = s.end;
  }
  return { start: stmts[i]!.start, end, next };
}
