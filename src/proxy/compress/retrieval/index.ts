// Answers the model's headroom_retrieve calls inside the proxy so they never reach the client.
import type { ApiKind } from "../index.ts";
import { anthropicJson, anthropicStream } from "./anthropic.ts";
import { openaiChatJson, openaiChatStream } from "./openai-chat.ts";
import { openaiResponsesJson, openaiResponsesStream } from "./openai-responses.ts";

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

function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").includes("text/event-stream");
}

/**
 * Called by the forwarder when the forwarded request carried retrieval markers: answers
 * the model's headroom_retrieve calls itself so they never reach the client. Returns the
 * response to give the client.
 */
export async function handleRetrievals(ctx: RetrievalContext): Promise<Response> {
  if (!ctx.response.ok || ctx.api === "other") return ctx.response;
  const json = (ctx.response.headers.get("content-type") ?? "").includes("json");
  const stream = isEventStream(ctx.response) || (ctx.stream && !json);
  switch (ctx.api) {
    case "anthropic-messages":
      return stream ? anthropicStream(ctx) : anthropicJson(ctx);
    case "openai-chat":
      return stream ? openaiChatStream(ctx) : openaiChatJson(ctx);
    case "openai-responses":
      return stream ? openaiResponsesStream(ctx) : openaiResponsesJson(ctx);
  }
}
