// An emulation of Anthropic's prompt cache, for the cache-bill benchmark's upstream and
// for the proxy's net-saving accounting. Pure: no I/O, no clock unless one is given.
//
// The cacheable prefix is the request's tools, then its system prompt, then its messages,
// split into blocks: each tool definition, each system block (or the system string), each
// message content block (or a message's string content). A block that carries
// `cache_control` is a breakpoint (at most 4 per request). For one request:
//   - cache read: the longest prefix, ending at a block boundary, that was stored before.
//     Each breakpoint is looked up, and so are up to LOOKBACK (20) block boundaries before
//     it, as the provider documents;
//   - cache write: the tokens from there to the last breakpoint; the prefixes ending at
//     the breakpoints are stored;
//   - input: the tokens after the last breakpoint.
// A stored prefix is named by a running hash over the serialised blocks (with the model),
// so the same bytes in another conversation share an entry, as at the provider.
// Tokens: chars/3.5 of each block's canonical JSON (the block as sent, without its
// `cache_control`, which the provider does not cache: clients move it every turn).
// Not emulated: the minimum cacheable length (1,024 tokens for most models; an option
// here), the 1-hour TTL and its 2x write price, and the cache busts that changes of
// `tool_choice`, images or thinking settings cause.
import { estimateTokens } from "./compress/tokens.ts";

/** How many block boundaries before a breakpoint the provider also looks up. */
export const LOOKBACK = 20;
export const MAX_BREAKPOINTS = 4;
/** The provider's default cache lifetime, refreshed on every hit. */
export const DEFAULT_TTL_MS = 5 * 60_000;
/** Price of a cache write and a cache read, in units of base input. */
export const WRITE_PRICE = 1.25;
export const READ_PRICE = 0.1;

export interface CacheBlock {
  /** Running hash of the prefix that ends with this block. */
  hash: bigint;
  tokens: number;
  breakpoint: boolean;
}

export interface CacheUsage {
  /** Uncached input tokens (after the last breakpoint, or everything when none). */
  input: number;
  cacheWrite: number;
  cacheRead: number;
}

export interface CacheBill extends CacheUsage {
  /** input + 1.25 x write + 0.1 x read, in base-input tokens. */
  billed: number;
  /** All prompt tokens of the request: input + write + read. */
  context: number;
  breakpoints: number;
}

export class TooManyBreakpoints extends Error {
  constructor(readonly count: number) {
    super(`A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${count}.`);
  }
}

