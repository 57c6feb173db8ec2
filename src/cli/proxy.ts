// `headroom proxy`: parse flags (HEADROOM_* variables fill what a flag leaves out), then
// serve in the foreground until SIGTERM/SIGINT.
import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { type ProxyFlags, type ProxyMode, resolveProxyConfig } from "../proxy/config.ts";
import { parsePort, rejectUnknownFlags } from "./args.ts";

export const proxyArgs = {
  host: { type: "string", description: "Address to bind (default 127.0.0.1, HEADROOM_HOST)" },
  port: { type: "string", description: "Port to bind (default 8787, HEADROOM_PORT)" },
  mode: { type: "string", description: "Compression mode: token (default) or cache" },
  backend: { type: "string", description: "Backend name recorded in /health" },
  "anthropic-api-url": { type: "string", description: "Anthropic upstream (default https://api.anthropic.com)" },
  "openai-api-url": { type: "string", description: "OpenAI upstream (default https://api.openai.com)" },
  optimize: { type: "boolean", description: "Compress tool output (--no-optimize for pure passthrough)" },
  telemetry: { type: "boolean", description: "Anonymous telemetry (off by default)" },
  "log-level": { type: "string", description: "debug, info, warn or error" },
} as const;

const MODES = new Set(["token", "cache"]);
const LEVELS = new Set(["debug", "info", "warn", "warning", "error"]);

function checkUrl(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, not "${value}".`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`${flag} must be an http(s) URL, not "${value}".`);
  return value;
}

/** Flags as given on the command line (undefined where not given). */
export function proxyFlagsFromArgs(args: Record<string, unknown>, rawArgs: string[] = []): ProxyFlags {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const mode = str(args.mode);
  if (mode !== undefined && !MODES.has(mode)) throw new UsageError(`--mode must be token or cache, not "${mode}".`);
  const level = str(args["log-level"]);
  if (level !== undefined && !LEVELS.has(level.toLowerCase())) throw new UsageError(`--log-level must be debug, info, warn or error, not "${level}".`);
  const given = (name: string) => rawArgs.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));
  return {
    host: str(args.host),
    port: parsePort(str(args.port)),
    mode: mode as ProxyMode | undefined,
    backend: str(args.backend),
    anthropicApiUrl: checkUrl(str(args["anthropic-api-url"]), "--anthropic-api-url"),
    openaiApiUrl: checkUrl(str(args["openai-api-url"]), "--openai-api-url"),
    optimize: given("optimize") ? args.optimize !== false : undefined,
    telemetry: given("telemetry") ? args.telemetry !== false : undefined,
    logLevel: level,
  };
}

export default defineCommand({
  meta: { name: "proxy", description: "Run the proxy in the foreground on 127.0.0.1:8787." },
  args: proxyArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, proxyArgs);
    const flags = proxyFlagsFromArgs(args as Record<string, unknown>, rawArgs);
    const env = process.env;
    if (flags.port === undefined && env.HEADROOM_PORT) parsePort(env.HEADROOM_PORT, "HEADROOM_PORT");
    if (flags.mode === undefined && env.HEADROOM_MODE && !MODES.has(env.HEADROOM_MODE)) {
      throw new UsageError(`HEADROOM_MODE must be token or cache, not "${env.HEADROOM_MODE}".`);
    }
    const config = resolveProxyConfig(flags, env);
    const { runProxyUntilSignal } = await import("../proxy/server.ts");
    await runProxyUntilSignal(config);
    process.exit(0);
  },
});
