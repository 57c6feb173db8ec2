// OpenAI Chat Completions: answering headroom_retrieve tool calls inside the proxy.
import { isObj, type Json } from "../apis/types.ts";
import { isRetrieveName, resolveHash } from "./common.ts";
import type { RetrievalContext } from "./context.ts";
import { PASS, eventJson, jsonRounds, streamRounds } from "./rounds.ts";
import { formatEvent, readEvents } from "./sse.ts";

interface Call {
  id: string;
  name: string;
  arguments: string;
}

function isRetrieveCall(c: unknown): c is Json {
  return isObj(c) && isObj(c.function) && isRetrieveName(c.function.name);
}

async function followUp(body: Json, content: string | null, allCalls: Call[], calls: Call[]): Promise<Json> {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const originals = await Promise.all(calls.map((c) => resolveHash(c.arguments)));
  return {
    ...body,
    messages: [
      ...messages,
      {
        role: "assistant",
        content,
        tool_calls: allCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
      },
      ...calls.map((c, i) => ({ role: "tool", tool_call_id: c.id, content: originals[i] })),
    ],
  };
}

export async function openaiChatJson(ctx: RetrievalContext): Promise<Response> {
  let earlierText = "";
  return jsonRounds(ctx, (msg, body, last) => {
    const choice = Array.isArray(msg.choices) && isObj(msg.choices[0]) ? (msg.choices[0] as Json) : null;
    const message = choice && isObj(choice.message) ? choice.message : null;
    const toolCalls = message && Array.isArray(message.tool_calls) ? message.tool_calls : [];
    const calls = toolCalls.filter(isRetrieveCall);
    if (!choice || !message || (calls.length === 0 && earlierText === "")) return PASS;
    const kept = toolCalls.filter((c) => !isRetrieveCall(c));
    const content = typeof message.content === "string" ? message.content : null;
    if (calls.length === 0 || kept.length > 0 || last) {
      const nextMessage: Json = { ...message, content: earlierText + (content ?? "") || content };
      if (kept.length > 0) nextMessage.tool_calls = kept;
      else delete nextMessage.tool_calls;
      const nextChoice: Json = { ...choice, message: nextMessage };
      if (kept.length === 0 && nextChoice.finish_reason === "tool_calls") nextChoice.finish_reason = "stop";
      return { answer: { ...msg, choices: [nextChoice, ...(msg.choices as unknown[]).slice(1)] } };
    }
    earlierText += content ?? "";
    const all = toolCalls.filter(isObj).map((c) => ({
      id: String(c.id),
      name: String((c.function as Json).name),
      arguments: String((c.function as Json).arguments ?? ""),
    }));
    return { followUp: followUp(body, content, all, all.filter((c) => isRetrieveName(c.name))) };
  });
}

/**
 * Relays chunks as they come; tool-call deltas of headroom_retrieve are held back (the
 * first delta of a call names it), other calls renumbered; the chunk with finish_reason
 * and everything after it (usage, [DONE]) wait until the stream ends.
 */
export function openaiChatStream(ctx: RetrievalContext): Response {
  let nextIndex = 0;
  return streamRounds(ctx, (write) => ({
    async relay(stream, _round, last, body) {
      const calls = new Map<number, Call & { held: boolean }>();
      const indexMap = new Map<number, number>();
      const tail: { raw: string; data: Json | null }[] = [];
      let content = "";
      let others = false;
      let finished = false;
      let errored = false;
      for await (const ev of readEvents(stream)) {
        const data = eventJson(ev.data);
        if (finished || ev.data === "[DONE]") {
          tail.push({ raw: ev.raw, data });
          if (ev.data === "[DONE]") break; // the answer is complete; decide now
          continue;
        }
        if (data && data.error) errored = true;
        const choice = data && Array.isArray(data.choices) && isObj(data.choices[0]) ? (data.choices[0] as Json) : null;
        const delta = choice && isObj(choice.delta) ? choice.delta : null;
        if (!data || !choice || !delta) {
          await write(ev.raw);
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
          await write(ev.raw);
        } else if (Object.keys(nextDelta).length > 0 || (data.usage ?? null) !== null) {
          await write(formatEvent(ev.event, { ...data, choices: [{ ...choice, delta: nextDelta }] }));
        }
      }
      const held = [...calls.values()].filter((c) => c.held);
      if (held.length === 0 || others || errored || last) {
        for (const t of tail) {
          const choice = t.data && Array.isArray(t.data.choices) && isObj(t.data.choices[0]) ? (t.data.choices[0] as Json) : null;
          if (choice && held.length > 0 && !others && choice.finish_reason === "tool_calls") {
            await write(formatEvent(undefined, { ...t.data, choices: [{ ...choice, finish_reason: "stop" }] }));
          } else {
            await write(t.raw);
          }
        }
        return null;
      }
      return followUp(body, content || null, [...calls.values()], held);
    },
    async failed(message) {
      await write(formatEvent(undefined, { error: { type: "upstream_error", message } }));
      await write("data: [DONE]\n\n");
    },
  }));
}
