// Pure argument vectors for the docker runtime: `docker run` (detached for
// persistent-docker, foreground for a systemd unit or the watchdog), and the container
// contract (SPEC 6): container paths, never host paths, and API keys by name only.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../host/env.ts";
import { which } from "../host/exec.ts";
import type { Manifest } from "./manifest.ts";

export const DEFAULT_IMAGE = "headroom:local";
export const CONTAINER_HOME = "/tmp/headroom-home";
export const CONTAINER_WORKSPACE = `${CONTAINER_HOME}/.headroom`;
export const CONTAINER_CONFIG = `${CONTAINER_WORKSPACE}/config`;
/** The label that marks a container as a headroom deployment (value: the profile). */
export const PROFILE_LABEL = "com.headroom.profile";

/** Provider keys handed to the container by name (`--env NAME`): the value never appears on a command line or in the manifest. */
export const DOCKER_PASS_ENV = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "HEADROOM_PROXY_TOKEN"] as const;

/** Host folders the proxy may read (credentials/config of the tools), mounted read-only when present. */
export const TOOL_FOLDERS = [".claude", ".codex"] as const;

export function containerName(profile: string): string {
  return `headroom-${profile}`;
}

export function imageOf(m: Pick<Manifest, "image">): string {
  return m.image || DEFAULT_IMAGE;
}

/** The variables set in the container with a value (none of them secret). */
export function containerEnv(m: Manifest): Record<string, string> {
  return {
    HOME: CONTAINER_HOME,
    HEADROOM_WORKSPACE_DIR: CONTAINER_WORKSPACE,
    HEADROOM_CONFIG_DIR: CONTAINER_CONFIG,
    HEADROOM_PORT: String(m.port),
    HEADROOM_DEPLOYMENT_PROFILE: m.profile,
    HEADROOM_DEPLOYMENT_PRESET: m.preset,
    HEADROOM_DEPLOYMENT_RUNTIME: "docker",
    HEADROOM_DEPLOYMENT_SUPERVISOR: m.supervisor,
    HEADROOM_DEPLOYMENT_SCOPE: m.scope,
  };
}

/**
 * Names passed through from the docker client's own environment (`--env NAME`): the
 * provider keys and the manifest's passEnv. The engine records a passed-through value in
 * the container's configuration (`docker inspect` shows it to whoever may talk to the
 * engine). The manifest's --env values are not passed at all: the container reads them
 * from the 0600 manifest in the mounted workspace (src/install/runtime-env.ts), so they
 * never reach the engine; a name given with --env is left out here for that reason.
 */
export function passThroughNames(m: Manifest): string[] {
  const fixed = new Set(Object.keys(containerEnv(m)));
  const names = [...DOCKER_PASS_ENV, ...(m.passEnv ?? [])];
  return [...new Set(names)].filter((n) => !fixed.has(n) && !(n in m.env));
}

/** The environment of the docker client: its own (the manifest's --env values stay out of the engine). */
export function clientEnv(_m: Manifest, env: Env): Env {
  return env;
}

