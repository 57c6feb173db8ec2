// Per-user tokens for a shared gateway (SPEC 10). HEADROOM_TOKENS_FILE names a JSON
// object {"<token>": "<user name>"} (for example a mounted Kubernetes Secret). Callers
// present their token in headroom's own `x-headroom-proxy-token` header, never in the
// provider's Authorization or x-api-key, which pass through untouched.
//
// The table holds SHA-256 digests of the tokens, not the tokens: a lookup hashes what the
// caller sent, so the time a Map lookup takes says nothing about a real token. The file
// is re-read when it changes, checked by one stat() at most every `checkMs` (1 s) on the
// request path; a Kubernetes Secret update (a symlink swap) shows up as a new inode. A
// reload that fails (file missing, unreadable or not valid) keeps the last good table and
// warns once per version of the file, so a half-written file never locks the team out.
//
// The other direction, a laptop's headroom using a gateway as its upstream, adds the
// token from the environment to what it forwards (upstreamTokenFromEnv, headers.ts).
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { errorMessage } from "../errors.ts";
import type { Env } from "../host/env.ts";
import { isObj } from "./compress/apis/types.ts";

export const TOKEN_HEADER = "x-headroom-proxy-token";
export const DEFAULT_CHECK_MS = 1000;
/** Shorter tokens are refused: a gateway is reachable from a network. */
export const MIN_TOKEN_CHARS = 16;
const MAX_USER_CHARS = 128;
// Printable, no control characters or quotes: a user name becomes a Prometheus label value and a JSON key.
const USER_NAME = /^[^\u0000-\u001f\u007f"\\]+$/;

export class TokensFileError extends Error {
  override name = "TokensFileError";
}

export const tokenDigest = (token: string): string => createHash("sha256").update(token).digest("hex");

/** The digest -> user table of a tokens file's text; throws TokensFileError with one sentence. */
export function parseTokens(text: string, path: string): Map<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TokensFileError(`The tokens file ${path} is not valid JSON (${errorMessage(err)}); expected {"<token>": "<user name>"}.`);
  }
  if (!isObj(data)) {
    throw new TokensFileError(`The tokens file ${path} must hold one JSON object {"<token>": "<user name>"}.`);
  }
  const out = new Map<string, string>();
  let n = 0;
  for (const [token, user] of Object.entries(data)) {
    n++;
    // Entries are named by position, never by token: the message may reach a log.
    if (token !== token.trim() || token.length < MIN_TOKEN_CHARS || /\s/.test(token)) {
      throw new TokensFileError(`Entry ${n} of the tokens file ${path}: a token must be at least ${MIN_TOKEN_CHARS} characters with no spaces.`);
    }
    if (typeof user !== "string" || user.trim() === "" || user !== user.trim() || user.length > MAX_USER_CHARS || !USER_NAME.test(user)) {
      throw new TokensFileError(
        `Entry ${n} of the tokens file ${path}: the user name must be a non-empty string of at most ${MAX_USER_CHARS} printable characters, without quotes, backslashes or surrounding spaces.`,
      );
    }
    out.set(tokenDigest(token), user);
  }
  return out;
}

export interface TokenTableOptions {
  /** Least time between two checks of the file (ms); 0 checks on every lookup. */
  checkMs?: number;
  warn?: (message: string) => void;
  info?: (message: string) => void;
  now?: () => number;
}

function readTable(path: string): { table: Map<string, string>; version: string } {
  let st: ReturnType<typeof statSync>;
  let text: string;
  try {
    st = statSync(path);
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TokensFileError(`The tokens file ${path} cannot be read (${code ?? errorMessage(err)}).`);
  }
  return { table: parseTokens(text, path), version: versionOf(st) };
}

const versionOf = (st: { mtimeMs: number; size: number; ino: number }) => `${st.mtimeMs}:${st.size}:${st.ino}`;

/** The tokens file, loaded once (load throws on a bad file) and re-read when it changes. */
export class TokenTable {
  private table: Map<string, string>;
  private version: string;
  private nextCheck: number;
  private warnedFor: string | null = null;
  private readonly checkMs: number;
  private readonly now: () => number;

  private constructor(
    readonly path: string,
    first: { table: Map<string, string>; version: string },
    private readonly opts: TokenTableOptions,
  ) {
    this.table = first.table;
    this.version = first.version;
    this.checkMs = Math.max(0, opts.checkMs ?? DEFAULT_CHECK_MS);
    this.now = opts.now ?? Date.now;
    this.nextCheck = this.now() + this.checkMs;
  }

  static load(path: string, opts: TokenTableOptions = {}): TokenTable {
    return new TokenTable(path, readTable(path), opts);
  }

  /** Number of tokens in the table in force. */
  get size(): number {
    this.refresh();
    return this.table.size;
  }

  /** The user a token belongs to, or undefined. */
  lookup(token: string): string | undefined {
    this.refresh();
    return this.table.get(tokenDigest(token));
  }

  /** Re-reads the file when its stat changed and the check interval has passed. */
  refresh(): void {
    const now = this.now();
    if (now < this.nextCheck) return;
    this.nextCheck = now + this.checkMs;
    let version: string;
    try {
      version = versionOf(statSync(this.path));
    } catch (err) {
      this.warnOnce("missing", `The tokens file ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); keeping the ${this.table.size} token(s) loaded before.`);
      return;
    }
    if (version === this.version) return;
    try {
      const next = readTable(this.path);
      this.table = next.table;
      this.version = next.version;
      this.warnedFor = null;
      this.opts.info?.(`Reloaded the tokens file ${this.path}: ${this.table.size} token(s).`);
    } catch (err) {
      this.warnOnce(version, `${errorMessage(err)} Keeping the ${this.table.size} token(s) loaded before.`);
    }
  }

  private warnOnce(key: string, message: string): void {
    if (this.warnedFor === key) return;
    this.warnedFor = key;
    this.opts.warn?.(message);
  }
}

const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The token a local headroom adds when its upstream is a gateway: the variable that
 * HEADROOM_UPSTREAM_TOKEN_ENV names (so a manifest records a name, never the value),
 * else HEADROOM_UPSTREAM_TOKEN. `error` when the named variable is unset or empty.
 */
export function upstreamTokenFromEnv(env: Env): { token?: string; error?: string } {
  const name = env.HEADROOM_UPSTREAM_TOKEN_ENV?.trim();
  if (name) {
    const value = env[name]?.trim();
    if (!value) return { error: `HEADROOM_UPSTREAM_TOKEN_ENV names ${name}, which is not set; export the gateway token as ${name}.` };
    return HEADER_SAFE.test(value) ? { token: value } : { error: `The gateway token in ${name} holds characters a header cannot carry.` };
  }
  const direct = env.HEADROOM_UPSTREAM_TOKEN?.trim();
  if (!direct) return {};
  return HEADER_SAFE.test(direct) ? { token: direct } : { error: "The gateway token in HEADROOM_UPSTREAM_TOKEN holds characters a header cannot carry." };
}
