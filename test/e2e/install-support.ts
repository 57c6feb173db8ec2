// Shared pieces of the install end-to-end tests: free ports, running the binary against
// an isolated HOME, reading /health, and finding runtime processes by profile.
import { readdirSync, readFileSync } from "node:fs";
import { binPath } from "../support/bin.ts";

export { binPath };

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function hr(args: string[], env: Record<string, string | undefined>, timeoutMs = 90_000): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const p = Bun.spawn([binPath, ...args], { env: clean, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

export interface Health {
  pid: number;
  deployment?: { profile?: string; preset?: string; runtime?: string; supervisor?: string; scope?: string };
}

export async function health(port: number): Promise<Health | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return r.ok ? ((await r.json()) as Health) : null;
  } catch {
    return null;
  }
}

export async function until<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, stepMs = 50): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) return null;
    await Bun.sleep(stepMs);
  }
}

/** Healthy for `profile` on `port`, optionally with a pid other than `notPid`. */
export function healthyAs(port: number, profile: string, notPid?: number): Promise<Health | null> {
  return until(async () => {
    const h = await health(port);
    return h?.deployment?.profile === profile && h.pid !== notPid ? h : null;
  });
}

/** pids of `headroom install agent run --profile <profile>` processes whose workspace is `workspace`. */
export function runtimePids(profile: string, workspace: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      const i = argv.indexOf("agent");
      if (i < 0 || argv[i + 1] !== "run" || argv[i + 3] !== profile) continue;
      const environ = readFileSync(`/proc/${d}/environ`, "utf8").split("\0");
      if (environ.includes(`HEADROOM_WORKSPACE_DIR=${workspace}`)) out.push(Number(d));
    } catch {}
  }
  return out;
}

export function killAll(pids: number[]): void {
  for (const p of pids) {
    try { process.kill(p, "SIGKILL"); } catch {}
  }
}

/** A one-line, stack-free error on stderr. */
export function isOneSentence(stderr: string): boolean {
  return stderr.trim().length > 0 && !/\n\s+at\s/.test(stderr) && !/unexpected error/i.test(stderr);
}
