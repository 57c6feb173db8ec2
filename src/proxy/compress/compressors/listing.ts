// Hierarchical listings: `ls -R` / `ls -laR` (sections under `dir:` headers), `tree`, `find`
// paths and `find -ls`. A kept line keeps the lines that say where it is (its section header;
// for `tree`, its ancestor lines), and a line matches the question by the terms in it AND in
// those lines, so a question naming a directory and a file finds the file's line even when
// the directory is named only in the header above it. Every output line is a line of the
// original; each run of left-out lines is a marker `… N lines …`.
import { ERROR_WORDS } from "../query.ts";
import { emitKept, looksLikeDocument, rankMatches, sampleLines, splitLines } from "./lines.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

const MIN_LINES = 30;
const HEAD = 3;
const TAIL = 2;
const MAX_MATCHES = 12;
const MAX_ERRORS = 5;
/** Output lines spent on the outline (each section's header and first entry) at most. */
const OUTLINE_BUDGET = 30;
/** A question term in more than this share of the entries picks out nothing. */
const DISTINCTIVE = 0.5;
const MAX_LINE = 400;

type Kind = "ls-r" | "tree" | "find" | "find-ls";

const SECTION = /^\S.*:$/;
const TREE_LINK = /(├──|└──|\|--|`--) /;
const FIND_LS = /^\s*\d+\s+\d+\s+[-dlcbpsD][rwxsStT-]{9}[.+@]?\s/;
const PATH = /^(?:\.{1,2}\/|~\/|\/|[\w.@+-]+\/)\S*(?: \S+)*$/;
const LS_TOTAL = /^total \d/;
const DOT_ENTRY = /\s\.\.?$/;

function nonEmpty(lines: readonly string[]): string[] {
  return lines.filter((l) => l.trim() !== "");
}

function share(lines: readonly string[], test: (l: string) => boolean): number {
  let n = 0;
  for (const l of lines) if (test(l)) n++;
  return lines.length === 0 ? 0 : n / lines.length;
}

export function listingKind(lines: readonly string[]): Kind | null {
  if (lines.length < MIN_LINES) return null;
  const sample = sampleLines(lines, 200);
  if (looksLikeDocument(sample)) return null;
  const body = nonEmpty(sample);
  // ls -R: opens with a `dir:` header; more headers after blank lines; entries not indented.
  const first = lines.find((l) => l.trim() !== "") ?? "";
  if (SECTION.test(first)) {
    let headers = 0;
    let pathy = 0;
    let entries = 0;
    let indented = 0;
    for (let i = 0; i < sample.length; i++) {
      const l = sample[i]!;
      if (l.trim() === "") continue;
      if (SECTION.test(l) && (i === 0 || sample[i - 1]!.trim() === "")) {
        headers++;
        if (l === ".:" || l.includes("/")) pathy++;
      } else {
        entries++;
        if (/^\s/.test(l)) indented++;
      }
    }
    if (headers >= 2 && pathy >= headers / 2 && indented <= entries * 0.2) return "ls-r";
  }
  if (share(body, (l) => TREE_LINK.test(l)) >= 0.6) return "tree";
  if (share(body, (l) => FIND_LS.test(l)) >= 0.7) return "find-ls";
  if (share(body, (l) => PATH.test(l) && !l.includes(": ") && !/\s{2}/.test(l)) >= 0.85) return "find";
  return null;
}

/** Per line: the line that says where it is (-1: none), and the start of its section. */
function structure(lines: readonly string[], kind: Kind): { parent: Int32Array; sections: number[] } {
  const n = lines.length;
  const parent = new Int32Array(n).fill(-1);
  const sections: number[] = [];
  if (kind === "ls-r") {
    let header = -1;
    for (let i = 0; i < n; i++) {
      const l = lines[i]!;
      if (SECTION.test(l) && (i === 0 || lines[i - 1]!.trim() === "")) {
        header = i;
        sections.push(i);
      } else if (l.trim() !== "") parent[i] = header;
    }
  } else if (kind === "tree") {
    const stack: { depth: number; index: number }[] = [];
    for (let i = 0; i < n; i++) {
      const l = lines[i]!;
      if (l.trim() === "") continue;
      const m = TREE_LINK.exec(l);
      const depth = m ? Math.floor(m.index / 4) + 1 : 0;
      if (!m && /^\d+ director(y|ies)/.test(l)) continue;
      while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
      if (stack.length > 0) parent[i] = stack[stack.length - 1]!.index;
      if (depth <= 1) sections.push(i);
      stack.push({ depth, index: i });
    }
  } else {
    // find: the path is in the line; a section is a run of lines under one entry of the
    // directory searched (the first path printed).
    const pathOf = (l: string) => (kind === "find-ls" ? l.trim().split(/\s+/).slice(10).join(" ") || l.trim() : l.trim());
    const first = lines.findIndex((l) => l.trim() !== "");
    const root = first >= 0 ? `${pathOf(lines[first]!).replace(/\/$/, "")}/` : "";
    let section = "\0";
    for (let i = 0; i < n; i++) {
      if (lines[i]!.trim() === "") continue;
      const path = pathOf(lines[i]!);
      const rest = path.startsWith(root) ? path.slice(root.length) : path;
      const slash = rest.indexOf("/");
      const top = slash >= 0 ? rest.slice(0, slash) : rest;
      if (top !== section) {
        sections.push(i);
        section = top;
      }
    }
  }
  return { parent, sections };
}

export const listingCompressor: Compressor = {
  kind: "listing",
  detect(text) {
    return listingKind(splitLines(text)) !== null;
  },
  compress(text, ctx): CompressorOutput | null {
    const lines = splitLines(text);
    const kind = listingKind(lines);
    if (!kind) return null;
    const n = lines.length;
    const { parent, sections } = structure(lines, kind);
    const keep = new Uint8Array(n);
    /**
     * Keeps a line and the lines above it that say where it is; returns what that adds to
     * the output (a line kept apart from the others brings a gap marker with it).
     */
    const keepWithParents = (i: number): number => {
      let added = 0;
      for (let j = i; j >= 0 && !keep[j]; j = parent[j]!) {
        keep[j] = 1;
        added += j > 0 && !keep[j - 1] ? 2 : 1;
      }
      return added;
    };
    for (let i = 0; i < Math.min(HEAD, n); i++) keepWithParents(i);
    for (let i = Math.max(0, n - TAIL); i < n; i++) keepWithParents(i);

    let errors = 0;
    for (let i = 0; i < n && errors < MAX_ERRORS; i++) {
      if (ERROR_WORDS.test(lines[i]!) && !keep[i]) {
        keepWithParents(i);
        errors++;
      }
    }

    let matched = 0;
    if (ctx.queryTerms.length > 0) {
      // A line matches by its own terms and those of the lines that say where it is.
      const own = lines.map((l) => l.toLowerCase());
      for (const i of rankMatches(own, ctx.queryTerms, DISTINCTIVE, MAX_MATCHES, parent)) {
        if (lines[i]!.trim() === "") continue;
        keepWithParents(i);
        matched++;
      }
    }

    // The outline: each section's header and first real entry, while it stays cheap.
    let budget = OUTLINE_BUDGET;
    for (const s of sections) {
      if (budget <= 0) break;
      budget -= keepWithParents(s);
      if (kind === "ls-r") {
        for (let i = s + 1; i < n && lines[i]!.trim() !== "" && i < s + 5; i++) {
          if (LS_TOTAL.test(lines[i]!) || DOT_ENTRY.test(lines[i]!)) continue;
          budget -= keepWithParents(i);
          break;
        }
      }
    }

    const out = emitKept(lines, keep, MAX_LINE);
    if (out.omitted === 0) return null;
    return {
      text: out.lines.join("\n"),
      summary: `${out.omitted} of ${n} lines omitted${matched > 0 ? `, kept ${matched} matching the question with their directories` : ""}`,
    };
  },
};
