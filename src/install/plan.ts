// Turns `install apply` options into a manifest (pure apart from reading the
// environment it is given). Every option is validated here, before anything is touched:
// a bad value is a UsageError (exit 2) with one sentence.
import * as v from "valibot";
import { checkLogLevel } from "../options/log-level.ts";
import { parseMode } from "../options/mode.ts";
import { parsePort } from "../options/port.ts";
import { parseUpstreamUrl } from "../options/upstream-url.ts";
import { UsageError } from "../errors.ts";
import type { Env } from "../host/env.ts";
import { type OsName, hostOs } from "../host/platform.ts";
import { workspaceDirFor } from "../paths.ts";
import { type Manifest, ManifestSchema, OSES, PRESETS, PROVIDER_MODES, RUNTIMES, SCHEMA_VERSION, SCOPES, supervisorOf } from "./manifest.ts";
import { checkProfileName } from "./store.ts";
import { DOCKER_PASS_ENV } from "./docker-argv.ts";

export interface ApplyOptions {
  profile?: string;
  preset?: string;
  runtime?: string;
  scope?: string;
  providers?: string;
  targets?: string[];
  port?: string;
  backend?: string;
  mode?: string;
  anthropicApiUrl?: string;
  openaiApiUrl?: string;
  optimize?: boolean;
  telemetry?: boolean;
  logLevel?: string;
  env?: string[];
  interval?: string;
  image?: string;
  os?: string;
}

export interface BuiltManifest {
  manifest: Manifest;
  /** One-line notes for the user (e.g. the python runtime alias). */
  notes: string[];
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined || value === "") return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not "${value}".`);
  }
  return value as T;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf("=");
    const name = i < 0 ? pair : pair.slice(0, i);
    if (i < 0 || !ENV_NAME.test(name)) throw new UsageError(`--env takes NAME=VALUE with a valid variable name, not "${pair}".`);
    if (/[\n\r\0]/.test(pair)) throw new UsageError(`--env ${name} must not contain a newline or NUL.`);
    out[name] = pair.slice(i + 1);
  }
  return out;
}

/** Builds and validates the manifest for `apply`. `binPath` comes from binpath.ts. */
export function buildManifest(opts: ApplyOptions, env: Env, binPath: string, now = new Date()): BuiltManifest {
  const notes: string[] = [];
  const profile = checkProfileName(opts.profile ?? "default");
  const preset = pick(opts.preset, PRESETS, "--preset", "persistent-service");
  let runtimeIn = opts.runtime;
  if (runtimeIn === "python") {
    notes.push("--runtime python is an alias of --runtime native (the headroom executable itself).");
    runtimeIn = "native";
  }
  let runtime = pick(runtimeIn, RUNTIMES, "--runtime", "native");
  if (preset === "persistent-docker") {
    if (opts.runtime && runtime !== "docker") notes.push("persistent-docker always uses the docker runtime.");
    runtime = "docker";
  }
  const scope = pick(opts.scope, SCOPES, "--scope", "user");
  const providers = pick(opts.providers, PROVIDER_MODES, "--providers", "auto");
  const targets = opts.targets ?? [];
  if (targets.length && providers !== "manual") throw new UsageError("--target needs --providers manual.");
  const port = parsePort(opts.port, "--port") ?? parsePort(env.HEADROOM_PORT, "HEADROOM_PORT") ?? 8787;
  const mode = parseMode(opts.mode) ?? "auto";
  const logLevel = checkLogLevel(opts.logLevel)?.toLowerCase();
  let interval = 5;
  if (opts.interval !== undefined) {
    interval = Number(opts.interval);
    if (!/^\d+$/.test(opts.interval) || interval < 1 || interval > 1440) throw new UsageError(`--interval must be a whole number of minutes between 1 and 1440, not "${opts.interval}".`);
  }
  const os = pick(opts.os, OSES, "--os", hostOs() as OsName);
  const stamp = now.toISOString();
  const draft = {
    schemaVersion: SCHEMA_VERSION,
    profile,
    preset,
    runtime,
    supervisor: supervisorOf(preset),
    scope,
    os,
    host: "127.0.0.1",
    port,
    providers,
    targets,
    proxy: {
      mode,
      backend: opts.backend || undefined,
      anthropicApiUrl: parseUpstreamUrl(opts.anthropicApiUrl, "--anthropic-api-url"),
      openaiApiUrl: parseUpstreamUrl(opts.openaiApiUrl, "--openai-api-url"),
      optimize: opts.optimize ?? true,
      telemetry: opts.telemetry,
      logLevel,
    },
    env: parseEnvPairs(opts.env ?? []),
    // Names only: the docker client hands these to the container from its own environment.
    passEnv: runtime === "docker" ? [...DOCKER_PASS_ENV] : [],
    interval,
    image: opts.image || undefined,
    binPath,
    // With the target OS's path rules: a Windows plan rendered on Linux keeps C:\ paths as they are.
    workspaceDir: workspaceDirFor(os, env),
    supervisorState: {},
    changes: [],
    createdAt: stamp,
    updatedAt: stamp,
  };
  const res = v.safeParse(ManifestSchema, draft);
  if (!res.success) {
    const issue = res.issues[0];
    throw new UsageError(`Invalid option (${issue.path?.map((p) => String(p.key)).join(".") ?? "?"}): ${issue.message}.`);
  }
  return { manifest: res.output, notes };
}
