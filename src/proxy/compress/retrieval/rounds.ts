// The round loop every API shares when the proxy answers headroom_retrieve calls itself:
// read the upstream's answer, let the API's code decide (answer the client, or resolve
// the calls and resend), resend, and stop after MAX_ROUNDS. What an answer looks like
// and how calls are found stays with each API's file.
import type { Json } from "../apis/types.ts";
import { MAX_ROUNDS, addUsage, jsonResponse, rebuiltHeaders, resendSafely, textResponse } from "./common.ts";
import type { RetrievalContext } from "./context.ts";
import { clientStream } from "./sse.ts";

/** What one round of a JSON answer decided. */
export type JsonRound =
  /** Give the client the upstream's body unchanged (nothing was answered by the proxy). */
  | { pass: true }
  /** Give the client this message; the usage of every round is summed into it. */
  | { answer: Json }
  /** Resend this body (the calls resolved; resolving may wait for the shared store). */
  | { followUp: Json | Promise<Json> };

export const PASS: JsonRound = { pass: true };

/**
 * Plain JSON responses: `step` sees each parsed upstream message, the body that produced
 * it and whether this is the last round allowed. A body that is not JSON, or an upstream
 * error, goes to the client as it is.
 */
export async function jsonRounds(ctx: RetrievalContext, step: (msg: Json, body: Json, last: boolean) => JsonRound): Promise<Response> {
  let body = ctx.body as Json;
  let response = ctx.response;
  let usage: Json | undefined;
  for (let round = 0; ; round++) {
    if (!response.ok) return response;
    const text = await response.text();
    let msg: Json;
    try {
      msg = JSON.parse(text) as Json;
    } catch {
      return textResponse(response, text);
    }
    usage = addUsage(usage, msg.usage);
    const next = step(msg, body, round + 1 >= MAX_ROUNDS);
    if ("pass" in next) return textResponse(response, text);
    if ("answer" in next) return jsonResponse(response, usage ? { ...next.answer, usage } : next.answer);
    body = await next.followUp;
    response = await resendSafely(ctx.resend, body, ctx.api);
  }
}

export interface StreamRound {
  /**
   * Relays one upstream stream to the client; returns the body to resend when the proxy
   * answers retrieval calls, or null once the client's answer is complete.
   */
  relay(stream: ReadableStream<Uint8Array>, round: number, last: boolean, body: Json): Promise<Json | null>;
  /** Ends the client's stream, in the API's own error shape, when a follow-up failed. */
  failed(message: string): Promise<void>;
}

/**
 * SSE responses: one client stream across the rounds. `make` gets the writer for the
 * client's stream and returns the API's relay (which keeps its own state across rounds).
 */
export function streamRounds(ctx: RetrievalContext, make: (write: (text: string) => Promise<void>) => StreamRound): Response {
  const out = clientStream();
  const api = make(out.write);
  const run = async () => {
    let body = ctx.body as Json;
    let response = ctx.response;
    for (let round = 0; response.body; round++) {
      const next = await api.relay(response.body, round, round + 1 >= MAX_ROUNDS, body);
      if (!next) break;
      body = next;
      response = await resendSafely(ctx.resend, body, ctx.api);
      if (!response.ok || !response.body) {
        const detail = await response.text().catch(() => "");
        await api.failed(`headroom: the upstream answered ${response.status} while the proxy fetched a compressed original: ${detail.slice(0, 500)}`);
        break;
      }
    }
  };
  run()
    .catch(() => {})
    .finally(() => out.close());
  return new Response(out.readable, { status: ctx.response.status, statusText: ctx.response.statusText, headers: rebuiltHeaders(ctx.response.headers) });
}

/** An event's data as JSON, or null (not JSON, empty, or `[DONE]`). */
export function eventJson(data: string): Json | null {
  try {
    return JSON.parse(data) as Json;
  } catch {
    return null;
  }
}
