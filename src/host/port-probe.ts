// What answers on a local port: nothing, a headroom proxy (its /health, deployment block
// and pid, and whether /readyz says ready), another HTTP server, or a process that accepts
// connections but does not answer HTTP (for instance a stopped, hung proxy). One probe
// for install (is the deployment serving, who holds its port) and wrap (reuse, recover or
// refuse).
import { getJsonAnswer, isPortOpen, localUrl } from "./net.ts";

export interface HeadroomHealth {
  status?: string;
  version?: string;
  pid?: number;
  service?: string;
  deployment?: { profile?: string; preset?: string; runtime?: string; supervisor?: string; scope?: string };
  [key: string]: unknown;
}

/** free: nothing listens; headroom: a headroom proxy; http: another HTTP server; silent: open, no HTTP answer. */
export type PortHolder = "free" | "headroom" | "http" | "silent";

export interface PortProbe {
  kind: PortHolder;
  /** Something accepts TCP connections on the port. */
  open: boolean;
  /** /readyz answered 200 with ready:true. */
  ready: boolean;
  /** /health is a headroom proxy's (kind "headroom"). */
  headroom: boolean;
  /** The headroom /health body, when kind is "headroom". */
  health?: HeadroomHealth;
  /** /health deployment.profile, when present. */
  profile?: string;
  pid?: number;
  version?: string;
  /** /health's HTTP status and Server header, when /health answered at all. */
  httpStatus?: number;
  server?: string;
  /** A short phrase for what holds the port ("another HTTP server"), for messages. */
  description: string;
  /** The same with its evidence, for messages about a port that is not headroom's. */
  detail: string;
}

/** A /health body that headroom's proxy would send (status, version and pid at least). */
export function isHeadroomHealth(body: unknown): body is HeadroomHealth {
  if (!body || typeof body !== "object" || Array.isArray(body)) return false;
  const b = body as HeadroomHealth;
  if (b.service !== undefined) return b.service === "headroom";
  return typeof b.status === "string" && typeof b.version === "string" && typeof b.pid === "number";
}

/** Probes host:port's /health and /readyz together, then TCP when neither answers. Never throws. */
export async function probePort(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<PortProbe> {
  const [health, ready] = await Promise.all([
    getJsonAnswer<unknown>(localUrl(port, "/health", host), timeoutMs),
    getJsonAnswer<{ ready?: boolean } | null>(localUrl(port, "/readyz", host), timeoutMs),
  ]);
  const isReady = !!ready && ready.status === 200 && ready.body?.ready === true;
  if (health && isHeadroomHealth(health.body)) {
    const body = health.body;
    const profile = typeof body.deployment?.profile === "string" ? body.deployment.profile : undefined;
    const pid = typeof body.pid === "number" ? body.pid : undefined;
    const description = profile
      ? `the headroom deployment "${profile}"${pid ? ` (pid ${pid})` : ""}`
      : `a headroom proxy that is not part of a deployment${pid ? ` (pid ${pid})` : ""}`;
    return { kind: "headroom", open: true, ready: isReady, headroom: true, health: body, profile, pid, version: body.version, description, detail: description };
  }
  if (health || ready) {
    const httpStatus = health?.status ?? ready!.status;
    const server = health?.server ?? ready?.server ?? undefined;
    const detail = `an HTTP server that is not headroom answers${server ? ` (server: ${server})` : ""}, ${health ? "/health" : "/readyz"} gave HTTP ${httpStatus}`;
    return { kind: "http", open: true, ready: false, headroom: false, httpStatus, server, description: "another HTTP server", detail };
  }
  if (await isPortOpen(port, host, timeoutMs)) {
    return { kind: "silent", open: true, ready: false, headroom: false, description: "a process that does not answer HTTP", detail: "a process that does not speak HTTP holds it" };
  }
  return { kind: "free", open: false, ready: false, headroom: false, description: `nothing listens on port ${port}`, detail: `nothing listens on port ${port}` };
}
