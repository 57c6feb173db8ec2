// The compression seam in the request path. The proxy hands every JSON request body it
// forwards to `compressRequest`; an unchanged result means "forward the original bytes".
// Only tool output is touched (SPEC 9.2); see docs/compression.md.
import type { ProxyMode } from "../config.ts";
import { anthropicAdapter } from "./apis/anthropic.ts";
import { openaiChatAdapter } from "./apis/openai-chat.ts";
import { openaiResponsesAdapter } from "./apis/openai-responses.ts";
import { isObj, type ApiAdapter, type Json } from "./apis/types.ts";
import { conversationKey, conversations, itemHash, withCurrentCacheControl } from "./conversations.ts";
import { CompressionFailure, REQUEST_BUDGET_MS, compressToolText, isCandidate, type Compression, type EngineOptions } from "./engine.ts";
import { queryTerms } from "./query.ts";
import { estimateBodyTokens, type TokenProfile } from "./tokens.ts";

export type ApiKind = "anthropic-messages" | "openai-chat" | "openai-responses" | "other";

export interface CompressInput {
  api: ApiKind;
  /** The parsed request body. Must not be mutated. */
  body: unknown;
  mode: ProxyMode;
  /** Conversation key for cache mode (for example derived from the system prompt + first message). */
  headers: Headers;
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
  /** True when the forwarded request carries retrieval markers (a headroom_retrieve tool was added). */
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

function unchanged(body: unknown, tokens: number, extra: Partial<CompressResult> = {}): CompressResult {
  return { body, changed: false, tokensBefore: tokens, tokensAfter: tokens, savedByKind: {}, ...extra };
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

export async function compressRequest(input: CompressInput): Promise<CompressResult> {
  const { api, body } = input;
  if (api === "other" || !isObj(body)) return unchanged(body, 0);
  const adapter = ADAPTERS[api];
  const list = adapter.list(body);
  const profile = profileOf(api, body);
  // Fast path: no tool output long enough to compress; a cheap walk gives the estimate.
  const tokensBefore = estimateBodyTokens(body, profile);
  if (!list || list.length === 0 || !hasCandidate(adapter, list)) return unchanged(body, tokensBefore);

  const ctx = { queryTerms: queryTerms(adapter.queryText(body, list)) };
  const opts: EngineOptions = { profile, deadline: performance.now() + REQUEST_BUDGET_MS, ...input.engine };
  const savedByKind: Record<string, number> = {};
  let compressedCount = 0;

  const compressItem = (item: unknown, tally: boolean): unknown => {
    return adapter.mapToolTexts(item, (text) => {
      const c: Compression | null = compressToolText(text, ctx, opts);
      if (!c) return null;
      if (tally) {
        savedByKind[c.kind] = (savedByKind[c.kind] ?? 0) + (c.tokensBefore - c.tokensAfter);
        compressedCount++;
      }
      return c.text;
    });
  };

  let out: unknown[];
  /** Per item: does what goes out differ from what the client sent? */
  let changed: boolean[];
  // Cache mode records what actually went out, once that is decided.
  let remember = (_sent: "compressed" | "original"): void => {};
  try {
    if (input.mode === "cache") {
      // Earlier messages go out exactly as they went before; new ones (the last included,
      // since it can never change afterwards) are compressed once, then frozen.
      const system = api === "openai-responses" ? body.instructions : api === "anthropic-messages" ? body.system : undefined;
      const key = conversationKey(api, system, list.slice(0, 2));
      const state = conversations.get(key);
      const hashes = list.map(itemHash);
      const o: unknown[] = [];
      const c: boolean[] = [];
      let i = 0;
      if (state) {
        while (i < list.length && i < state.originals.length && hashes[i] === state.originals[i]) {
          // A frozen compressed message: count its savings again and keep the originals
          // behind its markers retrievable (refreshes the store); its bytes stay as sent.
          if (state.changed[i]) compressItem(list[i], true);
          o.push(state.changed[i] ? withCurrentCacheControl(state.forwarded[i], list[i]) : list[i]);
          c.push(state.changed[i]!);
          i++;
        }
      }
      for (; i < list.length; i++) {
        const item = compressItem(list[i], true);
        o.push(item);
        c.push(item !== list[i]);
      }
      // Only compressed messages need keeping; the others are the client's own again.
      remember = (sent) =>
        conversations.set(key, {
          originals: hashes,
          forwarded: sent === "compressed" ? o.map((item, j) => (c[j] ? item : null)) : [],
          changed: sent === "compressed" ? c : c.map(() => false),
        });
      out = o;
      changed = c;
    } else {
      const live = adapter.liveFrom(list);
      out = list.map((item, i) => (i < live ? compressItem(item, true) : item));
      changed = out.map((item, i) => item !== list[i]);
    }
  } catch (err) {
    if (err instanceof CompressionFailure) return unchanged(body, tokensBefore, { failed: true, failure: err.message });
    throw err;
  }

  if (!changed.some(Boolean)) {
    remember("original");
    return unchanged(body, tokensBefore);
  }
  const next = adapter.withRetrieveTool(adapter.withList(body, out));
  const tokensAfter = estimateBodyTokens(next, profile);
  // Never worse: a request that did not get smaller goes out as it came.
  if (tokensAfter >= tokensBefore) {
    remember("original");
    return unchanged(body, tokensBefore);
  }
  remember("compressed");
  return { body: next, changed: true, tokensBefore, tokensAfter, savedByKind, hasMarkers: true, compressed: compressedCount };
}

export { handleRetrievals, type RetrievalContext } from "./retrieval/index.ts";
