// `headroom wrap` against the compiled binary, real sockets and real processes: fake tools
// (bash scripts named claude, codex, ...) on a temporary PATH record what they were given
// and what the proxy's /health told them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binPath, runBin } from "../support/bin.ts";
import {
  type WrapSandbox, freePort, makeWrapSandbox, pidAlive, readRuns, spawnInOwnGroup, until, writeManifest,
} from "../support/fake-tool.ts";

let sb: WrapSandbox;
const started: number[] = [];

beforeAll(() => {
  sb = makeWrapSandbox("headroom-wrap-e2e-");
});

afterAll(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  await sb.cleanup();
}, 30_000);

/** A fresh records folder and the env that points the fake tools at it. */
function freshOut(name: string, extra: Record<string, string> = {}): { out: string; env: Record<string, string> } {
  const out = join(sb.root, `out-${name}`);
  mkdirSync(out, { recursive: true });
  return { out, env: { ...sb.env, FAKE_TOOL_OUT: out, ...extra } };
}

async function portAnswers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/livez`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function clientFiles(port: number): string[] {
  const dir = join(sb.workspace, "clients", String(port));
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
}

describe("wrap with no proxy running", () => {
  test("starts a session proxy that serves the tool, passes arguments through, and is gone after", async () => {
    const port = await freePort();
    const { out, env } = freshOut("ephemeral");
    const r = await runBin(["wrap", "claude", "--port", String(port), "--model", "opus", "chat", "--", "--port", "9", "-v"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    expect(run).toBeDefined();
    // Unknown options and everything after -- reach the tool in order; wrap's own --port does not.
    expect(run!.args).toEqual(["--model", "opus", "chat", "--port", "9", "-v"]);
    expect(run!.env.ANTHROPIC_BASE_URL).toBe(`http://127.0.0.1:${port}`);
    expect(run!.env.HEADROOM_PORT).toBe(String(port));
    expect(run!.env.HOME).toBe(sb.home); // the inherited environment is kept
    // The tool reached a headroom proxy that is not a deployment.
    expect(run!.health?.status).toBeDefined();
    expect(run!.health?.deployment).toBeUndefined();
    const proxyPid = run!.health!.pid as number;
    expect(typeof proxyPid).toBe("number");
    expect(proxyPid).not.toBe(run!.pid);
    // Gone after: the process, the port, the records.
    await until(() => !pidAlive(proxyPid), 15_000, "session proxy to exit");
    expect(await portAnswers(port)).toBe(false);
    expect(clientFiles(port)).toEqual([]);
    expect(existsSync(join(sb.workspace, "logs", "proxy.log"))).toBe(true);
  });

  test("the tool's exit code is wrap's exit code; death by signal N is 128+N", async () => {
    const port = await freePort();
    for (const [extra, expected] of [
      [{}, 0],
      [{ FAKE_TOOL_EXIT: "7" }, 7],
      [{ FAKE_TOOL_SIGNAL: "KILL" }, 137],
      [{ FAKE_TOOL_SIGNAL: "TERM" }, 143],
    ] as const) {
      const { env } = freshOut(`code-${expected}`, extra);
      const r = await runBin(["wrap", "aider", "--port", String(port)], { env });
      expect(r.code).toBe(expected);
    }
    expect(clientFiles(port)).toEqual([]);
  });

  test("two wraps at once share one proxy, which stops after the last one exits", async () => {
    const port = await freePort();
    const gateA = join(sb.root, "gate-a");
    const a = freshOut("concurrent-a", { FAKE_TOOL_WAIT: gateA });
    const wa = spawnInOwnGroup([binPath, "wrap", "claude", "--port", String(port)], a.env);
    const gateC = join(sb.root, "gate-c");
    const c = freshOut("concurrent-c", { FAKE_TOOL_WAIT: gateC });
    const wc = spawnInOwnGroup([binPath, "wrap", "copilot", "--port", String(port)], c.env);
    started.push(wa.pid, wc.pid);
    const [runA] = await until(() => { const r = readRuns(a.out); return r[0]?.started ? r : null; }, 30_000, "first tool");
    const [runC] = await until(() => { const r = readRuns(c.out); return r[0]?.started ? r : null; }, 30_000, "second tool");
    const pidA = runA!.health!.pid as number;
    expect(runC!.health!.pid).toBe(pidA);
    expect(clientFiles(port).filter((f) => f !== "proxy.json")).toHaveLength(2);
    writeFileSync(gateA, "");
    expect((await wa.done).code).toBe(0);
    // The other client still runs: the proxy stays.
    expect(pidAlive(pidA)).toBe(true);
    expect(await portAnswers(port)).toBe(true);
    writeFileSync(gateC, "");
    expect((await wc.done).code).toBe(0);
    await until(() => !pidAlive(pidA), 15_000, "shared proxy to exit");
    expect(await portAnswers(port)).toBe(false);
  });

  test("a session proxy orphaned by a SIGKILLed wrap is stopped by the next wrap on that port to finish", async () => {
    const port = await freePort();
    const gate = join(sb.root, "gate-orphan");
    const a = freshOut("orphan-a", { FAKE_TOOL_WAIT: gate });
    const wa = spawnInOwnGroup([binPath, "wrap", "claude", "--port", String(port)], a.env);
    started.push(wa.pid);
    const [runA] = await until(() => { const r = readRuns(a.out); return r[0]?.started ? r : null; }, 30_000, "tool start");
    const proxyPid = runA!.health!.pid as number;
    process.kill(wa.pid, "SIGKILL");
    writeFileSync(gate, "");
    await wa.done;
    expect(pidAlive(proxyPid)).toBe(true); // nobody was left to stop it
    // A stale record whose pid is alive but belongs to another process (start time differs)
    // must not keep the proxy alive either.
    writeFileSync(join(sb.workspace, "clients", String(port), `${process.pid}.json`),
      JSON.stringify({ pid: process.pid, startTime: "1", tool: "claude", port, proxy: "ephemeral", since: "" }));
    const b = freshOut("orphan-b");
    const r = await runBin(["wrap", "aider", "--port", String(port)], { env: b.env });
    expect(r.code).toBe(0);
    expect(readRuns(b.out)[0]!.health!.pid).toBe(proxyPid); // shared, not a second proxy
    await until(() => !pidAlive(proxyPid), 15_000, "orphaned proxy to exit");
    expect(clientFiles(port)).toEqual([]);
  });

  test("a headroom proxy already on the port is reused and left running", async () => {
    const port = await freePort();
    const proxy = Bun.spawn([binPath, "proxy", "--port", String(port)], { env: sb.env, stdout: "ignore", stderr: "ignore" });
    started.push(proxy.pid);
    try {
      await until(() => portAnswers(port), 30_000, "manual proxy");
      const { out, env } = freshOut("reuse");
      const r = await runBin(["wrap", "claude", "--port", String(port)], { env });
      expect(r.code).toBe(0);
      expect(readRuns(out)[0]!.health!.pid).toBe(proxy.pid);
      expect(pidAlive(proxy.pid)).toBe(true);
      expect(await portAnswers(port)).toBe(true);
    } finally {
      proxy.kill("SIGKILL");
      await proxy.exited;
    }
  });
});

