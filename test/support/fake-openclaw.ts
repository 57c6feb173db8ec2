// A stand-in for the `openclaw` CLI's `config set|unset` (tests only): logs its argv to
// $FAKE_OPENCLAW_LOG and edits $OPENCLAW_CONFIG_PATH (or ~/.openclaw/openclaw.json),
// rewriting it as plain JSON the way a config writer would. $FAKE_OPENCLAW_FAIL_MATCH makes
// a command whose path contains it fail.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";

const args = process.argv.slice(2);
if (process.env.FAKE_OPENCLAW_LOG) appendFileSync(process.env.FAKE_OPENCLAW_LOG, JSON.stringify(args) + "\n");
const file = process.env.OPENCLAW_CONFIG_PATH || join(process.env.HOME!, ".openclaw", "openclaw.json");
const [group, verb, path, value] = args;
if (group !== "config" || (verb !== "set" && verb !== "unset") || !path) {
  console.error(`fake openclaw: unsupported ${args.join(" ")}`);
  process.exit(2);
}
if (process.env.FAKE_OPENCLAW_FAIL_MATCH && path.includes(process.env.FAKE_OPENCLAW_FAIL_MATCH)) {
  console.error(`Config validation failed: ${path}`);
  process.exit(1);
}
const doc = JSON5.parse(readFileSync(file, "utf8"));
const keys = path.split(".");
let cur = doc;
for (const k of keys.slice(0, -1)) cur = cur[k] ??= {};
if (verb === "set") cur[keys.at(-1)!] = JSON5.parse(value!);
else delete cur[keys.at(-1)!];
writeFileSync(file, JSON.stringify(doc, null, 2) + "\n");
