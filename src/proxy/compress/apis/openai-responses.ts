// OpenAI Responses: tool output is a `function_call_output` input item (string or
// input_text parts).
import { RETRIEVE_TOOL_NAME, retrieveTool } from "../marker.ts";
import { isObj, mapToolOutput, recentUserText, withTool, type ApiAdapter } from "./types.ts";

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
    return recentUserText(list, ["input_text", "text"]);
  },
  mapToolTexts(item, fn) {
    if (!isOutput(item)) return item;
    const it = item as Record<string, unknown>;
    const next = mapToolOutput(it.output, ["input_text", "output_text", "text"], fn);
    return next === it.output ? item : { ...it, output: next };
  },
  withRetrieveTool(body) {
    return withTool(body, RETRIEVE_TOOL_NAME, retrieveTool("openai-responses"), (t) => (isObj(t) ? t.name : undefined));
  },
};
