import { defineCommand } from "citty";
import { notAvailableYet } from "./not-yet.ts";

export default defineCommand({
  meta: { name: "wrap", description: "Run a coding tool through the proxy: wrap claude|codex|aider|copilot|cursor|opencode|openclaw [-- args]." },
  args: {
    tool: { type: "positional", description: "claude, codex, aider, copilot, cursor, opencode or openclaw", required: true },
    port: { type: "string", description: "Proxy port (default 8787)" },
    "no-proxy": { type: "boolean", description: "Do not manage a proxy at all" },
  },
  run() {
    notAvailableYet("wrap");
  },
});
