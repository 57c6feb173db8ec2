// Loads the real compression corpus (bench/corpus/index.json and items/) that generate.ts
// produced from commands run on this machine.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface CorpusItem {
  id: string;
  /** Path of the output file, relative to bench/corpus/. */
  file: string;
  /** The kind of output: json-nested, json-array, json-minified, jsonl, table, csv, tsv, listing-*, tree, git-*, grep, test-log, compiler-errors, stack-trace, html, source-code, prose. */
  shape: string;
  /** The shell command that produced the output. */
  command: string;
  /** A question about one fact in the output. */
  question: string;
  /** Exact substrings of the output that must survive compression for the question to stay answerable. */
  mustSurvive: string[];
  /** "earlier": ask the question in an earlier user message and end with a generic "continue". */
  questionAt: "last" | "earlier";
  /** Output that compression should pass through untouched (HTML, source code, prose). */
  leaveAlone: boolean;
  text: string;
}

export const CORPUS_DIR = import.meta.dir;

/** Reads the index and every item; throws if a file is missing or a mustSurvive string is not in its item. */
export function loadCorpus(): CorpusItem[] {
  const index = JSON.parse(readFileSync(join(CORPUS_DIR, "index.json"), "utf8")) as (Omit<CorpusItem, "text" | "leaveAlone"> & { leaveAlone?: boolean })[];
  return index.map((e) => {
    const text = readFileSync(join(CORPUS_DIR, e.file), "utf8");
    if (!Array.isArray(e.mustSurvive) || e.mustSurvive.length === 0) throw new Error(`corpus item ${e.id}: no mustSurvive strings`);
    for (const m of e.mustSurvive) {
      if (!text.includes(m)) throw new Error(`corpus item ${e.id}: mustSurvive string not in ${e.file}: ${JSON.stringify(m)}`);
    }
    if (e.questionAt !== "last" && e.questionAt !== "earlier") throw new Error(`corpus item ${e.id}: bad questionAt ${e.questionAt}`);
    return {
      id: e.id,
      file: e.file,
      shape: e.shape,
      command: e.command,
      question: e.question,
      mustSurvive: e.mustSurvive,
      questionAt: e.questionAt,
      leaveAlone: e.leaveAlone === true,
      text,
    };
  });
}
