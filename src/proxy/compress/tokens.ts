// Fast token estimates (SPEC 9.2): about 3.5 characters per token for Claude, 4 for prose,
// 3.2 for JSON. Good enough for decisions and stats; never sent to a provider.
export type TokenProfile = "claude" | "prose" | "json";

const CHARS_PER_TOKEN: Record<TokenProfile, number> = { claude: 3.5, prose: 4, json: 3.2 };

export function estimateTokens(text: string, profile: TokenProfile = "prose"): number {
  if (text.length === 0) return 0;
  return Math.ceil(text.length / CHARS_PER_TOKEN[profile]);
}

/** JSON-looking text is denser in tokens than prose. */
export function profileFor(text: string, fallback: TokenProfile): TokenProfile {
  const c = text.charCodeAt(0);
  return c === 0x5b /* [ */ || c === 0x7b /* { */ ? "json" : fallback;
}

/**
 * Token mode: a fresh tool output (the newest message) of at least this many tokens is
 * compressed at first sight. Claude Code cuts Bash output at 30,000 characters (about
 * 8,600 tokens) and Codex at a similar size, so an output under 10,000 tokens is one a
 * client already considers ordinary; above it one result takes 5% or more of a
 * 200k-token context, and every later turn re-reads it.
 */
export const DEFAULT_FRESH_THRESHOLD = 10_000;

/** Tool output below this many tokens is never touched. */
export const SIZE_FLOOR_TOKENS = 500;
/** The shortest string that can reach the floor at the densest ratio (JSON). */
export const SIZE_FLOOR_CHARS = Math.floor(SIZE_FLOOR_TOKENS * CHARS_PER_TOKEN.json);

/** Characters of a parsed JSON body (strings, keys, a few per scalar), without serializing it. */
export function bodyChars(value: unknown): number {
  if (typeof value === "string") return value.length + 2;
  if (Array.isArray(value)) {
    let n = 2;
    for (const item of value) n += bodyChars(item) + 1;
    return n;
  }
  if (typeof value === "object" && value !== null) {
    let n = 2;
    for (const key in value) n += key.length + 4 + bodyChars((value as Record<string, unknown>)[key]);
    return n;
  }
  return 4;
}

/** Token estimate of a whole request body. */
export function estimateBodyTokens(body: unknown, profile: TokenProfile): number {
  return Math.ceil(bodyChars(body) / CHARS_PER_TOKEN[profile]);
}
