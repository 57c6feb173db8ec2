// Prunes parsed JSON by copying spans of the original text: kept elements and entries keep
// their own bytes and the separators after them, dropped runs become one marker element
// (`"… N items omitted …"`) or entry (`"… N keys omitted …": null`), and very long strings
// keep their head (and a window around a match of the question) with ` … N chars cut … `
// inside the quotes. The result is valid JSON, pretty input keeps its lines, minified input
// stays one line whose kept pieces are substrings of the original in order.
import { ERROR_WORDS } from "../query.ts";
import { ARR, LIT, NUM, OBJ, STR, type JNode } from "./json-parse.ts";

export const LIMITS = {
  /** Containers whose text is shorter than this stay whole. */
  smallContainer: 1000,
  /** Arrays (and streams) with fewer elements keep them all. */
  minItems: 8,
  /**
   * Objects are thinned like arrays when they are maps: at least this many keys with values
   * of one kind (nearly all strings, or all objects...), at least minItems keys whose values
   * are nearly all objects (`dependencies` of npm ls), or at least manyKeys keys whatever
   * their values. Other objects are records and keep every key.
   */
  mapKeys: 16,
  manyKeys: 64,
  /** Share of values that must be of the dominant kind for an object to be a map. */
  mapUniformity: 0.9,
  /** Elements kept on each side of a matched element in an array of scalars (an ordered list). */
  scalarContext: 1,
  head: 3,
  tail: 2,
  /** When the first result is still more than `tightShare` of the input: first 1 and last 1. */
  tightHead: 1,
  tightTail: 1,
  tightMinItems: 5,
  tightShare: 0.2,
  maxErrors: 8,
  maxOutliers: 4,
  maxMatches: 5,
  /** Matches scoring under this share of the best match's score are not kept. */
  matchRatio: 0.5,
  /** Strings longer than this (in the original text) are cut. */
  longString: 600,
  /** Characters kept at the start of a cut string. */
  stringHead: 240,
  /** Characters kept before and after a question term found further in a cut string. */
  windowBefore: 100,
  windowAfter: 200,
  /** A question term found in more places than this says nothing. */
  maxOccurrences: 20000,
};

export interface PruneStats {
  /** Elements of the arrays that lost some, and how many they lost. */
  items: number;
  itemsOmitted: number;
  /** Entries of the maps that lost some, and how many they lost. */
  keys: number;
  keysOmitted: number;
  /** Top-level values of a stream (JSON Lines), and how many were dropped. */
  lines: number;
  linesOmitted: number;
  /** Whether the stream was one value per line (JSON Lines). */
  jsonLines: boolean;
  stringsCut: number;
  charsCut: number;
  /** Containers that lost something, and the key of the first one (when it has one). */
  thinned: number;
  firstKey: string | null;
}

export interface PruneResult {
  text: string;
  stats: PruneStats;
}

