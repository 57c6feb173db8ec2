// `headroom wrap <tool> [--port P] [--no-proxy] [-v] [-- tool args]`. The argument vector
// is parsed by src/wrap/argv.ts (not by citty) so unknown options reach the tool.
import { defineCommand } from "citty";

export default defineCommand({
  meta: {
    name: "wrap",
    description: "Run a coding tool through the proxy; options wrap does not know, and everything after --, go to the tool.",
  },
  args: {
    tool: { type: "positional", valueHint: "claude|codex|aider|copilot|cursor|opencode|openclaw", description: "claude, codex, aider, copilot, cursor, opencode or openclaw", required: false },
    port: { type: "string", valueHint: "port", description: "Proxy port (default HEADROOM_PORT or 8787)" },
    "no-proxy": { type: "boolean", description: "Do not manage a proxy; only point the tool at the port" },
    verbose: { type: "boolean", alias: "v", description: "Say which proxy the session uses" },
  },
  async run({ rawArgs }) {
    const { parseWrapArgv } = await import("../wrap/argv.ts");
    const { runWrap } = await import("../wrap/run.ts");
    const code = await runWrap(parseWrapArgv(rawArgs));
    process.exit(code);
  },
});
