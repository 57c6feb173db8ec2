// Token usage as the upstream reports it, read from a side copy of the response:
// a JSON body (parsed once at the end, up to a size cap) or an SSE stream (parsed line by
// line as it passes, keeping only the unfinished line).
export interface Usage {
  model?: string;
  /** Uncached input tokens. */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

interface Partial {
  model?: string;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** Reads one usage object in any of the three API shapes. */
function readUsageObject(u: Obj, into: Partial): void {
  // Anthropic Messages
  const cacheWrite = num(u.cache_creation_input_tokens);
  const cacheReadA = num(u.cache_read_input_tokens);
  // OpenAI Chat Completions
  const prompt = num(u.prompt_tokens);
  const completion = num(u.completion_tokens);
  const promptDetails = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : undefined;
  // OpenAI Responses
  const inputDetails = isObj(u.input_tokens_details) ? u.input_tokens_details : undefined;
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);

  if (prompt !== undefined || completion !== undefined) {
    const cached = num(promptDetails?.cached_tokens) ?? 0;
    if (prompt !== undefined) into.input = Math.max(0, prompt - cached);
    into.cacheRead = cached;
    if (completion !== undefined) into.output = completion;
    return;
  }
  if (inputDetails) {
    const cached = num(inputDetails.cached_tokens) ?? 0;
    if (input !== undefined) into.input = Math.max(0, input - cached);
    into.cacheRead = cached;
    if (output !== undefined) into.output = output;
    return;
  }
  if (input !== undefined) into.input = input;
  if (output !== undefined) into.output = output;
  if (cacheReadA !== undefined) into.cacheRead = cacheReadA;
  if (cacheWrite !== undefined) into.cacheWrite = cacheWrite;
}

/** Finds model and usage in a response object or stream event (Anthropic, Chat Completions, Responses). */
export function readEvent(event: unknown, into: Partial): void {
  if (!isObj(event)) return;
  const holders: Obj[] = [event];
  if (isObj(event.message)) holders.push(event.message);
  if (isObj(event.response)) holders.push(event.response);
  for (const h of holders) {
    if (typeof h.model === "string" && !into.model) into.model = h.model;
    if (isObj(h.usage)) readUsageObject(h.usage, into);
  }
}

function finish(p: Partial): Usage | undefined {
  if (p.input === undefined && p.output === undefined && p.cacheRead === undefined && p.cacheWrite === undefined && !p.model) {
    return undefined;
  }
  return { model: p.model, input: p.input ?? 0, output: p.output ?? 0, cacheRead: p.cacheRead ?? 0, cacheWrite: p.cacheWrite ?? 0 };
}

export interface UsageReader {
  push(chunk: Uint8Array): void;
  finish(): Usage | undefined;
}

const JSON_CAP = 8 * 1024 * 1024;
const LINE_CAP = 4 * 1024 * 1024;

const BACKSLASH = 0x5c;
const utf8 = new TextDecoder();

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Index just past `"key":` used as a JSON key (not text inside a string), searching from the end or the start. */
function findKey(text: string, key: string, fromEnd: boolean): number {
  let at = fromEnd ? text.lastIndexOf(key) : text.indexOf(key);
  while (at !== -1) {
    let j = at + key.length;
    while (j < text.length && isSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === 0x3a && text.charCodeAt(at - 1) !== BACKSLASH) return j + 1;
    at = fromEnd ? (at === 0 ? -1 : text.lastIndexOf(key, at - 1)) : text.indexOf(key, at + 1);
  }
  return -1;
}

/** The JSON value that starts at `start` (after whitespace), when it is an object or string. */
function valueAt(text: string, start: number): unknown {
  let i = start;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  const open = text.charCodeAt(i);
  if (open === 0x22) {
    // A string: without escapes it is the text up to the next quote.
    const close = text.indexOf('"', i + 1);
    if (close === -1) return undefined;
    const raw = text.slice(i + 1, close);
    if (!raw.includes("\\")) return raw;
  } else if (open !== 0x7b) {
    return undefined;
  }
  let depth = 0;
  let inString = false;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (inString) {
      if (c === BACKSLASH) j++;
      else if (c === 0x22) {
        inString = false;
        if (open === 0x22) return JSON.parse(text.slice(i, j + 1));
      }
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return JSON.parse(text.slice(i, j + 1));
  }
  return undefined;
}

/**
 * Reads model and usage from a complete JSON response without parsing all of it: the
 * last `"usage":` key (responses put usage at the end) and the first `"model":` key.
 * Falls back to a full parse when the quick read finds nothing.
 */
export function readJsonUsage(bytes: Uint8Array): Usage | undefined {
  const p: Partial = {};
  try {
    const text = utf8.decode(bytes);
    const u = findKey(text, '"usage"', true);
    const usage = u === -1 ? undefined : valueAt(text, u);
    if (usage && typeof usage === "object") {
      const m = findKey(text, '"model"', false);
      const model = m === -1 ? undefined : valueAt(text, m);
      readEvent({ usage, model: typeof model === "string" ? model : undefined }, p);
      return finish(p);
    }
    readEvent(JSON.parse(text), p);
  } catch {
    return undefined;
  }
  return finish(p);
}

/** Collects a JSON body (up to 8 MB) and reads its usage at the end. */
export function jsonUsageReader(): UsageReader {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let over = false;
  return {
    push(chunk) {
      if (over) return;
      size += chunk.byteLength;
      if (size > JSON_CAP) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    },
    finish() {
      if (over || size === 0) return undefined;
      return readJsonUsage(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    },
  };
}

const USAGE_BYTES = Buffer.from('"usage"');
const MODEL_BYTES = Buffer.from('"model"');

/**
 * Parses SSE `data:` lines as they pass. Chunks are searched as bytes (native search);
 * only the lines that mention "usage" (or "model", until the model is known) are decoded
 * and JSON-parsed. An unfinished last line is carried to the next chunk.
 */
export function sseUsageReader(): UsageReader {
  const p: Partial = {};
  let carry: Buffer | null = null;
  let skipping = false;
  const line = (text: string) => {
    if (!text.startsWith("data:")) return;
    const wantsModel = !p.model && text.includes('"model"');
    if (!wantsModel && !/"usage"\s*:\s*\{/.test(text)) return;
    try {
      readEvent(JSON.parse(text.slice(5)), p);
    } catch {
      // not JSON ([DONE], a comment): nothing to read
    }
  };
  // Only the lines that mention "usage" (or "model", while it is unknown) are decoded.
  const lines = (buf: Buffer) => {
    let from = 0;
    while (from < buf.length) {
      const u = buf.indexOf(USAGE_BYTES, from);
      const m = p.model ? -1 : buf.indexOf(MODEL_BYTES, from);
      const at = u === -1 ? m : m === -1 ? u : Math.min(u, m);
      if (at === -1) return;
      const start = buf.lastIndexOf(10, at) + 1;
      let end = buf.indexOf(10, at);
      if (end === -1) end = buf.length;
      line(buf.toString("utf8", start, end));
      from = end + 1;
    }
  };
  return {
    push(chunk) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const nl = buf.lastIndexOf(10);
      if (nl === -1) {
        if (skipping) return;
        carry = carry ? Buffer.concat([carry, buf]) : Buffer.from(buf);
        if (carry.length > LINE_CAP) {
          carry = null;
          skipping = true;
        }
        return;
      }
      let complete = buf.subarray(0, nl);
      if (skipping) {
        const first = complete.indexOf(10);
        complete = first === -1 ? complete.subarray(complete.length) : complete.subarray(first + 1);
        skipping = false;
      } else if (carry) {
        complete = Buffer.concat([carry, complete]);
      }
      carry = nl + 1 < buf.length ? Buffer.from(buf.subarray(nl + 1)) : null;
      if (complete.length > 0) lines(complete);
    },
    finish() {
      if (carry && !skipping) lines(carry);
      carry = null;
      return finish(p);
    },
  };
}

/** Chooses the reader by the response's content type; null when nothing can be read. */
export function usageReaderFor(contentType: string | null): UsageReader | null {
  if (!contentType) return null;
  if (contentType.includes("text/event-stream")) return sseUsageReader();
  if (contentType.includes("json")) return jsonUsageReader();
  return null;
}
