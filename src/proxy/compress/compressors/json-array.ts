// JSON of any shape: one document (an array of objects, an object of big maps and arrays,
// nested kubectl/docker/npm output, pretty or minified), also after a short heading line,
// or JSON Lines. The output is built from spans of the original text (json-prune.ts):
// big arrays and maps keep their first and last members, members that report a problem,
// numeric outliers and members matching the question; records keep every key; pruning
// goes down into what is kept; very long strings are cut. Dropped runs leave a marker
// element, entry or line, so the result is valid JSON that invents no line.
import { parseJsonStream, type JNode } from "./json-parse.ts";
import { LIMITS, Pruner, summarize } from "./json-prune.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

/** Where the JSON starts: at once, or after a short heading line or two ("Found 100 issues:"). */
export function jsonStart(text: string): number {
  let at = 0;
  for (let line = 0; line < 3; line++) {
    let i = at;
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\r")) i++;
    const c = text[i];
    if (c === "[" || c === "{") return i;
    const nl = text.indexOf("\n", at);
    if (nl < 0 || nl - at > 200) return -1;
    at = nl + 1;
  }
  return -1;
}

export const jsonArrayCompressor: Compressor = {
  kind: "json",
  detect(text) {
    return jsonStart(text) >= 0;
  },
  compress(text, ctx): CompressorOutput | null {
    const start = jsonStart(text);
    if (start < 0) return null;
    let values: JNode[];
    try {
      values = parseJsonStream(text, start);
    } catch {
      return null;
    }
    if (values.length === 0) return null;
    const pruner = new Pruner(text, ctx.queryTerms);
    let result = pruner.run(values);
    // Thinned but still big: keep fewer examples (first 1 and last 1); matches and problems stay.
    if (result.stats.thinned > 0 && result.text.length > text.length * LIMITS.tightShare) {
      const tight = pruner.run(values, true);
      if (tight.text.length < result.text.length) result = tight;
    }
    const { text: out, stats } = result;
    if (stats.thinned === 0 && stats.stringsCut === 0) return null;
    return { text: out, summary: summarize(stats) };
  },
};
