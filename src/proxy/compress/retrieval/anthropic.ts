// Anthropic Messages: answering headroom_retrieve tool_use blocks inside the proxy, for
// plain JSON responses and for SSE streams (see docs/compression.md, "Streams").
import { isObj, type Json } from "../apis/types.ts";
import { isRetrieveName, resolveHash } from "./common.ts";
import type { RetrievalContext } from "./context.ts";
import { PASS, eventJson, jsonRounds, streamRounds } from "./rounds.ts";
import { formatEvent, readEvents } from "./sse.ts";

function isRetrieveBlock(b: unknown): b is Json {
  return isObj(b) && b.type === "tool_use" && isRetrieveName(b.name);
}

async function followUp(body: Json, assistant: unknown[], calls: Json[]): Promise<Json> {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const originals = await Promise.all(calls.map((c) => resolveHash(c.input)));
  return {
    ...body,
    messages: [
      ...messages,
      { role: "assistant", content: assistant },
      { role: "user", content: calls.map((c, i) => ({ type: "tool_result", tool_use_id: c.id, content: originals[i] })) },
    ],
  };
}

export async function anthropicJson(ctx: RetrievalContext): Promise<Response> {
  const earlier: unknown[] = [];
  return jsonRounds(ctx, (msg, body, last) => {
    const content = Array.isArray(msg.content) ? msg.content : [];
    const calls = content.filter(isRetrieveBlock);
    if (calls.length === 0 && earlier.length === 0) return PASS;
    const kept = content.filter((b) => !isRetrieveBlock(b));
    const others = kept.some((b) => isObj(b) && b.type === "tool_use");
    if (calls.length === 0 || others || last) {
      const out: Json = { ...msg, content: [...earlier, ...kept] };
      if (!others && out.stop_reason === "tool_use") out.stop_reason = "end_turn";
      return { answer: out };
    }
    earlier.push(...kept);
    return { followUp: followUp(body, content, calls) };
  });
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
  let nextIndex = 0;
  return streamRounds(ctx, (write) => ({
    async relay(stream, round, last, body) {
      const blocks = new Map<number, Block>();
      const order: Block[] = [];
      const indexMap = new Map<number, number>();
      const tail: { event?: string; data: Json; raw: string }[] = [];
      let others = false;
      let errored = false;
      for await (const ev of readEvents(stream)) {
        const data = eventJson(ev.data);
        const type = (data?.type as string | undefined) ?? ev.event;
        if (type === "error") errored = true;
        if (!data) {
          await write(ev.raw);
          continue;
        }
        if (type === "message_start") {
          if (round === 0) await write(ev.raw);
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
          await write(mapped === index ? ev.raw : formatEvent(ev.event, { ...data, index: mapped }));
          continue;
        }
        if (type === "message_delta" || type === "message_stop") {
          tail.push({ event: ev.event, data, raw: ev.raw });
          if (type === "message_stop") break; // the message is complete; decide now
          continue;
        }
        await write(ev.raw);
      }
      const calls = order.filter((b) => b.held).map(finished);
      if (calls.length === 0 || others || errored || last) {
        for (const t of tail) {
          if (t.data.type === "message_delta" && calls.length > 0 && !others && isObj(t.data.delta) && t.data.delta.stop_reason === "tool_use") {
            await write(formatEvent(t.event, { ...t.data, delta: { ...t.data.delta, stop_reason: "end_turn" } }));
          } else {
            await write(t.raw);
          }
        }
        return null;
      }
      return followUp(body, order.map(finished), calls);
    },
    failed: (message) => write(formatEvent("error", { type: "error", error: { type: "api_error", message } })),
  }));
}
