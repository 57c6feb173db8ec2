// OpenAI Responses: answering headroom_retrieve function calls inside the proxy.
import { isObj, type Json } from "../apis/types.ts";
import { MAX_ROUNDS, addUsage, isRetrieveName, resendSafely, jsonResponse, rebuiltHeaders, resolveHash, textResponse } from "./common.ts";
import { clientStream, formatEvent, readEvents } from "./sse.ts";
import type { RetrievalContext } from "./index.ts";

function isRetrieveItem(item: unknown): boolean {
  return isObj(item) && item.type === "function_call" && isRetrieveName(item.name);
}

function followUp(body: Json, output: unknown[], calls: Json[]): Json {
  const input = Array.isArray(body.input) ? body.input : typeof body.input === "string" ? [{ role: "user", content: body.input }] : [];
  return {
    ...body,
    input: [...input, ...output, ...calls.map((c) => ({ type: "function_call_output", call_id: c.call_id, output: resolveHash(c.arguments) }))],
  };
}

export async function openaiResponsesJson(ctx: RetrievalContext): Promise<Response> {
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
    const output = Array.isArray(msg.output) ? msg.output : [];
    const calls = output.filter(isRetrieveItem) as Json[];
    if (calls.length === 0 && earlier.length === 0) return textResponse(response, text);
    const kept = output.filter((i) => !isRetrieveItem(i));
    const others = kept.some((i) => isObj(i) && i.type === "function_call");
    if (calls.length === 0 || others || round + 1 >= MAX_ROUNDS) return jsonResponse(response, { ...msg, output: [...earlier, ...kept], ...(usage ? { usage } : {}) });
    earlier.push(...kept.filter((i) => isObj(i) && i.type === "message"));
    body = followUp(body, output, calls);
    response = await resendSafely(ctx.resend, body, "openai-responses");
  }
}

/**
 * Relays events as they come, renumbering output_index and sequence_number; the events of
 * a headroom_retrieve function_call item are held back from its output_item.added on, and
 * response.completed waits for the decision. Retrieval-only: resolve, resend, continue
 * with the next response's items (its response.created / in_progress dropped).
 */
export function openaiResponsesStream(ctx: RetrievalContext): Response {
  const out = clientStream();
  const run = async () => {
    let body = ctx.body as Json;
    let response = ctx.response;
    let nextIndex = 0;
    let seq = 0;
    const sent: unknown[] = [];
    for (let round = 0; ; round++) {
      if (!response.body) break;
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
        await out.write(formatEvent(event, next));
      };
      for await (const ev of readEvents(response.body)) {
        let data: Json | null = null;
        try {
          data = JSON.parse(ev.data) as Json;
        } catch {
          data = null;
        }
        if (!data) {
          await out.write(ev.raw);
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
      if (calls.length === 0 || others || errored || round + 1 >= MAX_ROUNDS) {
        for (const t of tail) {
          const resp = isObj(t.data.response) ? t.data.response : null;
          if (resp) {
            const output = Array.isArray(resp.output) ? resp.output.filter((i) => !isRetrieveItem(i)) : [];
            await emit(t.event, { ...t.data, response: { ...resp, output: round > 0 ? sent : output } });
          } else {
            await emit(t.event, t.data);
          }
        }
        break;
      }
      body = followUp(body, done, calls);
      response = await resendSafely(ctx.resend, body, "openai-responses");
      if (!response.ok || !response.body) {
        const detail = await response.text().catch(() => "");
        await emit("error", { type: "error", sequence_number: 0, message: `headroom: the upstream answered ${response.status} while the proxy fetched a compressed original: ${detail.slice(0, 500)}` });
        break;
      }
    }
  };
  run()
    .catch(() => {})
    .finally(() => out.close());
  return new Response(out.readable, { status: ctx.response.status, statusText: ctx.response.statusText, headers: rebuiltHeaders(ctx.response.headers) });
}
