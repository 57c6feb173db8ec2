// Proxy settings: flags, then HEADROOM_* variables, then defaults (SPEC 3, 9.1).
import type { Env } from "../host/env.ts";
import { savingsPath } from "../paths.ts";
import { DEFAULT_FRESH_THRESHOLD } from "./compress/tokens.ts";
import type { ProxyMode } from "./compress/types.ts";
import { upstreamTokenFromEnv } from "./tokens.ts";

export type { ProxyMode };

export interface Deployment {
  profile: string;
  preset: string;
  runtime: string;
  supervisor: string;
  scope: string;
}

export interface ProxyConfig {
  host: string;
  port: number;
  mode: ProxyMode;
  /** Token mode: a fresh tool output of at least this many tokens is compressed at first sight. */
  freshThreshold: number;
  backend: string;
  anthropicApiUrl: string;
  openaiApiUrl: string;
  optimize: boolean;
  telemetry: boolean;
  logLevel: string;
  /** HEADROOM_PROXY_TOKEN: required from non-loopback callers when set. */
  proxyToken?: string;
  /** HEADROOM_TOKENS_FILE: per-user gateway tokens {"<token>": "<user>"}, required on every route but the probes. */
  tokensFile?: string;
  /** Added as x-headroom-proxy-token to what goes to the Anthropic/OpenAI upstreams (a gateway): HEADROOM_UPSTREAM_TOKEN_ENV, HEADROOM_UPSTREAM_TOKEN. */
  upstreamToken?: string;
  /** Why the upstream token could not be read (startProxy refuses to start). */
  upstreamTokenError?: string;
  savingsPath: string;
  /** HEADROOM_REDIS_URL: originals and cache-mode memory shared with the deployment's other replicas. */
  redisUrl?: string;
  /** HEADROOM_REDIS_PREFIX, default `headroom:<deployment profile, else port>:` (set only with redisUrl). */
  redisPrefix?: string;
  /** From HEADROOM_DEPLOYMENT_* when started by the install subsystem. */
  deployment?: Deployment;
}

/** Flags a persistent manifest records; every field optional (undefined = not given). */
export interface ProxyFlags {
  host?: string;
  port?: number;
  mode?: ProxyMode;
  backend?: string;
  anthropicApiUrl?: string;
  openaiApiUrl?: string;
  optimize?: boolean;
  telemetry?: boolean;
  logLevel?: string;
}

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = "127.0.0.1";

/** Drops a trailing "/" and a trailing "/v1" from an upstream override. */
export function normalizeUpstream(url: string): string {
  let u = url.trim().replace(/\/+$/, "");
  if (u.endsWith("/v1")) u = u.slice(0, -3);
  return u.replace(/\/+$/, "");
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  return !/^(0|false|no|off)$/i.test(value);
}

export function deploymentFromEnv(env: Env): Deployment | undefined {
  const profile = env.HEADROOM_DEPLOYMENT_PROFILE;
  if (!profile) return undefined;
  return {
    profile,
    preset: env.HEADROOM_DEPLOYMENT_PRESET ?? "",
    runtime: env.HEADROOM_DEPLOYMENT_RUNTIME ?? "",
    supervisor: env.HEADROOM_DEPLOYMENT_SUPERVISOR ?? "",
    scope: env.HEADROOM_DEPLOYMENT_SCOPE ?? "",
  };
}

/** HEADROOM_FRESH_THRESHOLD (tokens); anything but a whole number keeps the default. */
function freshThreshold(value: string | undefined): number {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : DEFAULT_FRESH_THRESHOLD;
}

export function resolveProxyConfig(flags: ProxyFlags = {}, env: Env = process.env): ProxyConfig {
  const port = flags.port ?? (env.HEADROOM_PORT ? Number(env.HEADROOM_PORT) : DEFAULT_PORT);
  const mode = flags.mode ?? (env.HEADROOM_MODE as ProxyMode | undefined) ?? "auto";
  const upstream = upstreamTokenFromEnv(env);
  const redisUrl = env.HEADROOM_REDIS_URL?.trim();
  return {
    host: flags.host ?? env.HEADROOM_HOST ?? DEFAULT_HOST,
    port,
    mode,
    freshThreshold: freshThreshold(env.HEADROOM_FRESH_THRESHOLD),
    backend: flags.backend ?? env.HEADROOM_BACKEND ?? "anthropic",
    anthropicApiUrl: normalizeUpstream(
      flags.anthropicApiUrl ?? env.HEADROOM_ANTHROPIC_API_URL ?? env.ANTHROPIC_TARGET_API_URL ?? "https://api.anthropic.com",
    ),
    openaiApiUrl: normalizeUpstream(
      flags.openaiApiUrl ?? env.HEADROOM_OPENAI_API_URL ?? env.OPENAI_TARGET_API_URL ?? "https://api.openai.com",
    ),
    optimize: flags.optimize ?? (bool(env.HEADROOM_NO_OPTIMIZE) === true ? false : (bool(env.HEADROOM_OPTIMIZE) ?? true)),
    telemetry: flags.telemetry ?? bool(env.HEADROOM_TELEMETRY) ?? false,
    logLevel: flags.logLevel ?? env.HEADROOM_LOG_LEVEL ?? "info",
    proxyToken: env.HEADROOM_PROXY_TOKEN || undefined,
    tokensFile: env.HEADROOM_TOKENS_FILE?.trim() || undefined,
    upstreamToken: upstream.token,
    upstreamTokenError: upstream.error,
    savingsPath: savingsPath(undefined, env),
    deployment: deploymentFromEnv(env),
    ...(redisUrl ? { redisUrl, redisPrefix: env.HEADROOM_REDIS_PREFIX?.trim() || `headroom:${env.HEADROOM_DEPLOYMENT_PROFILE || port}:` } : {}),
  };
}