describe("wrap's failures are one clear sentence", () => {
  test("a foreign server on the port: exit 1, suggests --port, the tool never runs", async () => {
    const port = await freePort();
    const foreign = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("not headroom", { status: 404 }) });
    try {
      const { out, env } = freshOut("foreign");
      const r = await runBin(["wrap", "claude", "--port", String(port)], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(String(port));
      expect(r.stderr).toContain("--port");
      expect(r.stderr).not.toContain("    at ");
      expect(readRuns(out)).toEqual([]);
    } finally {
      foreign.stop(true);
    }
  });

  test("a missing tool binary: exit 1 with where to get it, and no proxy is started", async () => {
    const port = await freePort();
    const { env } = freshOut("missing");
    env.PATH = "/usr/bin:/bin"; // no fake tools
    const r = await runBin(["wrap", "claude", "--port", String(port)], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("claude");
    expect(r.stderr).toContain("npm install -g @anthropic-ai/claude-code");
    expect(await portAnswers(port)).toBe(false);
  });

  test("an unknown tool is a usage error (exit 2); --help still shows usage", async () => {
    const bad = await runBin(["wrap", "emacs"], { env: sb.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("emacs");
    const help = await runBin(["wrap", "--help"], { env: sb.env });
    expect(help.code).toBe(0);
    expect(help.stdout + help.stderr).toContain("USAGE");
  });
});

describe("a deployment's manifest names the port, but something else holds it", () => {
  test("a foreign server: exit 1 naming the deployment and suggesting --port; the tool never runs", async () => {
    const port = await freePort();
    const workspace = join(sb.root, "ws-foreign-deploy");
    writeManifest(workspace, "default", port, binPath);
    const foreign = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("teapot", { status: 418 }) });
    try {
      const { out, env } = freshOut("deploy-foreign", { HEADROOM_WORKSPACE_DIR: workspace });
      const r = await runBin(["wrap", "claude", "--port", String(port)], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`"default"`);
      expect(r.stderr).toContain("--port");
      expect(readRuns(out)).toEqual([]);
    } finally {
      foreign.stop(true);
    }
  });

  test("a plain headroom proxy (not the deployment) already serving the port is reused as it is", async () => {
    const port = await freePort();
    const workspace = join(sb.root, "ws-proxy-deploy");
    writeManifest(workspace, "default", port, binPath);
    const proxy = Bun.spawn([binPath, "proxy", "--port", String(port)], { env: sb.env, stdout: "ignore", stderr: "ignore" });
    started.push(proxy.pid);
    try {
      await until(() => portAnswers(port), 30_000, "manual proxy");
      const { out, env } = freshOut("deploy-proxy", { HEADROOM_WORKSPACE_DIR: workspace });
      const r = await runBin(["wrap", "claude", "--port", String(port)], { env });
      expect(r.code).toBe(0);
      expect(readRuns(out)[0]!.health!.pid).toBe(proxy.pid);
      expect(pidAlive(proxy.pid)).toBe(true);
    } finally {
      proxy.kill("SIGKILL");
      await proxy.exited;
    }
  });
});

