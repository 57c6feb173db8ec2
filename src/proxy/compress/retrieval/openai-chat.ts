// OpenAI Chat Completions: answering headroom_retrieve tool calls inside the proxy.
import { isObj, type Json } from "../apis/types.ts";
import { MAX_ROUNDS, addUsage, isRetrieveName, resendSafely, jsonResponse, rebuiltHeaders, resolveHash, textResponse } from "./common.ts";
import { clientStream, formatEvent, readEvents } from "./sse.ts";
import type { RetrievalContext } from "./index.ts";

interface Call {
  id: string;
  name: string;
  arguments: string;
}

function isRetrieveCall(c: unknown): boolean {
  return isObj(c) && isObj(c.function) && isRetrieveName(c.function.name);
}

function followUp(body: Json, content: string | null, allCalls: Call[], calls: Call[]): Json {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return {
    ...body,
    messages: [
      ...messages,
      {
        role: "assistant",
        content,
        tool_calls: allCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
      },
      ...calls.map((c) => ({ role: "tool", tool_call_id: c.id, content: resolveHash(c.arguments) })),
    ],
  };
}

export async function openaiChatJson(ctx: RetrievalContext): Promise<Response> {
  let body = ctx.body as Json;
  let response = ctx.response;
  let earlierText = "";
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
    const choice = Array.isArray(msg.choices) && isObj(msg.choices[0]) ? (msg.choices[0] as Json) : null;
    const message = choice && isObj(choice.message) ? choice.message : null;
    const toolCalls = message && Array.isArray(message.tool_calls) ? message.tool_calls : [];
    const calls = toolCalls.filter(isRetrieveCall) as Json[];
    if (!choice || !message || (calls.length === 0 && earlierText === "")) return textResponse(response, text);
    const kept = toolCalls.filter((c) => !isRetrieveCall(c));
    const content = typeof message.content === "string" ? message.content : null;
    if (calls.length === 0 || kept.length > 0 || round + 1 >= MAX_ROUNDS) {
      const nextMessage: Json = { ...message, content: earlierText + (content ?? "") || content };
      if (kept.length > 0) nextMessage.tool_calls = kept;
      else delete nextMessage.tool_calls;
      const nextChoice: Json = { ...choice, message: nextMessage };
      if (kept.length === 0 && nextChoice.finish_reason === "tool_calls") nextChoice.finish_reason = "stop";
      return jsonResponse(response, { ...msg, choices: [nextChoice, ...(msg.choices as unknown[]).slice(1)], ...(usage ? { usage } : {}) });
    }
    earlierText += content ?? "";
    const all = toolCalls.filter(isObj).map((c) => ({
      id: String(c.id),
      name: String((c.function as Json).name),
      arguments: String((c.function as Json).arguments ?? ""),
    }));
    body = followUp(body, content, all, all.filter((c) => isRetrieveName(c.name)));
    response = await resendSafely(ctx.resend, body, "openai-chat");
  }
}

/**
 * Relays chunks as they come; tool-call deltas of headroom_retrieve are held back (the
 * first delta of a call names it), other calls renumbered; the chunk with finish_reason
 * and everything after it (usage, [DONE]) wait until the stream ends.
 */
export function openaiChatStream(ctx: RetrievalContext): Response {
  const out = clientStream();
  const run = async () => {
    let body = ctx.body as Json;
    let response = ctx.response;
    let nextIndex = 0;
    for (let round = 0; ; round++) {
      if (!response.body) break;
      const calls = new Map<number, Call & { held: boolean }>();
      const indexMap = new Map<number, number>();
      const tail: { raw: string; data: Json | null }[] = [];
      let content = "";
      let others = false;
      let finished = false;
      let errored = false;
      for await (const ev of readEvents(response.body)) {
        let data: Json | null = null;
        if (ev.data !== "[DONE]") {
          try {
            data = JSON.parse(ev.data) as Json;
          } catch {
            data = null;
          }
        }
        if (finished || ev.data === "[DONE]") {
          tail.push({ raw: ev.raw, data });
          if (ev.data === "[DONE]") break; // the answer is complete; decide now
          continue;
        }
        if (data && data.error) errored = true;
        const choice = data && Array.isArray(data.choices) && isObj(data.choices[0]) ? (data.choices[0] as Json) : null;
        const delta = choice && isObj(choice.delta) ? choice.delta : null;
        if (!data || !choice || !delta) {
          await out.write(ev.raw);
          continue;
        }
        if (typeof delta.content === "string") content += delta.content;
        let changed = false;
        let nextDelta: Json = delta;
        if (Array.isArray(delta.tool_calls)) {
          const kept: unknown[] = [];
          for (const tc of delta.tool_calls) {
            if (!isObj(tc)) continue;
            const index = tc.index as number;
            let call = calls.get(index);
            const fn = isObj(tc.function) ? tc.function : {};
            if (!call) {
              call = { id: String(tc.id ?? ""), name: String(fn.name ?? ""), arguments: "", held: isRetrieveName(fn.name) };
              calls.set(index, call);
              if (!call.held) {
                others = true;
                indexMap.set(index, nextIndex++);
              }
            }
            if (typeof fn.arguments === "string") call.arguments += fn.arguments;
            if (call.held) {
              changed = true;
              continue;
            }
            const mapped = indexMap.get(index)!;
            if (mapped !== index) changed = true;
            kept.push(mapped === index ? tc : { ...tc, index: mapped });
          }
          if (changed) {
            nextDelta = { ...delta };
            if (kept.length > 0) nextDelta.tool_calls = kept;
            else delete nextDelta.tool_calls;
          }
        }
        if (choice.finish_reason) {
          finished = true;
          tail.push({ raw: changed ? formatEvent(ev.event, { ...data, choices: [{ ...choice, delta: nextDelta }] }) : ev.raw, data: { ...data, choices: [{ ...choice, delta: nextDelta }] } });
          continue;
        }
        if (!changed) {
          await out.write(ev.raw);
        } else if (Object.keys(nextDelta).length > 0 || (data.usage ?? null) !== null) {
          await out.write(formatEvent(ev.event, { ...data, choices: [{ ...choice, delta: nextDelta }] }));
        }
      }
      const held = [...calls.values()].filter((c) => c.held);
      if (held.length === 0 || others || errored || round + 1 >= MAX_ROUNDS) {
        for (const t of tail) {
          const choice = t.data && Array.isArray(t.data.choices) && isObj(t.data.choices[0]) ? (t.data.choices[0] as Json) : null;
          if (choice && held.length > 0 && !others && choice.finish_reason === "tool_calls") {
            await out.write(formatEvent(undefined, { ...t.data, choices: [{ ...choice, finish_reason: "stop" }] }));
          } else {
            await out.write(t.raw);
          }
        }
        break;
      }
      body = followUp(body, content || null, [...calls.values()], held);
      response = await resendSafely(ctx.resend, body, "openai-chat");
      if (!response.ok || !response.body) {
        const detail = await response.text().catch(() => "");
        await out.write(formatEvent(undefined, { error: { type: "upstream_error", message: `headroom: the upstream answered ${response.status} while the proxy fetched a compressed original: ${detail.slice(0, 500)}` } }));
        await out.write("data: [DONE]\n\n");
        break;
      }
    }
  };
  run()
    .catch(() => {})
    .finally(() => out.close());
  return new Response(out.readable, { status: ctx.response.status, statusText: ctx.response.statusText, headers: rebuiltHeaders(ctx.response.headers) });
}
