// Anthropic Messages: answering headroom_retrieve tool_use blocks inside the proxy, for
// plain JSON responses and for SSE streams (see docs/compression.md, "Streams").
import { isObj, type Json } from "../apis/types.ts";
import { MAX_ROUNDS, addUsage, isRetrieveName, resendSafely, jsonResponse, rebuiltHeaders, resolveHash, textResponse } from "./common.ts";
import { clientStream, formatEvent, readEvents } from "./sse.ts";
import type { RetrievalContext } from "./index.ts";

function isRetrieveBlock(b: unknown): boolean {
  return isObj(b) && b.type === "tool_use" && isRetrieveName(b.name);
}

function followUp(body: Json, assistant: unknown[], calls: Json[]): Json {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return {
    ...body,
    messages: [
      ...messages,
      { role: "assistant", content: assistant },
      { role: "user", content: calls.map((c) => ({ type: "tool_result", tool_use_id: c.id, content: resolveHash(c.input) })) },
    ],
  };
}

export async function anthropicJson(ctx: RetrievalContext): Promise<Response> {
  let body = ctx.body as Json;
  let response = ctx.response;
  const earlier: unknown[] = [];
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
    const content = Array.isArray(msg.content) ? msg.content : [];
    const calls = content.filter(isRetrieveBlock) as Json[];
    if (calls.length === 0 && earlier.length === 0) return textResponse(response, text);
    const kept = content.filter((b) => !isRetrieveBlock(b));
    const others = kept.some((b) => isObj(b) && b.type === "tool_use");
    if (calls.length === 0 || others || round + 1 >= MAX_ROUNDS) {
      const out: Json = { ...msg, content: [...earlier, ...kept], ...(usage ? { usage } : {}) };
      if (!others && out.stop_reason === "tool_use") out.stop_reason = "end_turn";
      return jsonResponse(response, out);
    }
    earlier.push(...kept);
    body = followUp(body, content, calls);
    response = await resendSafely(ctx.resend, body, "anthropic-messages");
  }
}

interface Block {
  data: Json;
  held: boolean;
  json: string;
}

/** Applies one content_block_delta to the block being rebuilt for the follow-up request. */
function applyDelta(block: Block, delta: Json): void {
  switch (delta.type) {
    case "text_delta":
      block.data.text = `${(block.data.text as string) ?? ""}${delta.text as string}`;
      break;
    case "input_json_delta":
      block.json += delta.partial_json as string;
      break;
    case "thinking_delta":
      block.data.thinking = `${(block.data.thinking as string) ?? ""}${delta.thinking as string}`;
      break;
    case "signature_delta":
      block.data.signature = delta.signature;
      break;
    case "citations_delta":
      block.data.citations = [...((block.data.citations as unknown[]) ?? []), delta.citation];
      break;
  }
}

function finished(block: Block): Json {
  if (block.data.type !== "tool_use" && block.data.type !== "server_tool_use") return block.data;
  let input: unknown = block.data.input ?? {};
  if (block.json !== "") {
    try {
      input = JSON.parse(block.json);
    } catch {
      input = {};
    }
  }
  return { ...block.data, input };
}

/**
 * Relays the stream as it comes, except the blocks of headroom_retrieve calls (held back
 * from their content_block_start on) and the message's closing events (held until the
 * message is complete). Retrieval-only: resolve, resend, continue the same client stream
 * with the next response's blocks renumbered after the ones already sent.
 */
export function anthropicStream(ctx: RetrievalContext): Response {
  const out = clientStream();
  const run = async () => {
    let body = ctx.body as Json;
    let response = ctx.response;
    let nextIndex = 0;
    for (let round = 0; ; round++) {
      if (!response.body) break;
      const blocks = new Map<number, Block>();
      const order: Block[] = [];
      const indexMap = new Map<number, number>();
      const tail: { event?: string; data: Json; raw: string }[] = [];
      let others = false;
      let errored = false;
      for await (const ev of readEvents(response.body)) {
        let data: Json | null = null;
        try {
          data = ev.data ? (JSON.parse(ev.data) as Json) : null;
        } catch {
          data = null;
        }
        const type = (data?.type as string | undefined) ?? ev.event;
        if (type === "error") errored = true;
        if (!data) {
          await out.write(ev.raw);
          continue;
        }
        if (type === "message_start") {
          if (round === 0) await out.write(ev.raw);
          continue;
        }
        if (type === "content_block_start") {
          const index = data.index as number;
          const cb = (data.content_block ?? {}) as Json;
          const block: Block = { data: { ...cb }, held: isRetrieveBlock(cb), json: "" };
          blocks.set(index, block);
          order.push(block);
          if (block.held) continue;
          if (cb.type === "tool_use") others = true;
          indexMap.set(index, nextIndex++);
        }
        if (type === "content_block_delta" || type === "content_block_stop" || type === "content_block_start") {
          const index = data.index as number;
          const block = blocks.get(index);
          if (block && type === "content_block_delta" && isObj(data.delta)) applyDelta(block, data.delta);
          if (block?.held) continue;
          const mapped = indexMap.get(index) ?? index;
          await out.write(mapped === index ? ev.raw : formatEvent(ev.event, { ...data, index: mapped }));
          continue;
        }
        if (type === "message_delta" || type === "message_stop") {
          tail.push({ event: ev.event, data, raw: ev.raw });
          if (type === "message_stop") break; // the message is complete; decide now
          continue;
        }
        await out.write(ev.raw);
      }
      const calls = order.filter((b) => b.held).map(finished);
      if (calls.length === 0 || others || errored || round + 1 >= MAX_ROUNDS) {
        for (const t of tail) {
          if (t.data.type === "message_delta" && calls.length > 0 && !others && isObj(t.data.delta) && t.data.delta.stop_reason === "tool_use") {
            await out.write(formatEvent(t.event, { ...t.data, delta: { ...t.data.delta, stop_reason: "end_turn" } }));
          } else {
            await out.write(t.raw);
          }
        }
        break;
      }
      body = followUp(body, order.map(finished), calls);
      response = await resendSafely(ctx.resend, body, "anthropic-messages");
      if (!response.ok || !response.body) {
        const detail = await response.text().catch(() => "");
        await out.write(
          formatEvent("error", {
            type: "error",
            error: { type: "api_error", message: `headroom: the upstream answered ${response.status} while the proxy fetched a compressed original: ${detail.slice(0, 500)}` },
          }),
        );
        break;
      }
    }
  };
  run()
    .catch(() => {})
    .finally(() => out.close());
  return new Response(out.readable, { status: ctx.response.status, statusText: ctx.response.statusText, headers: rebuiltHeaders(ctx.response.headers) });
}
