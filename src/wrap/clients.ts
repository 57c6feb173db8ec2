// Who is using the proxy on a port: $HEADROOM_WORKSPACE_DIR/clients/<port>/
//   <pid>.json    one per running wrap (pid + process start time, tool, how it got its proxy)
//   proxy.json    the ephemeral proxy a wrap started (pid + start time); absent otherwise
//   start.lock    serialises "find or start a proxy" and "last one out stops it"
import { readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clientsDir, workspaceDir } from "../paths.ts";
import { ensureDir, readIfExists, PRIVATE_FILE } from "../host/fs.ts";
import { type ProcessIdentity, identify, isSameProcessAlive } from "./process-identity.ts";
import type { ToolName } from "../tools/registry.ts";

import type { Env } from "../host/env.ts";

export type ProxySource = "persistent" | "reused" | "ephemeral" | "none";

export interface ClientRecord extends ProcessIdentity {
  tool: ToolName;
  port: number;
  proxy: ProxySource;
  since: string;
}

export interface EphemeralProxyRecord extends ProcessIdentity {
  port: number;
  /** The wrap that started it. */
  startedBy: ProcessIdentity;
  startedAt: string;
}

export function startLockPath(port: number, env: Env = process.env): string {
  return join(clientsDir(port, env), "start.lock");
}

function proxyRecordPath(port: number, env: Env): string {
  return join(clientsDir(port, env), "proxy.json");
}

function clientPath(port: number, pid: number, env: Env): string {
  return join(clientsDir(port, env), `${pid}.json`);
}

/**
 * Markers are liveness records, rebuilt by every wrap: they need to appear whole (temp
 * file + rename) but not to survive a power cut, so no fsync on the start-up path.
 */
function writeMarker(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value) + "\n", { mode: PRIVATE_FILE });
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | null {
  const raw = readIfExists(path);
  if (!raw) return null;
  try {
    return JSON.parse(raw.toString("utf8")) as T;
  } catch {
    return null;
  }
}

/** Records this process as a client of the proxy on `port`; returns the record. */
export function registerClient(port: number, tool: ToolName, proxy: ProxySource, env: Env = process.env): ClientRecord {
  ensureDir(clientsDir(port, env));
  const record: ClientRecord = { ...identify(process.pid), tool, port, proxy, since: new Date().toISOString() };
  writeMarker(clientPath(port, process.pid, env), record);
  return record;
}

export function unregisterClient(port: number, pid: number = process.pid, env: Env = process.env): void {
  rmSync(clientPath(port, pid, env), { force: true });
}

/** Every live client of the port; records of dead (or recycled) pids are removed on the way. */
export function liveClients(port: number, env: Env = process.env): ClientRecord[] {
  const dir = clientsDir(port, env);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: ClientRecord[] = [];
  for (const name of names) {
    if (!/^\d+\.json$/.test(name)) continue;
    const path = join(dir, name);
    const rec = readJson<ClientRecord>(path);
    if (rec && typeof rec.pid === "number" && isSameProcessAlive({ pid: rec.pid, startTime: rec.startTime ?? null })) {
      out.push(rec);
    } else {
      rmSync(path, { force: true });
    }
  }
  return out;
}

/** Live wraps of `tool` on any port, other than this process. */
export function otherLiveClientsOfTool(tool: ToolName, env: Env = process.env): ClientRecord[] {
  const root = join(workspaceDir(env), "clients");
  let ports: string[];
  try {
    ports = readdirSync(root);
  } catch {
    return [];
  }
  return ports
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => liveClients(Number(p), env))
    .filter((c) => c.tool === tool && c.pid !== process.pid);
}

export function readEphemeralProxy(port: number, env: Env = process.env): EphemeralProxyRecord | null {
  const rec = readJson<EphemeralProxyRecord>(proxyRecordPath(port, env));
  return rec && typeof rec.pid === "number" ? rec : null;
}

export function writeEphemeralProxy(record: EphemeralProxyRecord, env: Env = process.env): void {
  ensureDir(clientsDir(record.port, env));
  writeMarker(proxyRecordPath(record.port, env), record);
}

export function clearEphemeralProxy(port: number, env: Env = process.env): void {
  rmSync(proxyRecordPath(port, env), { force: true });
}
