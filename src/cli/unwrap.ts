import { defineCommand } from "citty";
import { notAvailableYet } from "./not-yet.ts";

export default defineCommand({
  meta: { name: "unwrap", description: "Undo whatever `wrap` left in a tool's config." },
  args: { tool: { type: "positional", description: "Tool name", required: true } },
  run() {
    notAvailableYet("unwrap");
  },
});
