// OpenAI Responses: answering headroom_retrieve function calls inside the proxy.
import { isObj, type Json } from "../apis/types.ts";
import { isRetrieveName, resolveHash } from "./common.ts";
import type { RetrievalContext } from "./context.ts";
import { PASS, eventJson, jsonRounds, streamRounds } from "./rounds.ts";
import { formatEvent, readEvents } from "./sse.ts";

function isRetrieveItem(item: unknown): item is Json {
  return isObj(item) && item.type === "function_call" && isRetrieveName(item.name);
}

async function followUp(body: Json, output: unknown[], calls: Json[]): Promise<Json> {
  const input = Array.isArray(body.input) ? body.input : typeof body.input === "string" ? [{ role: "user", content: body.input }] : [];
  const originals = await Promise.all(calls.map((c) => resolveHash(c.arguments)));
  return {
    ...body,
    input: [...input, ...output, ...calls.map((c, i) => ({ type: "function_call_output", call_id: c.call_id, output: originals[i] }))],
  };
}

export async function openaiResponsesJson(ctx: RetrievalContext): Promise<Response> {
  const earlier: unknown[] = [];
  return jsonRounds(ctx, (msg, body, last) => {
    const output = Array.isArray(msg.output) ? msg.output : [];
    const calls = output.filter(isRetrieveItem);
    if (calls.length === 0 && earlier.length === 0) return PASS;
    const kept = output.filter((i) => !isRetrieveItem(i));
    const others = kept.some((i) => isObj(i) && i.type === "function_call");
    if (calls.length === 0 || others || last) return { answer: { ...msg, output: [...earlier, ...kept] } };
    earlier.push(...kept.filter((i) => isObj(i) && i.type === "message"));
    return { followUp: followUp(body, output, calls) };
  });
}

/**
 * Relays events as they come, renumbering output_index and sequence_number; the events of
 * a headroom_retrieve function_call item are held back from its output_item.added on, and
 * response.completed waits for the decision. Retrieval-only: resolve, resend, continue
 * with the next response's items (its response.created / in_progress dropped).
 */
export function openaiResponsesStream(ctx: RetrievalContext): Response {
  let nextIndex = 0;
  let seq = 0;
  const sent: unknown[] = [];
  return streamRounds(ctx, (write) => ({
    async relay(stream, round, last, body) {
      const held = new Set<number>();
      const indexMap = new Map<number, number>();
      const done: Json[] = [];
      const tail: { event?: string; data: Json }[] = [];
      let others = false;
      let errored = false;
      const emit = async (event: string | undefined, data: Json) => {
        const next: Json = { ...data };
        if (typeof data.sequence_number === "number") next.sequence_number = seq++;
        if (typeof data.output_index === "number") next.output_index = indexMap.get(data.output_index) ?? data.output_index;
        await write(formatEvent(event, next));
      };
      for await (const ev of readEvents(stream)) {
        const data = eventJson(ev.data);
        if (!data) {
          await write(ev.raw);
          continue;
        }
        const type = (data.type as string | undefined) ?? ev.event ?? "";
        if (type === "error" || type === "response.failed" || type === "response.incomplete") errored = true;
        if (round > 0 && (type === "response.created" || type === "response.in_progress")) continue;
        if (type === "response.completed" || type === "response.incomplete" || type === "response.failed") {
          tail.push({ event: ev.event, data });
          break; // the response is complete; decide now
        }
        const index = typeof data.output_index === "number" ? data.output_index : undefined;
        if (type === "response.output_item.added" && index !== undefined) {
          if (isRetrieveItem(data.item)) {
            held.add(index);
            continue;
          }
          if (isObj(data.item) && data.item.type === "function_call") others = true;
          indexMap.set(index, nextIndex++);
        }
        if (type === "response.output_item.done" && index !== undefined && isObj(data.item)) {
          done.push(data.item);
          if (!held.has(index)) sent.push(data.item);
        }
        if (index !== undefined && held.has(index)) continue;
        await emit(ev.event, data);
      }
      const calls = done.filter(isRetrieveItem);
      if (calls.length === 0 || others || errored || last) {
        for (const t of tail) {
          const resp = isObj(t.data.response) ? t.data.response : null;
          if (resp) {
            const output = Array.isArray(resp.output) ? resp.output.filter((i) => !isRetrieveItem(i)) : [];
            await emit(t.event, { ...t.data, response: { ...resp, output: round > 0 ? sent : output } });
          } else {
            await emit(t.event, t.data);
          }
        }
        return null;
      }
      return followUp(body, done, calls);
    },
    failed: (message) => write(formatEvent("error", { type: "error", sequence_number: seq++, message })),
  }));
}
