// OpenAI Responses: tool output is a `function_call_output` input item (string or
// input_text parts).
import { RETRIEVE_TOOL_NAME, retrieveTool } from "../marker.ts";
import { isObj, mapTextParts, textOf, withTool, type ApiAdapter } from "./types.ts";

function isOutput(v: unknown): boolean {
  return isObj(v) && v.type === "function_call_output";
}

export const openaiResponsesAdapter: ApiAdapter = {
  list(body) {
    return Array.isArray(body.input) ? body.input : null;
  },
  withList(body, list) {
    return { ...body, input: list };
  },
  liveFrom(list) {
    let i = list.length - 1;
    while (i > 0 && isOutput(list[i]) && isOutput(list[i - 1])) i--;
    return i;
  },
  queryText(_body, list) {
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i];
      if (!isObj(m) || m.role !== "user") continue;
      const text = textOf(m.content, ["input_text", "text"]);
      if (text.trim() !== "") return text;
    }
    return "";
  },
  mapToolTexts(item, fn) {
    if (!isOutput(item)) return item;
    const it = item as Record<string, unknown>;
    if (typeof it.output === "string") {
      const next = fn(it.output);
      return next === null ? item : { ...it, output: next };
    }
    if (Array.isArray(it.output)) {
      const next = mapTextParts(it.output, ["input_text", "output_text", "text"], fn);
      return next === it.output ? item : { ...it, output: next };
    }
    return item;
  },
  withRetrieveTool(body) {
    return withTool(body, RETRIEVE_TOOL_NAME, retrieveTool("openai-responses"), (t) => (isObj(t) ? t.name : undefined));
  },
};