const EMPTY: number[] = [];

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Whitespace (but not a newline) or JSON punctuation: what may share a line with a marker. */
function isPunct(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x2c || c === 0x3a || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export class Pruner {
  /** Offsets of every "\n". */
  private readonly newlines: number[] = [];
  /** Per question term: sorted offsets of its occurrences in the lower-cased text (empty: ignored). */
  private readonly occ: number[][];
  private readonly termLen: number[];
  private readonly pieces: string[] = [];
  /** The pending copy [copyStart, copyEnd): adjacent copies merge into one slice. */
  private copyStart = 0;
  private copyEnd = 0;
  private stats: PruneStats = emptyStats();
  /** Members kept at the start and end of a thinned container (fewer in a tight run). */
  private head: number = LIMITS.head;
  private tail: number = LIMITS.tail;
  private minItems: number = LIMITS.minItems;
  /** What selection learns about a container, the same in every run. */
  private readonly facts = new Map<JNode, { hits: number[][]; errors: number[] | null; outliers: number[] | null }>();

  constructor(
    private readonly text: string,
    terms: readonly string[],
  ) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.newlines.push(i);
    let lower = text.toLowerCase();
    // Offsets must line up with the original: fall back to ASCII-only lower-casing.
    if (lower.length !== text.length) lower = text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    this.occ = terms.map((term) => {
      const found: number[] = [];
      if (term.length === 0) return found;
      for (let i = lower.indexOf(term); i >= 0; i = lower.indexOf(term, i + term.length)) {
        found.push(i);
        if (found.length > LIMITS.maxOccurrences) return EMPTY;
      }
      return found;
    });
    this.termLen = terms.map((t) => t.length);
  }

  // ------------------------------------------------------------------ output

  private copy(start: number, end: number): void {
    if (end <= start) return;
    if (start === this.copyEnd && this.copyEnd > this.copyStart) {
      this.copyEnd = end;
      return;
    }
    this.flush();
    this.copyStart = start;
    this.copyEnd = end;
  }

  private flush(): void {
    if (this.copyEnd > this.copyStart) this.pieces.push(this.text.slice(this.copyStart, this.copyEnd));
    this.copyStart = this.copyEnd = 0;
  }

  private emit(s: string): void {
    this.flush();
    this.pieces.push(s);
  }

  // ------------------------------------------------------------------ entry point

  /** Prunes a stream of top-level values (one value, or JSON Lines); text before the first is kept. */
  run(values: JNode[], tight = false): PruneResult {
    const text = this.text;
    this.pieces.length = 0;
    this.copyStart = this.copyEnd = 0;
    this.stats = emptyStats();
    this.head = tight ? LIMITS.tightHead : LIMITS.head;
    this.tail = tight ? LIMITS.tightTail : LIMITS.tail;
    this.minItems = tight ? LIMITS.tightMinItems : LIMITS.minItems;
    const top: JNode = { type: ARR, start: values[0]!.start, end: text.length, kids: values, keyStart: null, keyEnd: null };
    this.copy(0, values[0]!.start);
    if (values.length === 1) {
      this.render(values[0]!, EMPTY, -1, -1);
      this.copy(values[0]!.end, text.length);
    } else {
      this.stats.jsonLines = values.every((v) => !this.hasNewline(v.start, v.end));
      this.container(top, EMPTY, -1, -1, true);
    }
    this.flush();
    let out = this.pieces.join("");
    // Trailing blank lines would only stand between the JSON and the engine's marker.
    let end = out.length;
    while (end > 0 && isWs(out.charCodeAt(end - 1))) {
      const nl = out.lastIndexOf("\n", end - 1);
      if (nl < 0 || out.slice(nl + 1, end).trim() !== "") break;
      end = nl;
      if (end > 0 && out.charCodeAt(end - 1) === 0x0d) end--;
    }
    out = out.slice(0, end);
    return { text: out, stats: this.stats };
  }

  // ------------------------------------------------------------------ rendering

  /** `required`: question terms that made an ancestor match; the path to one of each survives. */
  private render(node: JNode, required: number[], keyS: number, keyE: number): void {
    const type = node.type;
    if (type === STR) {
      if (node.end - node.start > LIMITS.longString) this.cutString(node, required);
      else this.copy(node.start, node.end);
      return;
    }
    if ((type !== OBJ && type !== ARR) || node.end - node.start < LIMITS.smallContainer || node.kids!.length === 0) {
      this.copy(node.start, node.end);
      return;
    }
    this.container(node, required, keyS, keyE, false);
  }

  private childStart(node: JNode, i: number): number {
    return node.keyStart ? node.keyStart[i]! : node.kids![i]!.start;
  }

  private container(node: JNode, required: number[], keyS: number, keyE: number, stream: boolean): void {
    const kids = node.kids!;
    const n = kids.length;
    const isObj = node.type === OBJ;
    const thin = isObj ? this.isMap(node) : n >= this.minItems;
    const { keep, pass } = this.select(node, required, thin);
    if (thin) this.align(node, keep);
    let dropped = 0;
    for (let i = 0; i < n; i++) if (!keep[i]) dropped++;
    if (dropped > 0) {
      if (stream) {
        this.stats.lines += n;
        this.stats.linesOmitted += dropped;
      } else if (isObj) {
        this.stats.keys += n;
        this.stats.keysOmitted += dropped;
      } else {
        this.stats.items += n;
        this.stats.itemsOmitted += dropped;
      }
      if (this.stats.thinned++ === 0 && keyS >= 0) this.stats.firstKey = this.keyText(keyS, keyE);
    }

    const text = this.text;
    // Opening bracket and whitespace up to the first child (for a stream: nothing).
    if (!stream) this.copy(node.start, this.childStart(node, 0));
    for (let i = 0; i < n; i++) {
      const kid = kids[i]!;
      if (keep[i]) {
        if (isObj) this.copy(node.keyStart![i]!, kid.start);
        this.render(kid, pass[i] ?? EMPTY, isObj ? node.keyStart![i]! : -1, isObj ? node.keyEnd![i]! : -1);
        let sepEnd = i + 1 < n ? this.childStart(node, i + 1) : node.end;
        // A stream's marker is a line of its own: the separator stops after its newline.
        if (stream && i + 1 < n && !keep[i + 1]) {
          const nl = text.lastIndexOf("\n", sepEnd - 1);
          if (nl >= kid.end) sepEnd = nl + 1;
        }
        this.copy(kid.end, sepEnd);
        continue;
      }
      let j = i;
      while (j + 1 < n && !keep[j + 1]) j++;
      const count = j - i + 1;
      if (stream) {
        this.emit(`… ${count} ${this.stats.jsonLines ? "lines" : "values"} omitted …`);
        const nl = text.indexOf("\n", kids[j]!.end);
        const sepStart = nl >= 0 && (j + 1 >= n || nl < this.childStart(node, j + 1)) ? nl : kids[j]!.end;
        this.copy(sepStart, j + 1 < n ? this.childStart(node, j + 1) : node.end);
        i = j;
        continue;
      } else if (isObj) {
        const colon = text.slice(node.keyEnd![i]!, kid.start);
        this.emit(`"… ${count} keys omitted …"${colon.includes("\n") ? ": " : colon}null`);
      } else {
        this.emit(`"… ${count} items omitted …"`);
      }
      this.copy(kids[j]!.end, j + 1 < n ? this.childStart(node, j + 1) : node.end);
      i = j;
    }
  }

  private keyText(keyStart: number, keyEnd: number): string | null {
    const key = this.text.slice(keyStart + 1, keyEnd - 1);
    return /^[\w.@$/-]{1,40}$/.test(key) ? key : null;
  }

  // ------------------------------------------------------------------ selection

  /**
   * Which children to keep, and the question terms to pass down to each kept child. Not
   * thinning: all kept. Thinning: first and last, problems, numeric outliers, matches.
   */
  private select(node: JNode, required: number[], thin: boolean): { keep: Uint8Array; pass: (number[] | undefined)[] } {
    const kids = node.kids!;
    const n = kids.length;
    const keep = new Uint8Array(n);
    const pass: (number[] | undefined)[] = new Array(n);
    let facts = this.facts.get(node);
    if (!facts) this.facts.set(node, (facts = { hits: this.termHits(node), errors: null, outliers: null }));
    if (thin && !facts.errors) {
      const errors: number[] = [];
      for (let i = 0; i < n && errors.length < LIMITS.maxErrors; i++) if (this.childHasError(node, i)) errors.push(i);
      facts.errors = errors;
      facts.outliers = this.outliers(node);
    }
    const hits = facts.hits;
    // A term is distinctive here when it is found in at most a fifth of the children (or one).
    const limit = Math.max(1, n * 0.2);
    const relevant: number[] = [];
    const distinctive: number[] = [];
    for (let t = 0; t < hits.length; t++) {
      const h = hits[t]!;
      if (h.length === 0) continue;
      const isDistinctive = h.length <= limit;
      if (isDistinctive) distinctive.push(t);
      if (isDistinctive || required.includes(t)) relevant.push(t);
    }

    if (!thin) keep.fill(1);
    else {
      const L = LIMITS;
      for (let i = 0; i < Math.min(this.head, n); i++) keep[i] = 1;
      for (let i = Math.max(0, n - this.tail); i < n; i++) keep[i] = 1;
      for (const i of facts.errors!) keep[i] = 1;
      for (const i of facts.outliers!) keep[i] = 1;
      if (distinctive.length > 0) {
        // The rarer a term among the children, the more a child holding it is the one asked
        // about. Kept: the best match, those as good, and weaker ones (down to a share of the
        // best) that hold a term no better match holds.
        const score = new Map<number, number>();
        const termsOf = new Map<number, number[]>();
        for (const t of distinctive) {
          const h = hits[t]!;
          for (const i of h) {
            score.set(i, (score.get(i) ?? 0) + 1 / h.length);
            const list = termsOf.get(i);
            if (list) list.push(t);
            else termsOf.set(i, [t]);
          }
        }
        const ranked = [...score].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        const best = ranked[0]![1];
        const covered = new Set<number>();
        const scalars = node.type === ARR && kids.every((k) => k.type !== OBJ && k.type !== ARR);
        const around = scalars ? L.scalarContext : 0;
        let matched = 0;
        for (const [i, sc] of ranked) {
          if (matched >= L.maxMatches || sc < best * L.matchRatio) break;
          const terms = termsOf.get(i)!;
          if (sc < best && terms.every((t) => covered.has(t))) continue;
          for (const t of terms) covered.add(t);
          matched++;
          for (let j = Math.max(0, i - around); j <= Math.min(n - 1, i + around); j++) keep[j] = 1;
        }
      }
      // The path to each term an ancestor matched on survives, even where it is common.
      for (const t of required) {
        const h = hits[t];
        if (!h || h.length === 0) continue;
        if (!h.some((i) => keep[i])) keep[h[0]!] = 1;
      }
    }
    for (const t of relevant) {
      for (const i of hits[t]!) {
        if (!keep[i]) continue;
        const list = pass[i];
        if (list) list.push(t);
        else pass[i] = [t];
      }
    }
    return { keep, pass };
  }

  /** An object whose entries are data (thinned like an array), not the fields of one record. */
  private isMap(node: JNode): boolean {
    const kids = node.kids!;
    const n = kids.length;
    if (n >= LIMITS.manyKeys) return true;
    if (n < this.minItems) return false;
    const counts = [0, 0, 0, 0, 0, 0];
    for (const k of kids) counts[k.type === LIT && this.text.charCodeAt(k.start) === 0x6e ? 5 : k.type]!++;
    const need = n * LIMITS.mapUniformity;
    if (counts[OBJ]! >= need) return true;
    return n >= LIMITS.mapKeys && counts.some((c) => c >= need);
  }

  /** Per question term, the (sorted, distinct) children whose text holds it. */
  private termHits(node: JNode): number[][] {
    const occ = this.occ;
    const result: number[][] = new Array(occ.length);
    const kids = node.kids!;
    const n = kids.length;
    for (let t = 0; t < occ.length; t++) {
      const list = occ[t]!;
      const out: number[] = [];
      result[t] = out;
      if (list.length === 0) continue;
      const len = this.termLen[t]!;
      // First occurrence at or after the container's start.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]! < node.start) lo = mid + 1;
        else hi = mid;
      }
      let child = 0;
      for (let k = lo; k < list.length; k++) {
        const p = list[k]!;
        if (p >= node.end) break;
        while (child < n && kids[child]!.end <= p) child++;
        if (child >= n) break;
        if (p >= this.childStart(node, child) && p + len <= kids[child]!.end && out[out.length - 1] !== child) out.push(child);
      }
    }
    return result;
  }

  /** A value that reports a problem: an error word in a string, or an error-named field with a real value. */
  private hasError(node: JNode, depth: number): boolean {
    const type = node.type;
    if (type === STR) return ERROR_WORDS.test(this.text.slice(node.start + 1, node.end - 1));
    if (depth > 3 || (type !== OBJ && type !== ARR)) return false;
    const kids = node.kids!;
    if (type === ARR) {
      for (const k of kids) if (this.hasError(k, depth + 1)) return true;
      return false;
    }
    for (let i = 0; i < kids.length; i++) {
      if (this.entryHasError(node, i, depth)) return true;
    }
    return false;
  }

  private entryHasError(node: JNode, i: number, depth: number): boolean {
    const kid = node.kids![i]!;
    const key = this.text.slice(node.keyStart![i]! + 1, node.keyEnd![i]! - 1);
    if (ERROR_WORDS.test(key) && this.isRealValue(kid)) return true;
    return this.hasError(kid, depth + 1);
  }

  private childHasError(node: JNode, i: number): boolean {
    return node.type === OBJ ? this.entryHasError(node, i, 0) : this.hasError(node.kids![i]!, 0);
  }

  /** Not null, false, 0, "", [] or {}. */
  private isRealValue(node: JNode): boolean {
    switch (node.type) {
      case LIT:
        return this.text.charCodeAt(node.start) === 0x74; // true
      case NUM:
        return Number(this.text.slice(node.start, node.end)) !== 0;
      case STR:
        return node.end - node.start > 2;
      default:
        return node.kids!.length > 0;
    }
  }

  /** Children that are objects with a numeric field most of them have, more than 3 standard deviations out. */
  private outliers(node: JNode): number[] {
    const kids = node.kids!;
    const n = kids.length;
    const fields = new Map<string, { idx: number[]; vals: number[] }>();
    for (let i = 0; i < n; i++) {
      const kid = kids[i]!;
      if (kid.type !== OBJ) continue;
      const vk = kid.kids!;
      for (let j = 0; j < vk.length; j++) {
        const v = vk[j]!;
        if (v.type !== NUM) continue;
        const name = this.text.slice(kid.keyStart![j]!, kid.keyEnd![j]!);
        let f = fields.get(name);
        if (!f) fields.set(name, (f = { idx: [], vals: [] }));
        f.idx.push(i);
        f.vals.push(Number(this.text.slice(v.start, v.end)));
      }
    }
    const scored: { index: number; z: number }[] = [];
    for (const { idx, vals } of fields.values()) {
      if (vals.length < n / 2) continue;
      let sum = 0;
      for (const v of vals) sum += v;
      const mean = sum / vals.length;
      let sq = 0;
      for (const v of vals) sq += (v - mean) ** 2;
      const sd = Math.sqrt(sq / vals.length);
      if (!(sd > 0) || !Number.isFinite(sd)) continue;
      for (let k = 0; k < vals.length; k++) {
        const z = Math.abs(vals[k]! - mean) / sd;
        if (z > 3) scored.push({ index: idx[k]!, z });
      }
    }
    scored.sort((a, b) => b.z - a.z || a.index - b.index);
    return [...new Set(scored.map((s) => s.index))].slice(0, LIMITS.maxOutliers);
  }

  // ------------------------------------------------------------------ line safety

  private hasNewline(start: number, end: number): boolean {
    const nl = this.newlines;
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nl[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < nl.length && nl[lo]! < end;
  }

  /** Only whitespace and punctuation (`[]{},:`) between the line's start and `pos`. */
  private opensLine(pos: number): boolean {
    const t = this.text;
    for (let i = pos - 1; i >= 0; i--) {
      const c = t.charCodeAt(i);
      if (c === 0x0a) return true;
      if (!isPunct(c)) return false;
    }
    return true;
  }

  /** Only whitespace and punctuation between `pos` and the line's end. */
  private closesLine(pos: number): boolean {
    const t = this.text;
    for (let i = pos; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x0a) return true;
      if (!isPunct(c)) return false;
    }
    return true;
  }

  /**
   * A dropped run either lies within one line (its marker then cuts that line), or starts
   * a line and ends one (its marker is a line of its own). A run that would glue pieces of
   * two different lines together is shrunk to whole lines, or kept.
   */
  private align(node: JNode, keep: Uint8Array): void {
    const kids = node.kids!;
    const n = kids.length;
    for (let i = 0; i < n; i++) {
      if (keep[i]) continue;
      let j = i;
      while (j + 1 < n && !keep[j + 1]) j++;
      const start = this.childStart(node, i);
      const end = kids[j]!.end;
      if (this.hasNewline(start, end) && !(this.opensLine(start) && this.closesLine(end))) {
        let a = i;
        while (a <= j && !this.opensLine(this.childStart(node, a))) a++;
        let b = j;
        while (b >= a && !this.closesLine(kids[b]!.end)) b--;
        for (let k = i; k < a; k++) keep[k] = 1;
        for (let k = b + 1; k <= j; k++) keep[k] = 1;
      }
      i = j;
    }
  }

  // ------------------------------------------------------------------ long strings

  /** Whether the backslash at `b` starts an escape (an odd run of backslashes ends there). */
  private startsEscape(b: number, from: number): boolean {
    let k = 0;
    for (let j = b; j >= from && this.text.charCodeAt(j) === 0x5c; j--) k++;
    return k % 2 === 1;
  }

  /** Moves a cut boundary back so it splits no escape sequence and no surrogate pair. */
  private safeBoundary(pos: number, from: number): number {
    const t = this.text;
    for (let b = pos - 1; b >= Math.max(from, pos - 5); b--) {
      if (t.charCodeAt(b) !== 0x5c) continue;
      if (this.startsEscape(b, from)) {
        const len = t.charCodeAt(b + 1) === 0x75 ? 6 : 2;
        if (b + len > pos) pos = b;
      }
      break;
    }
    const c = t.charCodeAt(pos - 1);
    if (c >= 0xd800 && c <= 0xdbff) pos--;
    // An escaped surrogate pair (\ud83d\ude00) stays together.
    if (pos - 6 >= from && t.charCodeAt(pos - 6) === 0x5c && t.charCodeAt(pos - 5) === 0x75 && this.startsEscape(pos - 6, from)) {
      const hi = parseInt(t.slice(pos - 4, pos), 16);
      if (isHex(t.charCodeAt(pos - 1)) && hi >= 0xd800 && hi <= 0xdbff) pos -= 6;
    }
    return pos;
  }

  /** A boundary moved onto a nearby space (the space itself falls in the cut), when there is one. */
  private snapBack(pos: number, from: number): number {
    const t = this.text;
    for (let i = pos; i > Math.max(from, pos - 32); i--) if (t.charCodeAt(i) === 0x20) return i;
    return pos;
  }

  private snapForward(pos: number, to: number): number {
    const t = this.text;
    for (let i = pos; i < Math.min(to, pos + 32); i++) if (t.charCodeAt(i) === 0x20) return i + 1;
    return pos;
  }

  /** The first occurrence of a question term inside [from, to): required terms first, then any. */
  private firstMatch(from: number, to: number, required: number[]): { at: number; len: number } | null {
    const find = (terms: Iterable<number>): { at: number; len: number } | null => {
      let best: { at: number; len: number } | null = null;
      for (const t of terms) {
        const list = this.occ[t]!;
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid]! < from) lo = mid + 1;
          else hi = mid;
        }
        const p = list[lo];
        if (p !== undefined && p + this.termLen[t]! <= to && (!best || p < best.at)) best = { at: p, len: this.termLen[t]! };
      }
      return best;
    };
    return find(required) ?? find(this.occ.keys());
  }

  private cutString(node: JNode, required: number[]): void {
    const from = node.start + 1;
    const to = node.end - 1;
    let headEnd = this.safeBoundary(this.snapBack(from + LIMITS.stringHead, from), from);
    const match = this.firstMatch(headEnd, to, required);
    let winStart = -1;
    let winEnd = -1;
    if (match) {
      const at = match.at;
      winStart = this.safeBoundary(this.snapForward(Math.max(headEnd, at - LIMITS.windowBefore), at), from);
      winEnd = at + LIMITS.windowAfter >= to ? to : this.safeBoundary(this.snapBack(Math.max(at + LIMITS.windowAfter, at + match.len), at + match.len), from);
      if (winStart <= headEnd + 16) {
        headEnd = winEnd;
        winStart = winEnd = -1;
      }
    }
    const kept = headEnd - from + (winStart >= 0 ? winEnd - winStart : 0);
    if (to - from - kept < 100 || headEnd >= to) {
      this.copy(node.start, node.end);
      return;
    }
    this.stats.stringsCut++;
    this.copy(node.start, headEnd);
    if (winStart >= 0) {
      this.emit(` … ${winStart - headEnd} chars cut … `);
      this.stats.charsCut += winStart - headEnd;
      this.copy(winStart, winEnd);
      headEnd = winEnd;
    }
    if (headEnd < to) {
      this.emit(` … ${to - headEnd} chars cut … `);
      this.stats.charsCut += to - headEnd;
    }
    this.copy(to, node.end);
  }
}

function emptyStats(): PruneStats {
  return { items: 0, itemsOmitted: 0, keys: 0, keysOmitted: 0, lines: 0, linesOmitted: 0, jsonLines: false, stringsCut: 0, charsCut: 0, thinned: 0, firstKey: null };
}

/** One line for the marker: what was left out. */
export function summarize(stats: PruneStats): string {
  const omitted: string[] = [];
  if (stats.linesOmitted > 0) omitted.push(`${stats.linesOmitted} of ${stats.lines} ${stats.jsonLines ? "lines" : "values"}`);
  if (stats.itemsOmitted > 0) omitted.push(`${stats.itemsOmitted} of ${stats.items} items`);
  if (stats.keysOmitted > 0) omitted.push(`${stats.keysOmitted} of ${stats.keys} keys`);
  const parts: string[] = [];
  if (omitted.length > 0) parts.push(`${omitted.join(" and ")} omitted${stats.thinned === 1 && stats.firstKey ? ` from "${stats.firstKey}"` : ""}`);
  if (stats.stringsCut > 0) parts.push(`${stats.stringsCut} long string${stats.stringsCut === 1 ? "" : "s"} cut (${stats.charsCut} chars)`);
  return parts.join(", ");
}
