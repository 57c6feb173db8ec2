// Compresses one tool output: picks the compressor by the content's shape, adds the marker,
// keeps the original retrievable, and remembers the result by the original's hash so the
// same tool output is forwarded with the same bytes on every later turn.
import { BoundedCache } from "./bounded-cache.ts";
import { commitLogCompressor } from "./compressors/commit-log.ts";
import { diffCompressor } from "./compressors/diff.ts";
import { jsonArrayCompressor } from "./compressors/json-array.ts";
import { listingCompressor } from "./compressors/listing.ts";
import { logCompressor } from "./compressors/log.ts";
import { searchCompressor } from "./compressors/search.ts";
import { tableCompressor } from "./compressors/table.ts";
import type { Compressor, CompressorContext } from "./compressors/types.ts";
import { contentHash, quickKey } from "./hash.ts";
import { hasMarker, marker } from "./marker.ts";
import { originals, type OriginalStore } from "./store.ts";
import { SIZE_FLOOR_CHARS, SIZE_FLOOR_TOKENS, estimateTokens, profileFor, type TokenProfile } from "./tokens.ts";

/**
 * Tried in order; source code, prose, HTML and anything else matches none and passes
 * through. The specific shapes come before the general ones (a `git log -p` holds diffs,
 * an `ls -laR` holds `ls -l` rows, a table of processes looks like a log).
 */
export const DEFAULT_COMPRESSORS: readonly Compressor[] = [
  jsonArrayCompressor,
  searchCompressor,
  commitLogCompressor,
  diffCompressor,
  listingCompressor,
  tableCompressor,
  logCompressor,
];

export const DEFAULT_BUDGET_MS = 100;
/** All compressors of one request together. */
export const REQUEST_BUDGET_MS = 500;

export interface EngineOptions {
  compressors?: readonly Compressor[];
  /** A compressor taking longer than this for one item counts as failed. */
  budgetMs?: number;
  store?: OriginalStore;
  /** performance.now() after which no compressor may start (the whole request's budget). */
  deadline?: number;
  /** Token profile of the provider (claude 3.5, prose 4); JSON content uses 3.2. */
  profile?: TokenProfile;
}

export interface Compression {
  text: string;
  kind: string;
  hash: string;
  tokensBefore: number;
  tokensAfter: number;
}

export class CompressionFailure extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message);
    this.name = "CompressionFailure";
  }
}

/** A remembered result: the compressed text and what made it (null: looked at, not worth compressing). */
type Remembered = Omit<Compression, "tokensBefore" | "tokensAfter"> | null;

/** Results by a quick key of the original: bounded, least recently used out, never expiring; a result's size is its text's length. */
const MEMO_LIMITS = { ttlMs: Number.POSITIVE_INFINITY, maxSize: 32 * 1024 * 1024, maxEntries: 8192 };

const memos = new WeakMap<readonly Compressor[], BoundedCache<Remembered>>();

function memoFor(compressors: readonly Compressor[]): BoundedCache<Remembered> {
  let memo = memos.get(compressors);
  if (!memo) memos.set(compressors, (memo = new BoundedCache<Remembered>(MEMO_LIMITS)));
  return memo;
}

/** Forgets remembered results (tests). */
export function resetMemo(compressors: readonly Compressor[] = DEFAULT_COMPRESSORS): void {
  memoFor(compressors).clear();
}

/** Cheap pre-check: could this text be compressed at all? */
export function isCandidate(text: string): boolean {
  return text.length >= SIZE_FLOOR_CHARS;
}

/**
 * Returns the compressed text (with marker) or null when the text stays as it is: under
 * the size floor, already carrying a marker, no compressor applies, or not smaller.
 * Throws CompressionFailure when a compressor throws or runs over its budget.
 */
export function compressToolText(text: string, ctx: CompressorContext, opts: EngineOptions = {}): Compression | null {
  if (!isCandidate(text)) return null;
  const profile = profileFor(text.trimStart(), opts.profile ?? "prose");
  const tokensBefore = estimateTokens(text, profile);
  if (tokensBefore < SIZE_FLOOR_TOKENS) return null;
  if (hasMarker(text)) return null;
  const compressors = opts.compressors ?? DEFAULT_COMPRESSORS;
  const store = opts.store ?? originals;
  const memo = memoFor(compressors);
  // Seen before: the same bytes again (and the original kept retrievable).
  const key = quickKey(text);
  const hit = memo.get(key);
  if (hit !== undefined) {
    if (hit === null) return null;
    store.put(hit.hash, text); // refreshes the TTL while the conversation goes on
    return { ...hit, tokensBefore, tokensAfter: estimateTokens(hit.text, profile) };
  }
  const hash = contentHash(text);
  const budget = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  for (const compressor of compressors) {
    if (!compressor.detect(text)) continue;
    const started = performance.now();
    if (opts.deadline !== undefined && started > opts.deadline) throw new CompressionFailure("compression ran over the request's time budget", compressor.kind);
    let out;
    try {
      out = compressor.compress(text, ctx);
    } catch (err) {
      throw new CompressionFailure(`${compressor.kind} compressor failed: ${err instanceof Error ? err.message : String(err)}`, compressor.kind);
    }
    const elapsed = performance.now() - started;
    if (elapsed > budget) throw new CompressionFailure(`${compressor.kind} compressor took ${elapsed.toFixed(1)} ms (budget ${budget} ms)`, compressor.kind);
    if (!out) continue;
    const compressed = `${out.text}\n${marker(out.summary, hash)}`;
    const tokensAfter = estimateTokens(compressed, profile);
    if (tokensAfter >= tokensBefore) continue;
    const result = { text: compressed, kind: compressor.kind, hash };
    memo.set(key, result, compressed.length);
    store.put(hash, text);
    return { ...result, tokensBefore, tokensAfter };
  }
  memo.set(key, null, 0);
  return null;
}
