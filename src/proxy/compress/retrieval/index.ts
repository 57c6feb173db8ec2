// Answers the model's headroom_retrieve calls inside the proxy so they never reach the client.
import { anthropicJson, anthropicStream } from "./anthropic.ts";
import type { RetrievalContext } from "./context.ts";
import { openaiChatJson, openaiChatStream } from "./openai-chat.ts";
import { openaiResponsesJson, openaiResponsesStream } from "./openai-responses.ts";

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
