// Finding a proxy for a wrapped session, in order (SPEC 5):
//   1. a persistent deployment on this port: reused, or recovered through its supervisor;
//   2. a healthy headroom proxy already on the port: reused; anything else there: an error;
//   3. otherwise a session proxy, started under the per-port start lock so that two wraps
//      at once start one.
// Each wrap registers as a client of the port; on release the last live client stops a
// session proxy that a wrap started. Reused and persistent proxies are never stopped.
import { HeadroomError } from "../errors.ts";
import { acquireLock } from "../host/fs.ts";
import { waitFor } from "../host/net.ts";
import type { ToolName } from "../tools/registry.ts";
import {
  type ProxySource, clearEphemeralProxy, liveClients, readEphemeralProxy, registerClient, startLockPath,
  unregisterClient, writeEphemeralProxy,
} from "./clients.ts";
import { startEphemeralProxy, stopProcess, proxyLogPath } from "./ephemeral.ts";
import type { PortProbe } from "../host/port-probe.ts";
import { checkClaimedDeployment, probeWrapPort, usePersistentDeployment } from "./persistent.ts";
import { identify, isSameProcessAlive } from "./process-identity.ts";

import type { Env } from "../host/env.ts";

export interface ProxyLease {
  port: number;
  source: ProxySource;
  /** The deployment profile, for a persistent proxy. */
  profile?: string;
  /** The proxy's pid as its /health reports it. */
  pid?: number;
  release(): Promise<void>;
}

export interface LeaseOptions {
  port: number;
  tool: ToolName;
  env: Env;
  log: (msg: string) => void;
}

const LOCK_WAIT_MS = 90_000;

function lockTimeout(port: number): HeadroomError {
  return new HeadroomError(
    `Another headroom wrap has been starting the proxy on port ${port} for too long.`,
    "Try again, or wrap with --port to use another port.",
  );
}

function foreignError(port: number, detail: string): HeadroomError {
  return new HeadroomError(
    `Port ${port} is taken by something that is not a headroom proxy: ${detail}.`,
    `Stop it, or wrap with --port to use another port (for example --port ${port === 65535 ? port - 1 : port + 1}).`,
  );
}

export async function acquireProxy(opts: LeaseOptions): Promise<ProxyLease> {
  const { port, tool, env, log } = opts;

  const persistent = await usePersistentDeployment(port, env, log);
  if (persistent) {
    registerClient(port, tool, "persistent", env);
    return {
      port,
      source: "persistent",
      profile: persistent.manifest.profile,
      pid: persistent.health.pid,
      release: async () => unregisterClient(port, process.pid, env),
    };
  }

  const lock = await acquireLock(startLockPath(port, env), LOCK_WAIT_MS);
  if (!lock) throw lockTimeout(port);
  let source: ProxySource;
  let pid: number | undefined;
  try {
    let state: PortProbe = await probeWrapPort(port);
    if (state.kind === "headroom" && !state.ready) {
      // Starting up or draining: give it a moment to settle.
      state = (await waitFor(async () => {
        const s = await probeWrapPort(port);
        return s.kind !== "headroom" || s.ready ? s : null;
      }, 15_000, 50)) ?? state;
    }
    const recorded = readEphemeralProxy(port, env);
    if (recorded && !isSameProcessAlive(recorded)) clearEphemeralProxy(port, env);
    if (state.kind === "http" || state.kind === "silent") throw foreignError(port, state.detail);
    if (state.kind === "headroom") {
      await checkClaimedDeployment(port, state, env);
      if (!state.ready) {
        throw new HeadroomError(`The headroom proxy on port ${port} is not ready.`, "Wait for it, or wrap with --port to use another port.");
      }
      pid = state.pid;
      const ours = recorded && recorded.pid === pid && isSameProcessAlive(recorded);
      source = ours ? "ephemeral" : "reused";
      log(ours
        ? `sharing the session proxy on port ${port} (pid ${pid})`
        : `reusing the headroom proxy already on port ${port}${pid ? ` (pid ${pid})` : ""}`);
    } else {
      log(`starting a session proxy on port ${port} (log: ${proxyLogPath(env)})`);
      const proxy = await startEphemeralProxy(port, env);
      writeEphemeralProxy({ ...proxy, port, startedBy: identify(process.pid), startedAt: new Date().toISOString() }, env);
      source = "ephemeral";
      pid = proxy.pid;
    }
    registerClient(port, tool, source, env);
  } finally {
    lock.release();
  }

  return {
    port,
    source,
    pid,
    release: () => releaseClient(port, env, log),
  };
}

/** Unregisters this wrap; the last live client stops a session proxy that a wrap started. */
async function releaseClient(port: number, env: Env, log: (msg: string) => void): Promise<void> {
  const lock = await acquireLock(startLockPath(port, env), LOCK_WAIT_MS);
  try {
    unregisterClient(port, process.pid, env);
    if (!lock) return; // someone else is busy with the port; leave the proxy to them
    if (liveClients(port, env).length > 0) return;
    const recorded = readEphemeralProxy(port, env);
    if (!recorded) return;
    if (isSameProcessAlive(recorded)) {
      log(`stopping the session proxy on port ${port} (pid ${recorded.pid})`);
      await stopProcess(recorded);
    }
    clearEphemeralProxy(port, env);
  } finally {
    lock?.release();
  }
}
