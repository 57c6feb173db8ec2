// Says what holds a port when binding fails: a headroom proxy (from its /health), another
// HTTP server, or a named process found through /proc on Linux.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { getJson, localUrl } from "../host/net.ts";

function probeHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
}

/** Socket inodes listening on `port` (Linux /proc/net/tcp{,6}). */
function listeningInodes(port: number): Set<string> {
  const out = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== "0A") continue;
      const local = cols[1]!;
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) out.add(cols[9]!);
    }
  }
  return out;
}

/** The process that owns a listening socket on `port`, when this user can see it. */
export function findListeningProcess(port: number): { pid: number; name: string } | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  const targets = new Set([...inodes].map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (targets.has(link)) {
        let name = "unknown";
        try {
          name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        } catch {
          // keep unknown
        }
        return { pid: Number(pid), name };
      }
    }
  }
  return null;
}

/** A phrase for "held by ..." in the port-in-use message. */
export async function describePortHolder(host: string, port: number): Promise<string> {
  const res = await getJson<Record<string, unknown>>(localUrl(port, "/health", probeHost(host)), 800);
  const body = res?.body;
  if (body && typeof body === "object" && (body.service === "headroom" || (typeof body.version === "string" && typeof body.pid === "number" && typeof body.status === "string"))) {
    const dep = body.deployment as { profile?: unknown } | undefined;
    const parts = [typeof body.pid === "number" ? `pid ${body.pid}` : "", typeof dep?.profile === "string" ? `deployment "${dep.profile}"` : ""].filter(Boolean);
    return [`a headroom proxy`, ...parts].join(", ");
  }
  const proc = findListeningProcess(port);
  const who = proc ? `${proc.name}, pid ${proc.pid}` : "";
  if (res) return who ? `an HTTP server that is not headroom: ${who}` : "an HTTP server that is not headroom";
  return who || "another process";
}
