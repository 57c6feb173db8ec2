// Reading the engine's answers: `docker inspect` of a deployment's container into the
// supervisor status, and docker's error text into one sentence. Pure.
import type { SupervisorStatus } from "./types.ts";

interface InspectState {
  Status?: string;
  Running?: boolean;
  Restarting?: boolean;
  Pid?: number;
  ExitCode?: number;
  StartedAt?: string;
  Health?: { Status?: string; FailingStreak?: number };
}

export interface ContainerInfo {
  id: string;
  status: string;
  running: boolean;
  pid?: number;
  restarts: number;
  health?: string;
  restartPolicy?: string;
  image?: string;
  startedAt?: string;
  exitCode?: number;
  /** Published ports: "8787/tcp" -> ["127.0.0.1:8787"]. */
  ports: Record<string, string[]>;
}

/** Parses the JSON array `docker inspect <name>` prints. Returns null for anything unexpected. */
export function parseInspect(stdout: string): ContainerInfo | null {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    return null;
  }
  const c = Array.isArray(data) ? (data[0] as Record<string, any> | undefined) : undefined;
  if (!c || typeof c !== "object") return null;
  const s: InspectState = c.State ?? {};
  const ports: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((c.HostConfig?.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>)) {
    ports[k] = (v ?? []).map((b) => `${b.HostIp || "0.0.0.0"}:${b.HostPort ?? ""}`);
  }
  return {
    id: String(c.Id ?? ""),
    status: s.Status ?? "unknown",
    running: s.Running === true,
    pid: s.Pid ? s.Pid : undefined,
    restarts: typeof c.RestartCount === "number" ? c.RestartCount : 0,
    health: s.Health?.Status,
    restartPolicy: c.HostConfig?.RestartPolicy?.Name,
    image: c.Config?.Image,
    startedAt: s.StartedAt,
    exitCode: s.ExitCode,
    ports,
  };
}

export function statusFromInspect(name: string, info: ContainerInfo | null): SupervisorStatus {
  if (!info) {
    return { kind: "docker", installed: false, state: "missing", running: false, problems: [`The container ${name} does not exist; \`headroom install start\` or \`apply\` creates it again.`] };
  }
  const problems: string[] = [];
  const state = info.health && info.running ? `${info.status} (${info.health})` : info.status;
  // The engine's own back-off (unless-stopped): 100 ms doubling to 1 minute, reset after 10 s up; it never stops retrying.
  if (info.status === "restarting") problems.push(`The container ${name} is crash-looping: restarted ${info.restarts} times; the engine retries with a delay that doubles up to 1 minute, and never gives up; see \`docker logs ${name}\` for why. Once the cause is fixed it comes back by itself; \`headroom install restart${name.startsWith("headroom-") ? ` --profile ${name.slice("headroom-".length)}` : ""}\` retries now.`);
  else if (!info.running) problems.push(`The container ${name} is ${info.status}${info.exitCode ? ` (exit code ${info.exitCode})` : ""}.`);
  else if (info.health === "unhealthy") problems.push(`The container ${name} is running but its healthcheck fails; see \`docker logs ${name}\`.`);
  if (info.restartPolicy && info.restartPolicy !== "unless-stopped") problems.push(`The container ${name} has restart policy "${info.restartPolicy}", not unless-stopped.`);
  return {
    kind: "docker",
    installed: true,
    state,
    running: info.running,
    pid: info.running ? info.pid : undefined,
    restarts: info.restarts,
    problems,
    details: { container: name, id: info.id.slice(0, 12), health: info.health, restartPolicy: info.restartPolicy, image: info.image, ports: info.ports, startedAt: info.startedAt },
  };
}

/** docker's error output as one phrase: its first meaningful line without the daemon prefix. */
export function dockerErrorText(stderr: string, stdout = ""): string {
  const line = (stderr.trim() || stdout.trim()).split("\n").map((l) => l.trim()).find((l) => l && !/^(DEPRECATED|WARNING|Run 'docker|See ')/.test(l)) ?? "";
  return line.replace(/^docker:\s*/, "").replace(/^Error response from daemon:\s*/i, "").replace(/^Error:\s*/i, "").replace(/\.$/, "") || "no output";
}

export const isNoSuchContainer = (text: string) => /no such (container|object)/i.test(text);
