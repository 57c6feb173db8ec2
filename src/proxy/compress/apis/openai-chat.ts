// OpenAI Chat Completions: tool output is a `tool` role message (string or text parts).
import { RETRIEVE_TOOL_NAME, retrieveTool } from "../marker.ts";
import { isObj, mapTextParts, textOf, withTool, type ApiAdapter } from "./types.ts";

export const openaiChatAdapter: ApiAdapter = {
  list(body) {
    return Array.isArray(body.messages) ? body.messages : null;
  },
  withList(body, list) {
    return { ...body, messages: list };
  },
  liveFrom(list) {
    // The live tail: the last message and the run of tool results it ends (parallel calls).
    let i = list.length - 1;
    while (i > 0 && isObj(list[i]) && (list[i] as { role?: unknown }).role === "tool" && isObj(list[i - 1]) && (list[i - 1] as { role?: unknown }).role === "tool") i--;
    return i;
  },
  queryText(_body, list) {
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i];
      if (!isObj(m) || m.role !== "user") continue;
      const text = textOf(m.content, ["text"]);
      if (text.trim() !== "") return text;
    }
    return "";
  },
  mapToolTexts(item, fn) {
    if (!isObj(item) || item.role !== "tool" || item.cache_control) return item;
    if (typeof item.content === "string") {
      const next = fn(item.content);
      return next === null ? item : { ...item, content: next };
    }
    if (Array.isArray(item.content)) {
      const next = mapTextParts(item.content, ["text"], fn);
      return next === item.content ? item : { ...item, content: next };
    }
    return item;
  },
  withRetrieveTool(body) {
    return withTool(body, RETRIEVE_TOOL_NAME, retrieveTool("openai-chat"), (t) =>
      isObj(t) && isObj(t.function) ? t.function.name : undefined,
    );
  },
};
