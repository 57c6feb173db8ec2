// The retrieval marker that replaces what a compressor left out, and the tool that
// fetches the original back.
export const RETRIEVE_TOOL_NAME = "headroom_retrieve";

const MARKER_RE = /\[headroom: [^\]\n]*headroom_retrieve \{"hash":"([0-9a-f]{24})"\}\]/g;

/** e.g. `[headroom: 488 of 500 items omitted; original: headroom_retrieve {"hash":"…"}]` */
export function marker(summary: string, hash: string): string {
  return `[headroom: ${summary}; original: ${RETRIEVE_TOOL_NAME} {"hash":"${hash}"}]`;
}

export function hasMarker(text: string): boolean {
  return text.includes(RETRIEVE_TOOL_NAME) && markerHashes(text).length > 0;
}

export function markerHashes(text: string): string[] {
  return [...text.matchAll(MARKER_RE)].map((m) => m[1]!);
}

/**
 * Kept short: the tool is in every request of a conversation that declares tools (its
 * tokens are written to the provider's cache once and read on every turn), and the
 * marker itself says how to call it.
 */
export const RETRIEVE_DESCRIPTION = "Returns the full original of a tool result that headroom shortened; pass the hash from its [headroom: …] marker.";

const HASH_SCHEMA = { type: "object", properties: { hash: { type: "string" } }, required: ["hash"] };

/** The tool definition in each API's format (deterministic bytes keep prefix caches warm). */
export function retrieveTool(api: "anthropic-messages" | "openai-chat" | "openai-responses"): Record<string, unknown> {
  switch (api) {
    case "anthropic-messages":
      return { name: RETRIEVE_TOOL_NAME, description: RETRIEVE_DESCRIPTION, input_schema: HASH_SCHEMA };
    case "openai-chat":
      return { type: "function", function: { name: RETRIEVE_TOOL_NAME, description: RETRIEVE_DESCRIPTION, parameters: HASH_SCHEMA } };
    case "openai-responses":
      return { type: "function", name: RETRIEVE_TOOL_NAME, description: RETRIEVE_DESCRIPTION, parameters: HASH_SCHEMA };
  }
}