/** One field of a `--mount` value, CSV-quoted when it holds a comma or a quote. */
function mountField(key: string, value: string): string {
  const kv = `${key}=${value}`;
  return /[",]/.test(kv) ? `"${kv.replace(/"/g, '""')}"` : kv;
}

export function bindMount(source: string, target: string, readonly = false): string {
  return [mountField("type", "bind"), mountField("source", source), mountField("target", target), ...(readonly ? ["readonly"] : [])].join(",");
}

/** Flags after the image: the entrypoint is already `headroom proxy`. */
export function proxyFlags(m: Manifest): string[] {
  const p = m.proxy;
  const out = ["--host", "0.0.0.0", "--port", String(m.port), "--mode", p.mode];
  if (p.backend) out.push("--backend", p.backend);
  if (p.anthropicApiUrl) out.push("--anthropic-api-url", p.anthropicApiUrl);
  if (p.openaiApiUrl) out.push("--openai-api-url", p.openaiApiUrl);
  if (!p.optimize) out.push("--no-optimize");
  if (p.telemetry !== undefined) out.push(p.telemetry ? "--telemetry" : "--no-telemetry");
  if (p.logLevel) out.push("--log-level", p.logLevel);
  return out;
}

export interface RunArgvInput {
  manifest: Manifest;
  os: string;
  home: string;
  uid: number;
  gid: number;
}

export interface RunArgvOptions {
  detached: boolean;
  /** The docker executable (an absolute path for unit files). */
  docker?: string;
  /**
   * The docker client's environment: when given, only pass-through names that have a value
   * there are listed (the detached run knows its client; a unit's foreground run does not).
   */
  clientEnv?: Record<string, string | undefined>;
  /** Whether a host folder exists (tool folders are mounted only when present). */
  exists?: (path: string) => boolean;
}

/**
 * `docker run` for a deployment. detached: `-d --restart unless-stopped` (the engine
 * supervises); otherwise `--rm` in the foreground, for systemd or the watchdog.
 */
export function buildRunArgv(input: RunArgvInput, opts: RunArgvOptions): string[] {
  const m = input.manifest;
  const exists = opts.exists ?? existsSync;
  const argv = [opts.docker ?? "docker", "run"];
  argv.push(...(opts.detached ? ["-d", "--restart", "unless-stopped"] : ["--rm"]));
  argv.push("--name", containerName(m.profile), "--label", `${PROFILE_LABEL}=${m.profile}`);
  argv.push("-p", `${m.host}:${m.port}:${m.port}`);
  // Linux: files the container writes in the bind-mounted workspace belong to the host
  // user; host.docker.internal reaches services on the host (Docker Desktop has it built in).
  if (input.os === "linux") argv.push("--user", `${input.uid}:${input.gid}`, "--add-host", "host.docker.internal:host-gateway");
  for (const [k, v] of Object.entries(containerEnv(m))) argv.push("--env", `${k}=${v}`);
  for (const name of passThroughNames(m)) {
    if (!opts.clientEnv || opts.clientEnv[name] !== undefined) argv.push("--env", name);
  }
  argv.push("--mount", bindMount(m.workspaceDir, CONTAINER_WORKSPACE));
  for (const folder of TOOL_FOLDERS) {
    const source = join(input.home, folder);
    if (exists(source)) argv.push("--mount", bindMount(source, `${CONTAINER_HOME}/${folder}`, true));
  }
  argv.push(imageOf(m), ...proxyFlags(m));
  return argv;
}

/** Who runs the container and where: the part of a supervisor context `docker run` needs. */
export interface DockerHost extends RunArgvInput {
  env: Env;
}

/**
 * The `docker run` argument vector for a manifest. detached=true gives the
 * persistent-docker form (`-d --restart unless-stopped`); detached=false gives the
 * foreground form (`--rm`) that a systemd unit or watchdog supervises for
 * `--runtime docker` with the service and task presets. The foreground form names the
 * docker executable by its absolute path (unit files need one).
 */
export function dockerRunArgv(host: DockerHost, opts: { detached: boolean }): string[] {
  if (opts.detached) return buildRunArgv(host, { detached: true, docker: "docker", clientEnv: clientEnv(host.manifest, host.env) });
  return buildRunArgv(host, { detached: false, docker: which("docker", host.env) ?? "docker" });
}

/**
 * `docker rm -f headroom-<p>` (absolute docker path): what a unit must run before a
 * foreground container starts (`ExecStartPre=-...`), and the watchdog before it spawns
 * one. When the `docker run` client is SIGKILLed its container lives on and keeps the
 * name, so without this every restart fails with "name already in use".
 */
export function dockerRemoveArgv(host: Pick<DockerHost, "manifest" | "env">, docker = which("docker", host.env) ?? "docker"): string[] {
  return [docker, "rm", "-f", containerName(host.manifest.profile)];
}
