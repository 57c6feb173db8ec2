import { defineCommand } from "citty";
import { BUILD } from "../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the version (--json adds commit, build date and target)." },
  args: { json: { type: "boolean", description: "Print as JSON" } },
  run({ args }) {
    if (args.json) console.log(JSON.stringify(BUILD));
    else console.log(BUILD.version);
  },
});
