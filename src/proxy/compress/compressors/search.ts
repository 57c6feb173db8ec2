// Search output in `path:line:` form (grep -n, ripgrep, git grep), or ripgrep's --heading
// form (a path line, then `line:text` hits under it): hit lines are kept
// verbatim and in their original order, never regrouped or renumbered. Per file the best
// hits stay (those matching the question first, then the earliest); what is left out is a
// gap marker `… N lines …`; a very long hit is cut and ends in `…`. Under --heading a kept
// hit keeps the path line above it.
import { HEADING_HIT, SEARCH_LINE, emitKept, looksLikeHeadingSearch, looksLikeSearch, rankMatches, splitLines } from "./lines.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

/** Hits kept per file that match nothing in the question, by the number of files. */
function quotaFor(files: number): number {
  return files <= 8 ? 4 : files <= 20 ? 2 : 1;
}
/** Files beyond this many keep only the hits that match the question. */
const MAX_FILES = 40;
/** Hits matching the question: per file and in all. */
const MATCHES_PER_FILE = 6;
const MAX_MATCHES = 30;
/** A question term in more than this share of the hits picks out nothing. */
const DISTINCTIVE = 0.5;
/** Context lines (`path-12-text`) kept on each side of a matching hit. */
const CONTEXT = 2;
/** Other lines (`Binary file … matches`, `grep: …: Permission denied`) kept. */
const MAX_OTHER = 5;
const MAX_LINE = 300;

export const searchCompressor: Compressor = {
  kind: "search",
  detect(text) {
    const sample = splitLines(text).slice(0, 400);
    return looksLikeSearch(sample) || looksLikeHeadingSearch(sample);
  },
  compress(text, ctx): CompressorOutput | null {
    const lines = splitLines(text);
    const n = lines.length;
    // Per line: the file it belongs to (-1: none), whether it is a hit.
    const fileOf = new Int32Array(n).fill(-1);
    const hit = new Uint8Array(n);
    const paths: string[] = [];
    /** ripgrep --heading: the line naming each file (-1 in `path:line:` output). */
    const headerOf: number[] = [];
    const fileIndex = new Map<string, number>();
    const hitsOf: number[][] = [];
    const fileFor = (path: string, header: number): number => {
      let f = fileIndex.get(path);
      if (f === undefined) {
        f = paths.length;
        fileIndex.set(path, f);
        paths.push(path);
        headerOf.push(header);
        hitsOf.push([]);
      }
      return f;
    };
    const heading = !looksLikeSearch(lines.slice(0, 400)) && looksLikeHeadingSearch(lines.slice(0, 400));
    let last = -1;
    for (let i = 0; i < n; i++) {
      const line = lines[i]!;
      if (heading) {
        const h = HEADING_HIT.exec(line);
        if (h && last >= 0) {
          fileOf[i] = last;
          if (line[h[1]!.length] === ":") {
            hit[i] = 1;
            hitsOf[last]!.push(i);
          }
        } else if (line.trim() !== "" && line !== "--" && i + 1 < n && HEADING_HIT.test(lines[i + 1]!)) {
          last = fileFor(`${line}\n${i}`, i);
          paths[last] = line;
        } else if (line.trim() === "") last = -1;
        continue;
      }
      const m = SEARCH_LINE.exec(line);
      if (m) {
        const f = fileFor(m[1]!, -1);
        fileOf[i] = f;
        last = f;
        // `path:12-text` is a context line in some tools' output.
        if (line[(line.startsWith("./") ? 2 : 0) + m[1]!.length + 1 + m[2]!.length] === "-") continue;
        hit[i] = 1;
        hitsOf[f]!.push(i);
        continue;
      }
      // A context line of grep -C: `path-12-text`, for the file of the hits around it.
      if (last >= 0 && line.startsWith(`${paths[last]!}-`) && /^\d+-/.test(line.slice(paths[last]!.length + 1))) fileOf[i] = last;
      else if (last >= 0 && line.startsWith(`./${paths[last]!}-`) && /^\d+-/.test(line.slice(paths[last]!.length + 3))) fileOf[i] = last;
    }
    let total = 0;
    for (const h of hitsOf) total += h.length;
    let files = 0;
    for (const h of hitsOf) if (h.length > 0) files++;
    if (total === 0) return null;

    const hitLines: number[] = [];
    const lower: string[] = [];
    for (let i = 0; i < n; i++) {
      if (!hit[i]) continue;
      hitLines.push(i);
      // Under --heading a hit is matched with the path above it.
      const header = headerOf[fileOf[i]!]!;
      lower.push(header >= 0 ? `${lines[header]!}\n${lines[i]!}`.toLowerCase() : lines[i]!.toLowerCase());
    }
    const keep = new Uint8Array(n);
    // The best matching hits over all files, a few per file. Terms in most hits (the
    // searched word itself) pick out nothing.
    const matchedPerFile = new Int32Array(paths.length);
    let matches = 0;
    for (const i of rankMatches(lower, ctx.queryTerms, DISTINCTIVE, hitLines.length)) {
      if (matches >= MAX_MATCHES) break;
      const line = hitLines[i]!;
      const f = fileOf[line]!;
      if (matchedPerFile[f]! >= MATCHES_PER_FILE) continue;
      matchedPerFile[f]!++;
      matches++;
      keep[line] = 1;
      for (let j = line - 1; j >= Math.max(0, line - CONTEXT) && fileOf[j] === f && !hit[j]; j--) keep[j] = 1;
      for (let j = line + 1; j <= Math.min(n - 1, line + CONTEXT) && fileOf[j] === f && !hit[j]; j++) keep[j] = 1;
    }
    // Then the earliest hits of each file, up to its quota.
    const quota = quotaFor(files);
    for (let f = 0; f < Math.min(paths.length, MAX_FILES); f++) {
      let room = quota - matchedPerFile[f]!;
      for (const line of hitsOf[f]!) {
        if (room <= 0) break;
        if (keep[line]) continue;
        keep[line] = 1;
        room--;
      }
    }
    const isHeader = new Uint8Array(n);
    for (const h of headerOf) if (h >= 0) isHeader[h] = 1;
    let other = 0;
    for (let i = 0; i < n && other < MAX_OTHER; i++) {
      const line = lines[i]!;
      if (hit[i] || fileOf[i]! >= 0 || isHeader[i] || line.trim() === "" || line === "--") continue;
      keep[i] = 1;
      other++;
    }
    for (let i = 0; i < n; i++) if (keep[i] && fileOf[i]! >= 0 && headerOf[fileOf[i]!]! >= 0) keep[headerOf[fileOf[i]!]!] = 1;
    let keptHits = 0;
    for (const i of hitLines) if (keep[i]) keptHits++;
    let kept = 0;
    for (let i = 0; i < n; i++) if (keep[i]) kept++;
    if (kept === n) return null;
    const out = emitKept(lines, keep, MAX_LINE);
    return {
      text: out.lines.join("\n"),
      summary: `${total} hits in ${files} file${files === 1 ? "" : "s"}, ${total - keptHits} hits omitted${out.cut > 0 ? `, ${out.cut} long lines cut` : ""}`,
    };
  },
};
