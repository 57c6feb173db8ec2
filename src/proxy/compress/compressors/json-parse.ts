// A small JSON parser that keeps where everything is: the start and end of every value,
// and of every key, in the original text. The pruner builds its output by copying these
// spans, so nothing is re-serialised. Hand-written recursive descent over char codes; it
// is strict (what it accepts, JSON.parse accepts) and throws JsonSyntaxError otherwise.

export const OBJ = 0;
export const ARR = 1;
export const STR = 2;
export const NUM = 3;
export const LIT = 4;

export interface JNode {
  /** OBJ, ARR, STR, NUM or LIT (true, false, null). */
  type: number;
  /** Offset of the value's first character. */
  start: number;
  /** Offset one past the value's last character. */
  end: number;
  /** Containers: the elements, or the objects' values, in order. */
  kids: JNode[] | null;
  /** Objects: offset of each key's opening quote, parallel to kids. */
  keyStart: number[] | null;
  /** Objects: offset one past each key's closing quote. */
  keyEnd: number[] | null;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(`${message} at ${at}`);
    this.name = "JsonSyntaxError";
  }
}

/** A run of string characters that need no attention (sticky: matches at lastIndex, maybe empty). */
const PLAIN = /[^"\\\u0000-\u001f]*/y;

/** Deeper nesting than this is not treated as JSON (and keeps the recursion shallow). */
export const MAX_DEPTH = 400;

class Parser {
  pos: number;
  constructor(
    readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }

  fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  ws(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  value(depth: number): JNode {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x22) {
      const start = this.pos;
      this.string();
      return { type: STR, start, end: this.pos, kids: null, keyStart: null, keyEnd: null };
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal("true");
    if (c === 0x66) return this.literal("false");
    if (c === 0x6e) return this.literal("null");
    return this.fail(Number.isNaN(c) ? "unexpected end" : "unexpected character");
  }

  object(depth: number): JNode {
    if (depth >= MAX_DEPTH) this.fail("nested too deeply");
    const start = this.pos++;
    const kids: JNode[] = [];
    const keyStart: number[] = [];
    const keyEnd: number[] = [];
    this.ws();
    const t = this.text;
    if (t.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return { type: OBJ, start, end: this.pos, kids, keyStart, keyEnd };
    }
    for (;;) {
      if (t.charCodeAt(this.pos) !== 0x22) this.fail("expected a key");
      keyStart.push(this.pos);
      this.string();
      keyEnd.push(this.pos);
      this.ws();
      if (t.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.ws();
      kids.push(this.value(depth + 1));
      this.ws();
      const c = t.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.ws();
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return { type: OBJ, start, end: this.pos, kids, keyStart, keyEnd };
      }
      this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JNode {
    if (depth >= MAX_DEPTH) this.fail("nested too deeply");
    const start = this.pos++;
    const kids: JNode[] = [];
    this.ws();
    const t = this.text;
    if (t.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return { type: ARR, start, end: this.pos, kids, keyStart: null, keyEnd: null };
    }
    for (;;) {
      kids.push(this.value(depth + 1));
      this.ws();
      const c = t.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.ws();
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return { type: ARR, start, end: this.pos, kids, keyStart: null, keyEnd: null };
      }
      this.fail("expected ',' or ']'");
    }
  }

  /** Consumes a string starting at the opening quote. */
  string(): void {
    const t = this.text;
    let i = this.pos + 1;
    for (;;) {
      // Plain characters in one go; then a quote, an escape or a control character.
      PLAIN.lastIndex = i;
      PLAIN.test(t);
      i = PLAIN.lastIndex;
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const e = t.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = t.charCodeAt(i + k);
            if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) {
              this.pos = i;
              this.fail("bad \\u escape");
            }
          }
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
        } else {
          this.pos = i;
          this.fail("bad escape");
        }
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.pos = i;
        this.fail(Number.isNaN(c) ? "unterminated string" : "control character in string");
      }
      i++;
    }
    this.pos = i + 1;
  }

  number(): JNode {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === 0x2d) i++;
    let c = t.charCodeAt(i);
    if (c === 0x30) i++;
    else if (c >= 0x31 && c <= 0x39) {
      do i++;
      while ((c = t.charCodeAt(i)) >= 0x30 && c <= 0x39);
    } else {
      this.pos = i;
      this.fail("bad number");
    }
    if (t.charCodeAt(i) === 0x2e) {
      i++;
      c = t.charCodeAt(i);
      if (!(c >= 0x30 && c <= 0x39)) {
        this.pos = i;
        this.fail("bad number");
      }
      do i++;
      while ((c = t.charCodeAt(i)) >= 0x30 && c <= 0x39);
    }
    c = t.charCodeAt(i);
    if (c === 0x65 || c === 0x45) {
      i++;
      c = t.charCodeAt(i);
      if (c === 0x2b || c === 0x2d) i++;
      c = t.charCodeAt(i);
      if (!(c >= 0x30 && c <= 0x39)) {
        this.pos = i;
        this.fail("bad number");
      }
      do i++;
      while ((c = t.charCodeAt(i)) >= 0x30 && c <= 0x39);
    }
    this.pos = i;
    return { type: NUM, start, end: i, kids: null, keyStart: null, keyEnd: null };
  }

  literal(word: string): JNode {
    const start = this.pos;
    if (!this.text.startsWith(word, start)) this.fail("bad literal");
    this.pos += word.length;
    return { type: LIT, start, end: this.pos, kids: null, keyStart: null, keyEnd: null };
  }
}

/** Parses one JSON value at `start` (after optional whitespace); the text after it must be whitespace. */
export function parseJson(text: string, start = 0): JNode {
  const p = new Parser(text, start);
  p.ws();
  const node = p.value(0);
  p.ws();
  if (p.pos < text.length) p.fail("text after the JSON value");
  return node;
}

/**
 * Parses a stream of JSON values separated by whitespace (one value, JSON Lines, or
 * concatenated pretty values as `jq` prints them). Throws unless the whole text is such.
 */
export function parseJsonStream(text: string, start = 0): JNode[] {
  const p = new Parser(text, start);
  const values: JNode[] = [];
  p.ws();
  while (p.pos < text.length) {
    const node = p.value(0);
    values.push(node);
    p.ws();
    // Values of a stream are separated by whitespace ("{}{}" and "1 2" glued are not JSON).
    if (p.pos < text.length && p.pos === node.end) p.fail("values must be separated by whitespace");
  }
  return values;
}
