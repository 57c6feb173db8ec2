// The compression seam in the request path. The proxy hands every JSON request body it
// forwards to `compressRequest`; an unchanged result means "forward the original bytes".
import type { ProxyMode } from "../config.ts";

export type ApiKind = "anthropic-messages" | "openai-chat" | "openai-responses" | "other";

export interface CompressInput {
  api: ApiKind;
  /** The parsed request body. Must not be mutated. */
  body: unknown;
  mode: ProxyMode;
  /** Conversation key for cache mode (for example derived from the system prompt + first message). */
  headers: Headers;
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
  /** True when the forwarded request carries retrieval markers (a headroom_retrieve tool was added). */
  hasMarkers?: boolean;
}

/** Passthrough until the compression pipeline lands. */
export async function compressRequest(input: CompressInput): Promise<CompressResult> {
  return { body: input.body, changed: false, tokensBefore: 0, tokensAfter: 0, savedByKind: {} };
}

export interface RetrievalContext {
  api: ApiKind;
  /** The body that was forwarded (with markers and the headroom_retrieve tool). */
  body: unknown;
  /** Whether the client asked for a stream. */
  stream: boolean;
  /** The upstream's response to `body`. */
  response: Response;
  /** Sends another body upstream (same headers, same route) and returns its response. */
  resend: (body: unknown) => Promise<Response>;
}

/**
 * Called by the forwarder when the forwarded request carried retrieval markers: answers
 * the model's headroom_retrieve calls itself so they never reach the client. Returns the
 * response to give the client. Passthrough until the compression pipeline lands.
 */
export async function handleRetrievals(ctx: RetrievalContext): Promise<Response> {
  return ctx.response;
}
