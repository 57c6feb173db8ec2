// Shared helpers for the proxy benchmarks: the binary under test, free ports, child
// processes that are always cleaned up, readiness, percentiles and RSS.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";

export const BIN = process.env.HEADROOM_BIN ?? process.env.HEADROOM_TEST_BIN ?? resolve(import.meta.dir, "../../dist/headroom");

export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

const children = new Set<Subprocess>();

export function spawnChild(argv: string[], env: Record<string, string | undefined> = {}): Subprocess {
  const proc = Bun.spawn(argv, { env: { ...process.env, ...env } as Record<string, string>, stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  children.add(proc);
  proc.exited.then(() => children.delete(proc));
  return proc;
}

export function killChildren(): void {
  for (const c of children) c.kill("SIGKILL");
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });
}
process.on("exit", killChildren);

export async function waitReady(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export const fmt = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/** CPU time (user + system) a process has used, in ms (Linux /proc, 100 ticks per second). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
