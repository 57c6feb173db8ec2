// The manifest's --env values for a runtime that is not `agent run`: the docker
// runtime's container (`headroom proxy` as its entrypoint) reads them from the 0600
// manifest in the bind-mounted workspace at start, so no value is ever on a command
// line, in a unit or plist, or in the engine's record of the container (`docker inspect`).
// `agent run` sets them itself (agent.ts deploymentEnv). Small on purpose: no schema,
// loaded only by a container's proxy.
import { readFileSync } from "node:fs";
import { manifestPath } from "../paths.ts";

import type { Env } from "../host/env.ts";

/** Set by the container's own command line: where it is and which deployment it serves. */
const CONTAINER_FIXED = new Set([
  "HOME",
  "HEADROOM_WORKSPACE_DIR",
  "HEADROOM_CONFIG_DIR",
  "HEADROOM_PORT",
  "HEADROOM_DEPLOYMENT_PROFILE",
  "HEADROOM_DEPLOYMENT_PRESET",
  "HEADROOM_DEPLOYMENT_RUNTIME",
  "HEADROOM_DEPLOYMENT_SUPERVISOR",
  "HEADROOM_DEPLOYMENT_SCOPE",
]);

/** The --env values of the deployment `env` names (HEADROOM_DEPLOYMENT_PROFILE), or {} when there is no readable manifest. */
export function manifestEnvValues(env: Env): Record<string, string> {
  const profile = env.HEADROOM_DEPLOYMENT_PROFILE;
  if (!profile || !/^[A-Za-z0-9._-]+$/.test(profile) || profile === "." || profile === "..") return {};
  try {
    const doc = JSON.parse(readFileSync(manifestPath(profile, env), "utf8")) as { env?: unknown };
    if (!doc.env || typeof doc.env !== "object") return {};
    return Object.fromEntries(Object.entries(doc.env as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

/** In a deployment's container: the manifest's --env values into `env` (the container's own variables win). */
export function loadContainerEnv(env: Env = process.env): number {
  if (env.HEADROOM_DEPLOYMENT_RUNTIME !== "docker") return 0;
  let n = 0;
  for (const [k, v] of Object.entries(manifestEnvValues(env))) {
    if (CONTAINER_FIXED.has(k)) continue;
    env[k] = v;
    n++;
  }
  return n;
}
