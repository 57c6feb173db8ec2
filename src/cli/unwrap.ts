// `headroom unwrap <tool>`: undo whatever `wrap` left in a tool's config.
import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "unwrap", description: "Undo whatever `wrap` left in a tool's config (codex, opencode, openclaw); needs no running proxy." },
  args: { tool: { type: "positional", valueHint: "claude|codex|aider|copilot|cursor|opencode|openclaw", description: "claude, codex, aider, copilot, cursor, opencode or openclaw", required: false } },
  async run({ args }) {
    const { parseUnwrapTool } = await import("../wrap/argv.ts");
    const { runUnwrap } = await import("../wrap/unwrap.ts");
    const tool = parseUnwrapTool(args.tool as string | undefined);
    const { logger } = await import("./log.ts");
    const log = logger();
    for (const line of await runUnwrap(tool)) log.log(line);
  },
});