/** What the user pays for a request's input, in base-input tokens. */
export function billedInput(u: CacheUsage): number {
  return u.input + WRITE_PRICE * u.cacheWrite + READ_PRICE * u.cacheRead;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const dropCacheControl = (k: string, v: unknown) => (k === "cache_control" ? undefined : v);

/** A block's canonical JSON: as sent, without `cache_control` at any depth. */
export function canonicalJson(block: unknown): string {
  const plain = JSON.stringify(block) ?? "null";
  // Most blocks carry no marker: one native pass, no replacer.
  return plain.includes('"cache_control"') ? (JSON.stringify(block, dropCacheControl) ?? "null") : plain;
}

const hasBreakpoint = (block: unknown) => isObj(block) && block.cache_control !== undefined && block.cache_control !== null;

// Section and role tags folded into the running hash so that equal bytes in another place
// (a user text equal to an assistant text, a tool equal to a system block) never match.
const TAG_SEED = 0x68656164726f6f6dn; // "headroom"

/**
 * The request's cacheable blocks in cache order, each with the running hash of the prefix
 * it ends. Not an Anthropic Messages body (no messages array): an empty list. `memo`
 * keeps each block object's JSON, so a second body that shares block objects with the
 * first (a compressed copy) serialises only what differs.
 */
export function cacheBlocks(body: unknown, memo?: Map<unknown, string>): CacheBlock[] {
  if (!isObj(body) || !Array.isArray(body.messages)) return [];
  const out: CacheBlock[] = [];
  let hash = Bun.hash.wyhash(typeof body.model === "string" ? body.model : "", TAG_SEED);
  const push = (tag: string, block: unknown) => {
    let json = memo?.get(block);
    if (json === undefined) {
      json = canonicalJson(block);
      if (memo && typeof block === "object" && block !== null) memo.set(block, json);
    }
    hash = Bun.hash.wyhash(json, Bun.hash.wyhash(tag, hash));
    out.push({ hash, tokens: estimateTokens(json, "claude"), breakpoint: hasBreakpoint(block) });
  };
  if (Array.isArray(body.tools)) for (const tool of body.tools) push("tool", tool);
  if (typeof body.system === "string") {
    if (body.system !== "") push("system", { type: "text", text: body.system });
  } else if (Array.isArray(body.system)) {
    for (const block of body.system) push("system", block);
  }
  for (const message of body.messages) {
    if (!isObj(message)) continue;
    const role = typeof message.role === "string" ? message.role : "";
    const content = message.content;
    if (typeof content === "string") push(role, { type: "text", text: content });
    else if (Array.isArray(content)) content.forEach((block, i) => push(i === 0 ? role : "+", block));
  }
  return out;
}

export interface PromptCacheOptions {
  /** Stored prefixes kept at most (least recently used out). Default 100,000. */
  maxEntries?: number;
  /** Lifetime of a stored prefix, refreshed on each read; Infinity to ignore time. Default 5 min. */
  ttlMs?: number;
  /** A prefix shorter than this is never stored (the provider's minimum is 1,024 for most models). Default 0. */
  minTokens?: number;
  now?: () => number;
}

/** One cache (one organisation's, at the provider): stored prefix hashes and their expiry. */
export class PromptCache {
  /** Stored prefix hash -> expiry time; Map order is least recently used first. */
  private readonly entries = new Map<bigint, number>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly minTokens: number;
  private readonly now: () => number;

  constructor(opts: PromptCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.minTokens = opts.minTokens ?? 0;
    this.now = opts.now ?? (Number.isFinite(this.ttlMs) ? Date.now : () => 0);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private has(hash: bigint, now: number): boolean {
    const exp = this.entries.get(hash);
    if (exp === undefined) return false;
    if (exp <= now) {
      this.entries.delete(hash);
      return false;
    }
    return true;
  }

  private store(hash: bigint, now: number): void {
    this.entries.delete(hash);
    this.entries.set(hash, now + this.ttlMs);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Bills one request body and stores its breakpoint prefixes. Throws TooManyBreakpoints. */
  bill(body: unknown): CacheBill {
    return this.billBlocks(cacheBlocks(body));
  }

  /** Bills a request given its blocks (see cacheBlocks); the same blocks can be billed by several caches. */
  billBlocks(blocks: readonly CacheBlock[]): CacheBill {
    const breakpoints: number[] = [];
    for (let i = 0; i < blocks.length; i++) if (blocks[i]!.breakpoint) breakpoints.push(i);
    if (breakpoints.length > MAX_BREAKPOINTS) throw new TooManyBreakpoints(breakpoints.length);
    // Prefix sums: before[i] = tokens of blocks[0..i-1].
    const before = new Array<number>(blocks.length + 1);
    before[0] = 0;
    for (let i = 0; i < blocks.length; i++) before[i + 1] = before[i]! + blocks[i]!.tokens;
    const total = before[blocks.length]!;
    if (breakpoints.length === 0) return { input: total, cacheWrite: 0, cacheRead: 0, billed: total, context: total, breakpoints: 0 };

    const now = this.now();
    // The longest stored prefix at a breakpoint or up to LOOKBACK boundaries before one.
    let hit = -1; // index of the last block of the prefix read
    for (let b = breakpoints.length - 1; b >= 0; b--) {
      const at = breakpoints[b]!;
      for (let j = at; j >= Math.max(0, at - LOOKBACK) && j > hit; j--) {
        if (this.has(blocks[j]!.hash, now)) {
          hit = j;
          break;
        }
      }
    }
    if (hit >= 0) this.store(blocks[hit]!.hash, now); // a read refreshes the entry
    const last = breakpoints[breakpoints.length - 1]!;
    const read = hit >= 0 ? before[hit + 1]! : 0;
    let write = Math.max(0, before[last + 1]! - read);
    if (before[last + 1]! < this.minTokens) write = 0; // too short to cache: plain input
    else for (const at of breakpoints) if (before[at + 1]! >= this.minTokens) this.store(blocks[at]!.hash, now);
    const input = total - read - write;
    const usage = { input, cacheWrite: write, cacheRead: read };
    return { ...usage, billed: billedInput(usage), context: total, breakpoints: breakpoints.length };
  }
}