describe("--no-proxy", () => {
  test("manages no proxy, warns when nothing listens, still points the tool at the port", async () => {
    const port = await freePort();
    const { out, env } = freshOut("noproxy");
    const r = await runBin(["wrap", "copilot", "--no-proxy", "--port", String(port)], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning");
    expect(r.stderr).toContain(String(port));
    const [run] = readRuns(out);
    expect(run!.env.COPILOT_PROVIDER_BASE_URL).toBe(`http://127.0.0.1:${port}/v1`);
    expect(run!.health).toBeNull();
    expect(await portAnswers(port)).toBe(false);
    expect(clientFiles(port)).toEqual([]);
  });
});

describe("signals", () => {
  test("Ctrl+C reaches the tool; wrap outlives it, cleans up and exits 130", async () => {
    const port = await freePort();
    const gate = join(sb.root, "never-int");
    const { out, env } = freshOut("sigint", { FAKE_TOOL_WAIT: gate });
    const w = spawnInOwnGroup([binPath, "wrap", "claude", "--port", String(port)], env);
    started.push(w.pid);
    const [run] = await until(() => { const r = readRuns(out); return r[0]?.started ? r : null; }, 30_000, "tool start");
    const proxyPid = run!.health!.pid as number;
    // The tool is in the wrapper's process group (the terminal's foreground job).
    expect(run!.pgid).toBe(w.pid);
    process.kill(-w.pid, "SIGINT");
    const res = await w.done;
    expect(res.code).toBe(130);
    await until(() => !pidAlive(proxyPid), 15_000, "proxy to exit after Ctrl+C");
    expect(clientFiles(port)).toEqual([]);
  });

  test("SIGTERM to wrap is forwarded to the tool and cleans up (exit 143)", async () => {
    const port = await freePort();
    const gate = join(sb.root, "never-term");
    const { out, env } = freshOut("sigterm", { FAKE_TOOL_WAIT: gate });
    const w = spawnInOwnGroup([binPath, "wrap", "aider", "--port", String(port)], env);
    started.push(w.pid);
    const [run] = await until(() => { const r = readRuns(out); return r[0]?.started ? r : null; }, 30_000, "tool start");
    const proxyPid = run!.health!.pid as number;
    process.kill(w.pid, "SIGTERM");
    const res = await w.done;
    expect(res.code).toBe(143);
    expect(pidAlive(run!.pid)).toBe(false);
    await until(() => !pidAlive(proxyPid), 15_000, "proxy to exit after SIGTERM");
    expect(clientFiles(port)).toEqual([]);
  });

  test("cursor prints the two base URLs, waits for Ctrl+C, then stops its proxy", async () => {
    const port = await freePort();
    const { env } = freshOut("cursor");
    const w = spawnInOwnGroup([binPath, "wrap", "cursor", "--port", String(port)], env);
    started.push(w.pid);
    let stdout = "";
    w.proc.stdout!.on("data", (d) => (stdout += d));
    await until(() => stdout.includes("Ctrl+C"), 30_000, "cursor instructions");
    expect(stdout).toContain(`http://127.0.0.1:${port}/v1`);
    expect(stdout).toContain(`http://127.0.0.1:${port}\n`);
    expect(await portAnswers(port)).toBe(true);
    process.kill(-w.pid, "SIGINT");
    const res = await w.done;
    expect(res.code).toBe(0);
    await until(async () => !(await portAnswers(port)), 15_000, "cursor's proxy to stop");
  });
});
