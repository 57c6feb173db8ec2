// The team-gateway topology on loopback, from real parts: a Debian redis-server, a Debian
// haproxy, and compiled `headroom proxy` replicas (dist/headroom) sharing the Redis. Every
// process started here is killed when the test process exits.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { binPath } from "./bin.ts";
import { freePort } from "./free-port.ts";

export { freePort };

const children = new Set<Subprocess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function track(proc: Subprocess): Subprocess {
  children.add(proc);
  proc.exited.then(() => children.delete(proc));
  return proc;
}

/** null when every binary is installed, else the reason to skip. In CI (CI=true) a missing one is a failure. */
export function teamSkipReason(binaries: string[]): string | null {
  const missing = binaries.filter((b) => !Bun.which(b) && !Bun.which(b, { PATH: "/usr/sbin:/usr/bin:/sbin" }));
  const reason = missing.length ? `${missing.join(" and ")} not installed (apt-get install -y ${missing.join(" ")})` : null;
  if (reason && process.env.CI === "true") throw new Error(`CI must run the team-gateway tests: ${reason}`);
  if (reason) console.warn(`skipping team-gateway tests: ${reason}`);
  return reason;
}

const which = (b: string) => Bun.which(b) ?? Bun.which(b, { PATH: "/usr/sbin:/usr/bin:/sbin" }) ?? b;


async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

async function tcpOpen(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

export interface Redis {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, waits for the exit); its data is gone (no persistence). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Sends a command with redis-cli-free RESP over a fresh connection (test inspection). */
  command(...args: string[]): Promise<unknown>;
}

export async function startRedis(): Promise<Redis> {
  const port = freePort();
  let proc: Subprocess | undefined;
  const redis: Redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = track(
        Bun.spawn([which("redis-server"), "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], {
          stdout: "ignore",
          stderr: "ignore",
        }),
      );
      await waitFor(() => tcpOpen(port), `redis-server on port ${port}`);
    },
    async stop() {
      if (!proc) return;
      proc.kill("SIGTERM");
      await proc.exited;
      proc = undefined;
    },
    async command(...args) {
      const { RedisClient } = await import("bun");
      const client = new RedisClient(redis.url, { autoReconnect: false });
      try {
        return await client.send(args[0]!, args.slice(1));
      } finally {
        client.close();
      }
    },
  };
  await redis.start();
  return redis;
}

export interface Replica {
  name: string;
  port: number;
  url: string;
  proc: Subprocess;
  logPath: string;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const dirs: string[] = [];
process.on("exit", () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A compiled `headroom proxy` on a free loopback port; `env` adds HEADROOM_* settings (HEADROOM_REDIS_URL...). */
export async function startReplica(name: string, upstreamUrl: string, env: Record<string, string> = {}, args: string[] = []): Promise<Replica> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), `headroom-${name}-`));
  dirs.push(dir);
  const logPath = join(dir, "proxy.log");
  const out = openSync(logPath, "a");
  const proc = track(
    Bun.spawn([binPath, "proxy", "--port", String(port), "--anthropic-api-url", upstreamUrl, "--openai-api-url", upstreamUrl, ...args], {
      env: { ...process.env, HOME: dir, HEADROOM_WORKSPACE_DIR: dir, HEADROOM_TELEMETRY: "0", ...env } as Record<string, string>,
      stdin: "ignore",
      stdout: out,
      stderr: out,
    }),
  );
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, `replica ${name} (${binPath})`, 15_000);
  return {
    name,
    port,
    url,
    proc,
    logPath,
    log: () => readFileSync(logPath, "utf8"),
    async kill(signal = "SIGTERM") {
      proc.kill(signal);
      await proc.exited;
    },
  };
}

export interface Balancer {
  port: number;
  url: string;
  /** haproxy's log: one line per request, with the server and the termination state. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * haproxy in front of the replicas: round robin, a /readyz health check every 100 ms, and
 * a request whose connection to a replica fails is sent to another (retry-on conn-failure
 * with option redispatch). A request a replica already accepted is not resent (a POST to a
 * model is not idempotent): if that replica dies, the client gets haproxy's 502.
 * Each response says which replica served it (x-served-by).
 */
export async function startBalancer(replicas: { name: string; port: number }[]): Promise<Balancer> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "headroom-haproxy-"));
  dirs.push(dir);
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(
    cfg,
    [
      "global",
      "  maxconn 2048",
      "  log stdout format raw local0",
      "defaults",
      "  mode http",
      "  log global",
      "  option httplog",
      "  timeout connect 1s",
      "  timeout client 30s",
      "  timeout server 30s",
      "  retries 3",
      "  option redispatch 1",
      "  retry-on conn-failure",
      "frontend gateway",
      `  bind 127.0.0.1:${port}`,
      "  default_backend replicas",
      "backend replicas",
      "  balance roundrobin",
      "  option httpchk GET /readyz",
      "  http-after-response set-header x-served-by %s",
      ...replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check inter 100ms fall 1 rise 1`),
      "",
    ].join("\n"),
  );
  const check = Bun.spawnSync([which("haproxy"), "-c", "-f", cfg], { stdout: "pipe", stderr: "pipe" });
  if (check.exitCode !== 0) throw new Error(`haproxy rejected its configuration: ${check.stderr.toString()}${check.stdout.toString()}`);
  const logPath = join(dir, "haproxy.log");
  const out = openSync(logPath, "a");
  const proc = track(Bun.spawn([which("haproxy"), "-f", cfg, "-db"], { stdin: "ignore", stdout: out, stderr: out }));
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, "haproxy");
  return {
    port,
    url,
    log: () => readFileSync(logPath, "utf8"),
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
