// Terms of the user's question, used to keep the rows and hits that match it.
const STOPWORDS = new Set(
  ("the and for with that this from what which where when have has was were are you your can " +
    "could would should will not but all any how why who its into about there their them then than " +
    "also just only some more most other such each please show tell find give list look does did " +
    "item items row rows file files line lines issue issues one two use using used get make").split(" "),
);

export function queryTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}_#./-]+/gu) ?? []) {
    const t = raw.replace(/^[#./-]+|[./-]+$/g, "");
    if (t.length < 3 && !/^\d+$/.test(t)) continue;
    if (STOPWORDS.has(t)) continue;
    terms.add(stem(t));
    if (terms.size >= 32) break;
  }
  return [...terms];
}

/** A light stem so that "flickering" finds "flickers" (matching is by substring). */
export function stem(term: string): string {
  if (!/^[a-z]+$/.test(term)) return term;
  const m = /^(.{4,}?)(ing|ed|es|s)$/.exec(term);
  return m ? m[1]! : term;
}

/** How many of the terms occur in the (lower-cased) text. */
export function matchCount(lowerText: string, terms: string[]): number {
  let n = 0;
  for (const t of terms) if (lowerText.includes(t)) n++;
  return n;
}

export const ERROR_WORDS = /\b(errors?|exceptions?|fail(ed|ure|ing|s)?|fatal|panic(ked)?|critical|crash(ed)?|denied|timed? ?out|refused|unreachable|traceback|segfault|abort(ed)?)\b/i;
