// `headroom proxy` as users run it: the compiled executable on real sockets. Proves the
// flags and HEADROOM_* variables, the deployment block, the token guard for callers from
// another address, the exposed-bind warning, a clean drain on SIGTERM with a request in
// flight, and the one-line error for a taken port.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { binPath, runBin } from "../support/bin.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";
import { freePort } from "../support/free-port.ts";

let stub: UpstreamStub;
let home: string;
const running = new Set<Subprocess>();


function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("HEADROOM_")) env[k] = v;
  return { ...env, HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), ...extra };
}

interface Spawned {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  output: () => Promise<string>;
}

async function spawnProxy(args: string[], env: Record<string, string> = {}, port = freePort(), host = "127.0.0.1"): Promise<Spawned> {
  const proc = Bun.spawn([binPath, "proxy", "--port", String(port), ...args], {
    env: baseEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(proc);
  const out = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then(([a, b]) => a + b);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${host}:${port}/readyz`, { signal: AbortSignal.timeout(500) });
      if (res.ok) break;
    } catch {
      // not yet
    }
    if (proc.exitCode !== null) throw new Error(`proxy exited early: ${await out}`);
    if (Date.now() > deadline) throw new Error("proxy did not become ready");
    await Bun.sleep(25);
  }
  return { proc, port, output: () => out };
}

async function stopProxy(s: Spawned, signal: "SIGTERM" | "SIGINT" = "SIGTERM"): Promise<number> {
  s.proc.kill(signal);
  const code = await s.proc.exited;
  running.delete(s.proc);
  return code;
}

function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

beforeAll(async () => {
  if (!existsSync(binPath)) throw new Error(`the compiled binary is missing at ${binPath}; run bun scripts/build.ts first`);
  home = mkdtempSync(join(tmpdir(), "headroom-proxy-bin-"));
  stub = await startUpstreamStub();
}, 30_000);

afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await stub?.stop();
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("headroom proxy (compiled)", () => {
  test("SIGTERM with a request in flight: the request completes, readyz stops answering ready, exit 0", async () => {
    const s = await spawnProxy(["--anthropic-api-url", stub.url, "--no-optimize"]);
    stub.reset();
    stub.setBehavior({ text: "finished after the signal", stream: true, chunkDelayMs: 300 });
    const res = await fetch(`http://127.0.0.1:${s.port}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true }),
    });
    expect(res.status).toBe(200);
    s.proc.kill("SIGTERM");
    await Bun.sleep(100);
    // New connections are no longer accepted, or see 503 while draining.
    const probe = await fetch(`http://127.0.0.1:${s.port}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => "refused");
    expect(probe === 503 || probe === "refused").toBe(true);
    const text = await res.text();
    expect(text).toContain("message_stop");
    expect(await s.proc.exited).toBe(0);
    running.delete(s.proc);
    const out = await s.output();
    expect(out).toContain("draining");
    stub.setBehavior(null);
  });

  test("a port held by another server: one line naming the port and the holder, exit 1", async () => {
    const other = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("not headroom") });
    try {
      const r = await runBin(["proxy", "--port", String(other.port)], { env: baseEnv(), timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines.length).toBe(1);
      expect(lines[0]).toContain(`Port ${other.port} is already in use`);
      expect(lines[0]).toContain("not headroom");
      expect(r.stderr).not.toContain("    at ");
    } finally {
      other.stop(true);
    }
  });

  test("a port held by a headroom proxy says so, with its pid", async () => {
    const s = await spawnProxy([]);
    try {
      const r = await runBin(["proxy", "--port", String(s.port)], { env: baseEnv(), timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n").length).toBe(1);
      expect(r.stderr).toContain(`held by a headroom proxy, pid ${s.proc.pid}`);
    } finally {
      expect(await stopProxy(s)).toBe(0);
    }
  });

  test("/health carries the deployment block from HEADROOM_DEPLOYMENT_* and the config block for loopback", async () => {
    const s = await spawnProxy(["--mode", "cache", "--backend", "anthropic", "--openai-api-url", "http://127.0.0.1:9/v1/"], {
      HEADROOM_DEPLOYMENT_PROFILE: "work",
      HEADROOM_DEPLOYMENT_PRESET: "persistent-service",
      HEADROOM_DEPLOYMENT_RUNTIME: "native",
      HEADROOM_DEPLOYMENT_SUPERVISOR: "service",
      HEADROOM_DEPLOYMENT_SCOPE: "user",
    });
    try {
      const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as Record<string, any>;
      expect(health.deployment).toEqual({ profile: "work", preset: "persistent-service", runtime: "native", supervisor: "service", scope: "user" });
      expect(health.pid).toBe(s.proc.pid);
      expect(health.config).toMatchObject({ mode: "cache", backend: "anthropic", port: s.port, openai_api_url: "http://127.0.0.1:9" });
    } finally {
      expect(await stopProxy(s)).toBe(0);
    }
  });

  test("without deployment variables /health has no deployment block; SIGINT also exits 0", async () => {
    const s = await spawnProxy([]);
    try {
      const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as Record<string, unknown>;
      expect(health.deployment).toBeUndefined();
      expect(health.status).toBe("healthy");
    } finally {
      expect(await stopProxy(s, "SIGINT")).toBe(0);
    }
  });

  test("a flag wins over its HEADROOM_ variable; variables fill the rest", async () => {
    const flagPort = freePort();
    const envPort = freePort();
    const s = await spawnProxy(["--mode", "token"], { HEADROOM_PORT: String(envPort), HEADROOM_MODE: "cache", HEADROOM_ANTHROPIC_API_URL: `${stub.url}/v1`, HEADROOM_NO_OPTIMIZE: "1" }, flagPort);
    try {
      const health = (await (await fetch(`http://127.0.0.1:${flagPort}/health`)).json()) as Record<string, any>;
      expect(health.config).toMatchObject({ port: flagPort, mode: "token", optimize: false, anthropic_api_url: stub.url });
      const envAnswers = await fetch(`http://127.0.0.1:${envPort}/livez`).then(() => true, () => false);
      expect(envAnswers).toBe(false);
    } finally {
      await stopProxy(s);
    }
  });

  test("invalid flags are usage errors (exit 2)", async () => {
    const r = await runBin(["proxy", "--mode", "fast"], { env: baseEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--mode");
    const r2 = await runBin(["proxy", "--port", "99999"], { env: baseEnv() });
    expect(r2.code).toBe(2);
  });

  test("a non-loopback bind without HEADROOM_PROXY_TOKEN prints a loud warning", async () => {
    const s = await spawnProxy(["--host", "0.0.0.0"]);
    const code = await stopProxy(s);
    expect(code).toBe(0);
    const out = await s.output();
    expect(out).toContain("WARNING");
    expect(out).toContain("HEADROOM_PROXY_TOKEN");
  });

  test("HEADROOM_PROXY_TOKEN: callers from another address must send it; health probes and loopback callers need not", async () => {
    const lan = lanAddress();
    if (!lan) {
      if (process.env.CI === "true") throw new Error("no non-loopback IPv4 address to call the proxy from");
      console.log("skip: this machine has no non-loopback IPv4 address (the guard is unit-tested in test/unit/proxy)");
      return;
    }
    const s = await spawnProxy(["--host", "0.0.0.0", "--anthropic-api-url", stub.url, "--no-optimize"], { HEADROOM_PROXY_TOKEN: "s3cret-token" });
    const remote = `http://${lan}:${s.port}`;
    const local = `http://127.0.0.1:${s.port}`;
    const call = (base: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-ant-k", ...headers }, body: "{}" });
    try {
      stub.reset();
      const denied = await call(remote);
      expect(denied.status).toBe(401);
      expect(stub.requests.length).toBe(0);

      const viaHeader = await call(remote, { "x-headroom-proxy-token": "s3cret-token" });
      expect(viaHeader.status).toBe(200);
      await viaHeader.arrayBuffer();
      expect(stub.requests[0]!.headers["x-headroom-proxy-token"]).toBeUndefined();
      expect(stub.requests[0]!.headers["x-api-key"]).toBe("sk-ant-k");

      const viaBearer = await call(remote, { authorization: "Bearer s3cret-token" });
      expect(viaBearer.status).toBe(200);
      await viaBearer.arrayBuffer();
      // The proxy token is not an upstream credential: it is not forwarded.
      expect(stub.requests[1]!.headers.authorization).toBeUndefined();

      const wrong = await call(remote, { "x-headroom-proxy-token": "nope" });
      expect(wrong.status).toBe(401);

      expect((await fetch(`${remote}/stats`)).status).toBe(401);
      expect((await fetch(`${remote}/livez`)).status).toBe(200);
      expect((await fetch(`${remote}/readyz`)).status).toBe(200);
      const health = (await (await fetch(`${remote}/health`)).json()) as Record<string, unknown>;
      expect(health.status).toBe("healthy");
      expect(health.config).toBeUndefined(); // config only for loopback callers

      const compress = await fetch(`${remote}/v1/compress`, { method: "POST", headers: { "x-headroom-proxy-token": "s3cret-token" }, body: "{}" });
      expect(compress.status).toBe(403);

      const fromLoopback = await call(local);
      expect(fromLoopback.status).toBe(200);
      await fromLoopback.arrayBuffer();
      const localHealth = (await (await fetch(`${local}/health`)).json()) as Record<string, unknown>;
      expect(localHealth.config).toBeDefined();
    } finally {
      expect(await stopProxy(s)).toBe(0);
    }
    expect(await s.output()).not.toContain("WARNING");
  });
});
