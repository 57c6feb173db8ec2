// Step 1 of finding a proxy: a persistent deployment whose manifest has this port. It is
// reused when the process on the port proves it is that deployment (src/install/identity.ts:
// a copied /health or a relay proves nothing and is refused), and recovered through its
// own supervisor when it is installed but stopped, unhealthy, or hung (the port open,
// nothing answering HTTP: a running but hung runtime is restarted). Another HTTP server on
// the port is an error. The install modules are imported only when a deploy folder
// exists, so a plain wrap never loads them.
import { existsSync } from "node:fs";
import { HeadroomError } from "../errors.ts";
import { waitFor } from "../host/net.ts";
import { deployRoot } from "../paths.ts";
import type { Manifest } from "../install/manifest.ts";
import { type HeadroomHealth, type PortProbe, probePort } from "../host/port-probe.ts";

import type { Env } from "../host/env.ts";

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

/** The health of `target` when it answers ready on the port AND proves it is that deployment. */
async function provenServing(port: number, target: Manifest, timeoutMs = 1000): Promise<HeadroomHealth | null> {
  const s = await probeWrapPort(port, timeoutMs);
  if (s.kind !== "headroom" || !s.ready || s.profile !== target.profile) return null;
  const { proveIdentity } = await import("../install/identity.ts");
  const proof = await proveIdentity(target, { probe: s, timeoutMs });
  return proof.proven && s.health ? { ...s.health, pid: proof.pid } : null;
}

/**
 * Step 2's check before reusing a headroom proxy that says it is a deployment: when that
 * profile is one of ours (configured for another port), it must prove it, bound to this
 * port; a relay or a copy of its /health is refused.
 */
export async function checkClaimedDeployment(port: number, state: PortProbe, env: Env): Promise<void> {
  if (state.kind !== "headroom" || !state.profile || !existsSync(deployRoot(env))) return;
  const { tryLoadManifest } = await import("../install/store.ts");
  let m: Manifest | null = null;
  try {
    m = tryLoadManifest(state.profile, env);
  } catch {
    m = null;
  }
  if (!m) return;
  const { heldBy, proveIdentity } = await import("../install/identity.ts");
  const proof = await proveIdentity({ ...m, port }, { probe: state, timeoutMs: 1500 });
  if (!proof.proven) {
    throw new HeadroomError(
      `Port ${port} is held by ${heldBy(proof, m)}, so nothing was started and no tool was pointed at it.`,
      `Stop whatever holds port ${port}, or wrap with --port to use another port.`,
    );
  }
}

function impostor(port: number, target: Manifest, what: string): HeadroomError {
  return new HeadroomError(
    `Port ${port} belongs to the headroom deployment "${target.profile}", but it is held by ${what}, so nothing was started and no tool was pointed at it.`,
    `Stop whatever holds port ${port} (if it is "${target.profile}" started by an older headroom, \`headroom install restart --profile ${target.profile}\`), or wrap with --port to use another port.`,
  );
}

/**
 * The persistent deployment serving `port`, recovering it first when needed; null when
 * no deployment has this port or the port is held by a headroom proxy that is not part
 * of a deployment (step 2 then decides). A process that claims to be a deployment but
 * cannot prove it (a copied /health, a relay) is refused.
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
  const target = candidates.find((m) => m.profile === state.profile) ?? candidates[0]!;
  if (state.kind === "http") {
    throw new HeadroomError(
      `Port ${port} belongs to the headroom deployment "${target.profile}", but ${state.detail}.`,
      `Stop whatever holds port ${port}, or wrap with --port to use another port.`,
    );
  }
  if (state.kind === "headroom" && state.profile !== undefined) {
    const { heldBy, proveIdentity } = await import("../install/identity.ts");
    const proof = await proveIdentity(target, { probe: state, timeoutMs: 1500 });
    if (!proof.proven) throw impostor(port, target, heldBy(proof, target));
    if (state.ready && state.health) {
      log(`using the persistent deployment "${target.profile}" on port ${port}`);
      return { manifest: target, health: { ...state.health, pid: proof.pid }, recovered: false };
    }
    // Its own process answers but is not ready: most likely its supervisor just
    // (re)started it. Give it a moment before acting.
    const settled = await waitFor(() => provenServing(port, target), 10_000, 50);
    if (settled) {
      log(`using the persistent deployment "${target.profile}" on port ${port}`);
      return { manifest: target, health: settled, recovered: false };
    }
  } else if (state.kind === "headroom") {
    // Another headroom proxy (a session proxy, or a manual `headroom proxy`) holds the port.
    log(`the deployment "${target.profile}" is configured for port ${port}, but another headroom proxy is serving it`);
    return null;
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
  const health = await waitFor(() => provenServing(port, target), recoverTimeoutMs, 50);
  if (!health) {
    throw new HeadroomError(
      `The headroom deployment "${target.profile}" was restarted but did not become healthy on port ${port}.`,
      `Check it with \`headroom install status --profile ${target.profile}\`.`,
    );
  }
  log(`recovered the persistent deployment "${target.profile}" on port ${port}`);
  return { manifest: target, health, recovered: true };
}
