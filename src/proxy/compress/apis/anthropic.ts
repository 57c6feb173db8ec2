// Anthropic Messages: tool output is a `tool_result` block (string or text-block content)
// in a user message. Error results are never touched; a block with cache_control keeps
// its marker when its content is compressed.
import { RETRIEVE_TOOL_NAME, retrieveTool } from "../marker.ts";
import { declaresTopLevelTools, isObj, mapToolOutput, recentUserText, withTool, type ApiAdapter, type Json } from "./types.ts";

export const anthropicAdapter: ApiAdapter = {
  list(body) {
    return Array.isArray(body.messages) ? body.messages : null;
  },
  withList(body, list) {
    return { ...body, messages: list };
  },
  liveFrom(list) {
    return list.length - 1;
  },
  queryText(_body, list) {
    return recentUserText(list, ["text"]);
  },
  mapToolTexts(item, fn) {
    if (!isObj(item) || item.role !== "user" || !Array.isArray(item.content)) return item;
    let content: unknown[] | null = null;
    item.content.forEach((block, i) => {
      if (!isObj(block) || block.type !== "tool_result" || block.is_error === true) return;
      const next = mapToolOutput(block.content, ["text"], fn);
      if (next === block.content) return;
      content ??= (item.content as unknown[]).slice();
      content[i] = { ...block, content: next };
    });
    return content ? { ...item, content } : item;
  },
  declaresTools: declaresTopLevelTools,
  withRetrieveTool(body: Json) {
    return withTool(body, RETRIEVE_TOOL_NAME, retrieveTool("anthropic-messages"), (t) => (isObj(t) ? t.name : undefined));
  },
};
