// `headroom proxy`: parse flags (HEADROOM_* variables fill what a flag leaves out), then
// serve in the foreground until SIGTERM/SIGINT.
import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { resolveProxyConfig } from "../proxy/config.ts";
import { parseMode } from "../options/mode.ts";
import { parsePort } from "../options/port.ts";
import { rejectUnknownFlags } from "./args.ts";
import { proxyFlagsFromArgs, proxyValueArgs } from "./proxy-flags.ts";

export { proxyFlagsFromArgs };

const proxyArgs = {
  host: { type: "string", valueHint: "host", description: "Address to bind (default 127.0.0.1, HEADROOM_HOST)" },
  port: { type: "string", valueHint: "port", description: "Port to bind (default 8787, HEADROOM_PORT)" },
  ...proxyValueArgs,
  "fresh-threshold": {
    type: "string",
    valueHint: "tokens",
    description: "Token mode: compress a fresh tool output of at least this many tokens at first sight (default 10000, HEADROOM_FRESH_THRESHOLD)",
  },
} as const;

/** A whole number of tokens, from the flag or HEADROOM_FRESH_THRESHOLD. */
function parseThreshold(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number of tokens, not "${value}".`);
  return Number(value);
}

export default defineCommand({
  meta: { name: "proxy", description: "Run the proxy in the foreground on 127.0.0.1:8787." },
  args: proxyArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, proxyArgs);
    // A deployment's container takes the manifest's --env values from the mounted 0600 manifest.
    if (process.env.HEADROOM_DEPLOYMENT_RUNTIME === "docker") (await import("../install/runtime-env.ts")).loadContainerEnv(process.env);
    const flags = proxyFlagsFromArgs(args as Record<string, unknown>, rawArgs);
    const env = process.env;
    if (flags.port === undefined && env.HEADROOM_PORT) parsePort(env.HEADROOM_PORT, "HEADROOM_PORT");
    if (flags.mode === undefined) parseMode(env.HEADROOM_MODE, "HEADROOM_MODE");
    const threshold = parseThreshold(typeof args["fresh-threshold"] === "string" ? args["fresh-threshold"] : undefined, "--fresh-threshold") ?? parseThreshold(env.HEADROOM_FRESH_THRESHOLD, "HEADROOM_FRESH_THRESHOLD");
    const config = { ...resolveProxyConfig(flags, env), ...(threshold !== undefined ? { freshThreshold: threshold } : {}) };
    const { runProxyUntilSignal } = await import("../proxy/server.ts");
    await runProxyUntilSignal(config);
    process.exit(0);
  },
});
