// Search output in `path:line:` form (grep -n, ripgrep, git grep): grouped by file, the best
// hits per file kept (those matching the question first, then the earliest), long lines cut.
import { matchCount } from "../query.ts";
import { SEARCH_LINE, looksLikeSearch, splitLines } from "./lines.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

const HITS_PER_FILE = 4;
const MAX_LINE = 160;

interface Hit {
  line: number;
  text: string;
  order: number;
}

export const searchCompressor: Compressor = {
  kind: "search",
  detect(text) {
    return looksLikeSearch(splitLines(text).slice(0, 400));
  },
  compress(text, ctx): CompressorOutput | null {
    const files = new Map<string, Hit[]>();
    const other: string[] = [];
    let total = 0;
    splitLines(text).forEach((raw, order) => {
      const m = SEARCH_LINE.exec(raw);
      if (!m) {
        if (raw.trim() !== "" && raw !== "--") other.push(raw);
        return;
      }
      total++;
      let hits = files.get(m[1]!);
      if (!hits) files.set(m[1]!, (hits = []));
      hits.push({ line: Number(m[2]), text: m[3]!.trim(), order });
    });
    if (total === 0) return null;
    const out: string[] = [];
    let omitted = 0;
    for (const [path, hits] of files) {
      const best = hits
        .map((h) => ({ h, score: matchCount(h.text.toLowerCase(), ctx.queryTerms) }))
        .sort((a, b) => b.score - a.score || a.h.order - b.h.order)
        .slice(0, HITS_PER_FILE)
        .map((s) => s.h)
        .sort((a, b) => a.order - b.order);
      out.push(`${path} (${hits.length} hit${hits.length === 1 ? "" : "s"})`);
      for (const h of best) {
        const t = h.text.length > MAX_LINE ? `${h.text.slice(0, MAX_LINE)}…` : h.text;
        out.push(`  ${h.line}: ${t}`);
      }
      omitted += hits.length - best.length;
    }
    out.push(...other.slice(0, 5));
    return {
      text: out.join("\n"),
      summary: `${total} hits in ${files.size} files, grouped by file; ${omitted} hits omitted, long lines cut`,
    };
  },
};
