// The proxy's own flags (mode, upstream URLs, optimize, telemetry, log level, backend):
// their definitions and their reading, shared by `headroom proxy` and `headroom install
// apply` (which records them in the manifest), so the two accept the same values with
// the same messages. The values are checked by src/options/ (install's plan uses the
// same validators); an empty value counts as not given.
import { checkLogLevel } from "../options/log-level.ts";
import { parseMode } from "../options/mode.ts";
import { parsePort } from "../options/port.ts";
import { parseUpstreamUrl } from "../options/upstream-url.ts";
import type { ProxyFlags } from "../proxy/config.ts";

/** citty definitions of the flags both commands take (host and port are each command's own). */
export const proxyValueArgs = {
  mode: { type: "string", valueHint: "auto|token|cache", description: "Compression mode: auto (default: cache when the client uses prompt caching, else token), token or cache" },
  backend: { type: "string", valueHint: "name", description: "Backend name recorded in /health" },
  "anthropic-api-url": { type: "string", valueHint: "url", description: "Anthropic upstream (default https://api.anthropic.com)" },
  "openai-api-url": { type: "string", valueHint: "url", description: "OpenAI upstream (default https://api.openai.com)" },
  optimize: { type: "boolean", description: "Compress tool output (--no-optimize for pure passthrough)" },
  telemetry: { type: "boolean", description: "Anonymous telemetry (off by default)" },
  "log-level": { type: "string", valueHint: "debug|info|warn|error", description: "debug, info, warn or error" },
} as const;

/** Flags as given on the command line (undefined where not given), validated. */
export function proxyFlagsFromArgs(args: Record<string, unknown>, rawArgs: string[] = []): ProxyFlags {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const flagGiven = (name: string) => rawArgs.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`));
  return {
    host: str(args.host),
    port: parsePort(str(args.port)),
    mode: parseMode(str(args.mode)),
    backend: str(args.backend),
    anthropicApiUrl: parseUpstreamUrl(str(args["anthropic-api-url"]), "--anthropic-api-url"),
    openaiApiUrl: parseUpstreamUrl(str(args["openai-api-url"]), "--openai-api-url"),
    optimize: flagGiven("optimize") ? args.optimize !== false : undefined,
    telemetry: flagGiven("telemetry") ? args.telemetry !== false : undefined,
    logLevel: checkLogLevel(str(args["log-level"])),
  };
}
