// How each API lays out its messages and tool output, behind one interface.
export type Json = Record<string, unknown>;

/** Returns the replacement text, or null to keep the text as it is. */
export type TextMapper = (text: string) => string | null;

export interface ApiAdapter {
  /** The conversation list (messages / input items), or null when there is none to look at. */
  list(body: Json): unknown[] | null;
  withList(body: Json, list: unknown[]): Json;
  /** Index of the first item of the live tail (never compressed in token mode). */
  liveFrom(list: unknown[]): number;
  /** The text of the recent user messages (the question the tool output serves). */
  queryText(body: Json, list: unknown[]): string;
  /** Applies `fn` to every compressible tool-output text of one item; same object when nothing changed. */
  mapToolTexts(item: unknown, fn: TextMapper): unknown;
  /** Does the request declare tools of the client's own (then it gets the retrieve tool on every request)? */
  declaresTools(body: Json): boolean;
  /** The body with the headroom_retrieve tool appended (unchanged when already there). */
  withRetrieveTool(body: Json): Json;
}

export function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Maps text parts of a content array (`{type, text}` with one of the given types). */
export function mapTextParts(parts: unknown[], types: string[], fn: TextMapper): unknown[] {
  let out: unknown[] | null = null;
  parts.forEach((part, i) => {
    if (!isObj(part) || !types.includes(part.type as string) || typeof part.text !== "string") return;
    const next = fn(part.text);
    if (next === null) return;
    out ??= parts.slice();
    out[i] = { ...part, text: next };
  });
  return out ?? parts;
}

/**
 * Applies `fn` to a tool output that is a string or an array of text parts (with one of
 * the given types); the same value when nothing changed.
 */
export function mapToolOutput(content: unknown, types: string[], fn: TextMapper): unknown {
  if (typeof content === "string") return fn(content) ?? content;
  if (Array.isArray(content)) return mapTextParts(content, types, fn);
  return content;
}

/** How many of the latest user messages with text the question is taken from. */
export const RECENT_USER_MESSAGES = 3;

/**
 * The text of the latest user messages that have any (parts of the given types), newest
 * first, or "". The question a tool output serves may have been asked a few turns back
 * ("continue" after it).
 */
export function recentUserText(list: unknown[], types: string[], count = RECENT_USER_MESSAGES): string {
  const texts: string[] = [];
  for (let i = list.length - 1; i >= 0 && texts.length < count; i--) {
    const m = list[i];
    if (!isObj(m) || m.role !== "user") continue;
    const text = textOf(m.content, types);
    if (text.trim() !== "") texts.push(text);
  }
  return texts.join("\n");
}

export function textOf(content: unknown, types: string[]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((p): p is Json => isObj(p) && types.includes(p.type as string) && typeof p.text === "string")
    .map((p) => p.text as string)
    .join("\n");
}

/** Tools declared in the top-level `tools` list (Anthropic, OpenAI Chat). */
export function declaresTopLevelTools(body: Json): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0;
}

export function withTool(body: Json, name: string, tool: Json, nameOf: (t: unknown) => unknown): Json {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (tools.some((t) => nameOf(t) === name)) return body;
  return { ...body, tools: [...tools, tool] };
}
