// OpenAI Responses: tool output is a `function_call_output` (or, for a custom tool such
// as Codex's `exec`, a `custom_tool_call_output`) input item: a string or input_text parts.
// Tools are declared at the top level, or (Codex) in an `additional_tools` input item.
import { RETRIEVE_TOOL_NAME, retrieveTool } from "../marker.ts";
import { isObj, mapToolOutput, recentUserText, withTool, type ApiAdapter, type Json } from "./types.ts";

function isOutput(v: unknown): boolean {
  return isObj(v) && (v.type === "function_call_output" || v.type === "custom_tool_call_output");
}

/** The first `additional_tools` input item that carries a tool list (Codex declares its tools there). */
function toolsItem(body: Json): number {
  const input = Array.isArray(body.input) ? body.input : [];
  return input.findIndex((item) => isObj(item) && item.type === "additional_tools" && Array.isArray(item.tools));
}

const nameOf = (t: unknown) => (isObj(t) ? t.name : undefined);

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
  declaresTools(body) {
    return (Array.isArray(body.tools) && body.tools.length > 0) || toolsItem(body) >= 0;
  },
  withRetrieveTool(body) {
    // Next to the client's own tools: the top-level list, else the additional_tools item
    // (from the first request of the conversation on). A request that continues a stored
    // response (previous_response_id) and declares none has them from that response.
    const at = Array.isArray(body.tools) && body.tools.length > 0 ? -1 : toolsItem(body);
    if (at < 0) {
      if (!Array.isArray(body.tools) && body.previous_response_id !== undefined) return body;
      return withTool(body, RETRIEVE_TOOL_NAME, retrieveTool("openai-responses"), nameOf);
    }
    const input = body.input as Json[];
    const item = withTool(input[at]!, RETRIEVE_TOOL_NAME, retrieveTool("openai-responses"), nameOf);
    if (item === input[at]) return body;
    const next = input.slice();
    next[at] = item;
    return { ...body, input: next };
  },
};
