// OpenAI Chat Completions: tool output is a `tool` role message (string or text parts).
import { RETRIEVE_TOOL_NAME, retrieveTool } from "../marker.ts";
import { declaresTopLevelTools, isObj, mapToolOutput, recentUserText, withTool, type ApiAdapter } from "./types.ts";

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
    return recentUserText(list, ["text"]);
  },
  mapToolTexts(item, fn) {
    if (!isObj(item) || item.role !== "tool") return item;
    const next = mapToolOutput(item.content, ["text"], fn);
    return next === item.content ? item : { ...item, content: next };
  },
  declaresTools: declaresTopLevelTools,
  withRetrieveTool(body) {
    return withTool(body, RETRIEVE_TOOL_NAME, retrieveTool("openai-chat"), (t) =>
      isObj(t) && isObj(t.function) ? t.function.name : undefined,
    );
  },
};
