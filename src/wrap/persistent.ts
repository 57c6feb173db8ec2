// Step 1 of finding a proxy: a persistent deployment whose manifest has this port. It is
// reused when its /health names it, and recovered through its own supervisor when it is
// installed but stopped, unhealthy, or hung (the port open, nothing answering HTTP: a
// running but hung runtime is restarted). Another HTTP server on the port is an error. The install modules are imported only when a
// deploy folder exists, so a plain wrap never loads them.
import { existsSync } from "node:fs";
import { HeadroomError } from "../errors.ts";
import { waitFor } from "../host/net.ts";
import { deployRoot } from "../paths.ts";
import type { Manifest } from "../install/manifest.ts";
import { type HeadroomHealth, type PortProbe, probePort } from "../host/port-probe.ts";

type Env = Record<string, string | undefined>;

/** What answers on a wrap's port (loopback; a slow proxy gets 1.5 s). */
export function probeWrapPort(port: number, timeoutMs = 1500): Promise<PortProbe> {
  return probePort(port, "127.0.0.1", timeoutMs);
}

export interface PersistentMatch {
  manifest: Manifest;
  health: HeadroomHealth;
  /** True when wrap had to start it. */
  recovered: boolean;
}

/** The deployments configured for this port, `default` first, then by name. */
export async function deploymentsForPort(port: number, env: Env): Promise<Manifest[]> {
  if (!existsSync(deployRoot(env))) return [];
  const { listManifests } = await import("../install/store.ts");
  return listManifests(env)
    .filter((m) => m.port === port)
    .sort((a, b) => (a.profile === "default" ? -1 : b.profile === "default" ? 1 : a.profile.localeCompare(b.profile)));
}

function servingProfile(state: PortProbe, candidates: Manifest[]): Manifest | null {
  if (state.kind !== "headroom" || !state.ready) return null;
  return candidates.find((m) => m.profile === state.profile) ?? null;
}

/**
 * The persistent deployment serving `port`, recovering it first when needed; null when
 * no deployment has this port or the port is held by another headroom proxy (step 2
 * then decides).
 */
export async function usePersistentDeployment(
  port: number,
  env: Env,
  log: (msg: string) => void,
  recoverTimeoutMs = 90_000,
): Promise<PersistentMatch | null> {
  const candidates = await deploymentsForPort(port, env);
  if (candidates.length === 0) return null;
  const state = await probeWrapPort(port);
  const serving = servingProfile(state, candidates);
  if (serving && state.health) {
    log(`using the persistent deployment "${serving.profile}" on port ${port}`);
    return { manifest: serving, health: state.health, recovered: false };
  }
  const target = candidates[0]!;
  if (state.kind === "http") {
    throw new HeadroomError(
      `Port ${port} belongs to the headroom deployment "${target.profile}", but ${state.detail}.`,
      `Stop whatever holds port ${port}, or wrap with --port to use another port.`,
    );
  }
  if (state.kind === "headroom" && state.profile !== target.profile) {
    // Another headroom proxy (a session proxy, or a manual `headroom proxy`) holds the port.
    log(`the deployment "${target.profile}" is configured for port ${port}, but another headroom proxy is serving it`);
    return null;
  }
  if (state.kind === "headroom") {
    // The deployment's own process answers but is not ready: most likely its supervisor
    // just (re)started it. Give it a moment before acting.
    const settled = await waitFor(async () => {
      const s = await probeWrapPort(port, 1000);
      return servingProfile(s, [target]) ? s.health : null;
    }, 10_000, 50);
    if (settled) {
      log(`using the persistent deployment "${target.profile}" on port ${port}`);
      return { manifest: target, health: settled, recovered: false };
    }
  }
  const hung = state.kind === "silent";
  log(hung
    ? `port ${port} is open but does not answer HTTP: the persistent deployment "${target.profile}" looks hung; recovering it through its ${target.supervisor} supervisor`
    : `the persistent deployment "${target.profile}" is not healthy; recovering it through its ${target.supervisor} supervisor`);
  const { recoverDeployment } = await import("../install/deploy.ts");
  try {
    await recoverDeployment(target, env);
  } catch (err) {
    throw new HeadroomError(
      `The headroom deployment "${target.profile}" on port ${port} is installed but ${hung ? "does not answer" : "not running"}, and recovering it failed: ${(err as Error).message.replace(/\.$/, "")}.`,
      `Check it with \`headroom install status --profile ${target.profile}\`, or wrap with --port to use another port.`,
    );
  }
  const health = await waitFor(async () => {
    const s = await probeWrapPort(port, 1000);
    return servingProfile(s, [target]) ? s.health : null;
  }, recoverTimeoutMs, 50);
  if (!health) {
    throw new HeadroomError(
      `The headroom deployment "${target.profile}" was restarted but did not become healthy on port ${port}.`,
      `Check it with \`headroom install status --profile ${target.profile}\`.`,
    );
  }
  log(`recovered the persistent deployment "${target.profile}" on port ${port}`);
  return { manifest: target, health, recovered: true };
}
