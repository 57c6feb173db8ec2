// What answers on a local port: nothing, a headroom proxy (with its /health), or
// something else.
import { isPortOpen, localUrl } from "../host/net.ts";

export interface HeadroomHealth {
  status?: string;
  version?: string;
  pid?: number;
  service?: string;
  deployment?: { profile?: string; preset?: string; runtime?: string; supervisor?: string; scope?: string };
  [key: string]: unknown;
}

export type PortState =
  | { kind: "free" }
  | { kind: "headroom"; health: HeadroomHealth; ready: boolean }
  | { kind: "foreign"; detail: string };

async function get(url: string, timeoutMs: number): Promise<{ status: number; body: unknown; server: string | null } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body, server: res.headers.get("server") };
  } catch {
    return null;
  }
}

/** A /health body that headroom's proxy would send (status, version and pid at least). */
export function isHeadroomHealth(body: unknown): body is HeadroomHealth {
  if (!body || typeof body !== "object" || Array.isArray(body)) return false;
  const b = body as HeadroomHealth;
  if (b.service !== undefined) return b.service === "headroom";
  return typeof b.status === "string" && typeof b.version === "string" && typeof b.pid === "number";
}

/** Probes /health and /readyz together; classifies whatever holds the port. */
export async function probePort(port: number, timeoutMs = 1500): Promise<PortState> {
  const [health, ready] = await Promise.all([
    get(localUrl(port, "/health"), timeoutMs),
    get(localUrl(port, "/readyz"), timeoutMs),
  ]);
  if (health && isHeadroomHealth(health.body)) {
    const readyBody = ready?.body as { ready?: boolean } | null | undefined;
    return { kind: "headroom", health: health.body, ready: !!ready && ready.status === 200 && readyBody?.ready !== false };
  }
  if (health) {
    const server = health.server ? ` (server: ${health.server})` : "";
    return { kind: "foreign", detail: `an HTTP server that is not headroom answers${server}, /health gave HTTP ${health.status}` };
  }
  if (await isPortOpen(port, "127.0.0.1", timeoutMs)) {
    return { kind: "foreign", detail: "a process that does not speak HTTP holds it" };
  }
  return { kind: "free" };
}
