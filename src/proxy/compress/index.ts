// The compression seam in the request path. The proxy hands every JSON request body it
// forwards to `compressRequest`; an unchanged result means "forward the original bytes".
// Only tool output is touched (SPEC 9.2); see docs/compression.md.
//
// What a conversation has sent stays what it sends (the bill under prompt caching):
// - the headroom_retrieve tool is in every request that declares tools, from the first
//   one on, whatever is compressed, so the tool list (first in the provider's cache
//   order) never changes mid-conversation;
// - cache mode compresses a tool output at first sight (the newest included, its
//   cache_control marker kept) and forwards every earlier message exactly as it went
//   before, also after a failure or when nothing was compressed;
// - token mode keeps a fresh output of ordinary size whole while it is the newest message
//   and compresses it once, on the next turn (the remembered result keeps those bytes);
//   one large enough to crowd the context is compressed at first sight.
import { anthropicAdapter } from "./apis/anthropic.ts";
import { openaiChatAdapter } from "./apis/openai-chat.ts";
import { openaiResponsesAdapter } from "./apis/openai-responses.ts";
import { isObj, type ApiAdapter, type Json } from "./apis/types.ts";
import { conversationKey, conversations, itemHash, withCurrentCacheControl, type ConversationState } from "./conversations.ts";
import { CompressionFailure, REQUEST_BUDGET_MS, compressToolText, isCandidate, type Compression, type EngineOptions } from "./engine.ts";
import { queryTerms } from "./query.ts";
import type { ApiKind, ProxyMode } from "./types.ts";
import { DEFAULT_FRESH_THRESHOLD, estimateBodyTokens, estimateTokens, profileFor, type TokenProfile } from "./tokens.ts";

export { DEFAULT_FRESH_THRESHOLD };
export type { ApiKind };

export interface CompressInput {
  api: ApiKind;
  /** The parsed request body. Must not be mutated. */
  body: unknown;
  /** token, cache, or auto (cache when the request carries cache_control, else token). */
  mode: ProxyMode;
  headers: Headers;
  /** Token mode: a fresh output this large (tokens) is compressed at first sight. */
  freshThreshold?: number;
  /** Overrides for tests and benchmarks (compressors, time budget, store). */
  engine?: EngineOptions;
}

export interface CompressResult {
  /** The body to forward when `changed` is true. */
  body: unknown;
  changed: boolean;
  tokensBefore: number;
  tokensAfter: number;
  /** Tokens saved per compressor kind (json, log, search, ...). */
  savedByKind: Record<string, number>;
  /** True when a compressor failed or timed out and the original is forwarded. */
  failed?: boolean;
  /** Why it failed (for the log; never sent upstream). */
  failure?: string;
  /** True when the forwarded request carries the headroom_retrieve tool (its calls are answered by the proxy). */
  hasMarkers?: boolean;
  /** Number of tool outputs compressed. */
  compressed?: number;
}

export const ADAPTERS: Record<Exclude<ApiKind, "other">, ApiAdapter> = {
  "anthropic-messages": anthropicAdapter,
  "openai-chat": openaiChatAdapter,
  "openai-responses": openaiResponsesAdapter,
};

function profileOf(api: ApiKind, body: Json): TokenProfile {
  if (api === "anthropic-messages") return "claude";
  return typeof body.model === "string" && body.model.includes("claude") ? "claude" : "prose";
}

/** True when some item of the list holds tool output long enough to be compressed. */
function hasCandidate(adapter: ApiAdapter, list: unknown[]): boolean {
  let found = false;
  const probe = (text: string) => {
    if (!found && isCandidate(text)) found = true;
    return null;
  };
  for (const item of list) {
    adapter.mapToolTexts(item, probe);
    if (found) return true;
  }
  return false;
}

/** Does the request mark anything for the provider's prompt cache? */
export function carriesCacheControl(body: Json): boolean {
  const has = (v: unknown, depth: number): boolean => {
    if (depth > 4) return false;
    if (Array.isArray(v)) return v.some((x) => has(x, depth + 1));
    if (!isObj(v)) return false;
    if ("cache_control" in v) return true;
    const content = v.content;
    return Array.isArray(content) && has(content, depth + 1);
  };
  return has(body.system, 0) || has(body.tools, 0) || has(body.messages, 0);
}

/** The mode a request is compressed in: auto picks cache for clients that use prompt caching. */
export function effectiveMode(mode: ProxyMode, body: Json): "token" | "cache" {
  if (mode !== "auto") return mode;
  return carriesCacheControl(body) ? "cache" : "token";
}

