// The proxy's own flags (mode, upstream URLs, optimize, telemetry, log level, backend):
// their definitions and their validation, shared by `headroom proxy` and
// `headroom install apply` (which records them in the manifest), so the two accept the
// same values with the same messages. An empty value counts as not given.
import { UsageError } from "../errors.ts";
import type { ProxyFlags, ProxyMode } from "../proxy/config.ts";
import { parsePort } from "./args.ts";

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

const MODES: readonly string[] = ["auto", "token", "cache"] satisfies ProxyMode[];
const LEVELS: readonly string[] = ["debug", "info", "warn", "warning", "error"];

const given = (value: string | undefined): value is string => value !== undefined && value !== "";

/** auto, token or cache; `what` names the flag or variable in the message. */
export function parseMode(value: string | undefined, what = "--mode"): ProxyMode | undefined {
  if (!given(value)) return undefined;
  if (!MODES.includes(value)) throw new UsageError(`${what} must be auto, token or cache, not "${value}".`);
  return value as ProxyMode;
}

/** debug, info, warn(ing) or error, in any case; returned as given. */
export function parseLogLevel(value: string | undefined, what = "--log-level"): string | undefined {
  if (!given(value)) return undefined;
  if (!LEVELS.includes(value.toLowerCase())) throw new UsageError(`${what} must be debug, info, warn or error, not "${value}".`);
  return value;
}

/** An http(s) URL for an upstream. */
export function parseUpstreamUrl(value: string | undefined, what: string): string | undefined {
  if (!given(value)) return undefined;
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {}
  if (u?.protocol !== "http:" && u?.protocol !== "https:") throw new UsageError(`${what} must be an http(s) URL, not "${value}".`);
  return value;
}

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
    logLevel: parseLogLevel(str(args["log-level"])),
  };
}
