// The session proxy: this same executable running `proxy --port P`, detached in its own
// session with its output appended to logs/proxy.log, awaited on /readyz. Stopped with
// SIGTERM (the proxy drains and exits), SIGKILL if it does not go in time.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HeadroomError } from "../errors.ts";
import { ensureDir } from "../host/fs.ts";
import { localUrl } from "../host/net.ts";
import { logsDir } from "../paths.ts";
import { type ProcessIdentity, identify, isSameProcessAlive } from "./process-identity.ts";
import { selfCommand } from "./self.ts";

import type { Env } from "../host/env.ts";

export function proxyLogPath(env: Env = process.env): string {
  return join(logsDir(env), "proxy.log");
}

/** The environment for a session proxy: the caller's, minus anything that would make it look like a deployment. */
function proxyEnv(env: Env, port: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.startsWith("HEADROOM_DEPLOYMENT_")) continue;
    out[k] = v;
  }
  out.HEADROOM_PORT = String(port);
  return out;
}

function logTail(path: string, lines = 5): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(localUrl(port, "/readyz"), { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts a session proxy on 127.0.0.1:port and waits until it is ready. */
export async function startEphemeralProxy(port: number, env: Env = process.env, timeoutMs = 30_000): Promise<ProcessIdentity> {
  const logPath = proxyLogPath(env);
  ensureDir(logsDir(env));
  const fd = openSync(logPath, "a", 0o600);
  const [cmd, ...pre] = selfCommand();
  let child;
  try {
    child = spawn(cmd!, [...pre, "proxy", "--host", "127.0.0.1", "--port", String(port)], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: proxyEnv(env, port),
      cwd: logsDir(env),
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new HeadroomError(`Could not start a proxy on port ${port}; see ${logPath}.`);
  let exitCode: number | null = null;
  child.once("exit", (code, signal) => {
    exitCode = code ?? (signal ? 128 : 1);
  });
  child.unref();
  const identity = identify(pid);
  const deadline = Date.now() + timeoutMs;
  let interval = 5;
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      const tail = logTail(logPath);
      throw new HeadroomError(
        `The proxy for port ${port} exited during start-up (code ${exitCode}).`,
        tail ? `Last lines of ${logPath}:\n${tail}` : `See ${logPath}.`,
      );
    }
    if (await isReady(port)) return identity;
    await Bun.sleep(interval);
    interval = Math.min(interval * 2, 100);
  }
  await stopProcess(identity);
  throw new HeadroomError(`The proxy for port ${port} did not become ready within ${Math.round(timeoutMs / 1000)} s; see ${logPath}.`);
}

/** SIGTERM, wait (bounded), then SIGKILL. Does nothing when the recorded process is gone. */
export async function stopProcess(id: ProcessIdentity, graceMs = 10_000): Promise<void> {
  if (!isSameProcessAlive(id)) return;
  try {
    process.kill(id.pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isSameProcessAlive(id)) return;
    await Bun.sleep(20);
  }
  try {
    process.kill(id.pid, "SIGKILL");
  } catch {
    // gone
  }
}