export async function compressRequest(input: CompressInput): Promise<CompressResult> {
  const { api, body } = input;
  if (api === "other" || !isObj(body)) return { body, changed: false, tokensBefore: 0, tokensAfter: 0, savedByKind: {} };
  const adapter = ADAPTERS[api];
  const list = adapter.list(body);
  const profile = profileOf(api, body);
  const tokensBefore = estimateBodyTokens(body, profile);
  // Clients that declare tools get the retrieve tool on every request (never mid-conversation).
  const withTool = adapter.declaresTools(body);
  /** The body as it goes out when no tool output is compressed: the client's, plus the tool. */
  const asSent = (extra: Partial<CompressResult> = {}): CompressResult => {
    if (!withTool) return { body, changed: false, tokensBefore, tokensAfter: tokensBefore, savedByKind: {}, ...extra };
    const next = adapter.withRetrieveTool(body);
    if (next === body) return { body, changed: false, tokensBefore, tokensAfter: tokensBefore, savedByKind: {}, hasMarkers: true, ...extra };
    return { body: next, changed: true, tokensBefore, tokensAfter: estimateBodyTokens(next, profile), savedByKind: {}, hasMarkers: true, compressed: 0, ...extra };
  };
  // Fast path: no tool output long enough to compress, now or on any later turn.
  if (!list || list.length === 0 || !hasCandidate(adapter, list)) return asSent();

  const mode = effectiveMode(input.mode, body);
  // Cache mode: with a shared store the freshest state may be another replica's, fetched
  // before the synchronous work (and before the compressors' budget starts). Without one
  // this stays a local lookup, no await.
  const key = mode === "cache" ? conversationOf(api, body, list) : "";
  const state = mode !== "cache" ? undefined : conversations.shared ? await conversations.fetch(key) : conversations.get(key);
  const ctx = { queryTerms: queryTerms(adapter.queryText(body, list)) };
  const opts: EngineOptions = { profile, deadline: performance.now() + REQUEST_BUDGET_MS, ...input.engine };
  const savedByKind: Record<string, number> = {};
  let compressedCount = 0;

  let failure: string | undefined;
  /**
   * Compresses the item's tool outputs; `minTokens` leaves smaller ones whole. An output
   * whose compressor fails or runs out of time goes out as it came (the others as usual),
   * so a failure never changes what earlier turns sent.
   */
  const compressItem = (item: unknown, minTokens = 0): unknown =>
    adapter.mapToolTexts(item, (text) => {
      if (minTokens > 0 && estimateTokens(text, profileFor(text.trimStart(), profile)) < minTokens) return null;
      let c: Compression | null;
      try {
        c = compressToolText(text, ctx, opts);
      } catch (err) {
        if (!(err instanceof CompressionFailure)) throw err;
        failure ??= err.message;
        return null;
      }
      if (!c) return null;
      savedByKind[c.kind] = (savedByKind[c.kind] ?? 0) + (c.tokensBefore - c.tokensAfter);
      compressedCount++;
      return c.text;
    });

  const out =
    mode === "cache"
      ? cacheModeList(key, state, list, compressItem)
      : tokenModeList(list, adapter, compressItem, input.freshThreshold ?? DEFAULT_FRESH_THRESHOLD);
  const failed = failure !== undefined ? { failed: true, failure } : {};
  if (out.every((item, i) => item === list[i])) return asSent(failed);
  const next = adapter.withRetrieveTool(adapter.withList(body, out));
  const tokensAfter = estimateBodyTokens(next, profile);
  return { body: next, changed: true, tokensBefore, tokensAfter, savedByKind, hasMarkers: true, compressed: compressedCount, ...failed };
}

type ItemCompressor = (item: unknown, minTokens?: number) => unknown;

/**
 * Token mode: everything before the live tail is compressed (a result compressed once is
 * remembered by its content, so its bytes stay the same on every later turn); the live
 * tail only when an output is large enough to crowd the context.
 */
function tokenModeList(list: unknown[], adapter: ApiAdapter, compressItem: ItemCompressor, freshThreshold: number): unknown[] {
  const live = adapter.liveFrom(list);
  return list.map((item, i) => (i < live ? compressItem(item) : compressItem(item, Math.max(1, freshThreshold))));
}

/** The conversation a request belongs to, for cache mode's memory. */
function conversationOf(api: ApiKind, body: Json, list: unknown[]): string {
  const system = api === "openai-responses" ? body.instructions : api === "anthropic-messages" ? body.system : undefined;
  return conversationKey(api, system, list.slice(0, 2));
}

/**
 * Cache mode: earlier messages go out exactly as they went before; new ones (the last
 * included) are compressed at first sight, then frozen.
 */
function cacheModeList(key: string, state: ConversationState | undefined, list: unknown[], compressItem: ItemCompressor): unknown[] {
  const hashes = list.map(itemHash);
  const out: unknown[] = [];
  let i = 0;
  if (state) {
    while (i < list.length && i < state.originals.length && hashes[i] === state.originals[i]) {
      // A frozen compressed message: count its savings again and keep the originals
      // behind its markers retrievable (refreshes the store); its bytes stay as sent.
      if (state.changed[i]) {
        compressItem(list[i]);
        out.push(withCurrentCacheControl(state.forwarded[i], list[i]));
      } else out.push(list[i]);
      i++;
    }
  }
  for (; i < list.length; i++) out.push(compressItem(list[i]));
  // Only compressed messages need keeping; the others are the client's own again.
  const changed = out.map((item, j) => item !== list[j]);
  conversations.set(key, { originals: hashes, forwarded: out.map((item, j) => (changed[j] ? item : null)), changed });
  return out;
}

export { handleRetrievals } from "./retrieval/index.ts";
export type { RetrievalContext } from "./retrieval/context.ts";
