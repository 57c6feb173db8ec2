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

export const RETRIEVE_DESCRIPTION =
  "Returns the original, uncompressed text of a tool result that headroom shortened. " +
  "Call it with the hash from a [headroom: ...] marker when the omitted part matters.";

const HASH_SCHEMA = {
  type: "object",
  properties: { hash: { type: "string", description: "The hash from the [headroom: ...] marker." } },
  required: ["hash"],
};

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
