// `headroom wrap` with persistent deployments, against a real, isolated systemd user
// manager (test/support/systemd.ts) and the compiled binary:
//   - a healthy service deployment on the port is reused and left running;
//   - the same deployment stopped is recovered through systemd (same unit, its /health
//     names the profile), not replaced by a session proxy;
//   - the same deployment hung (its runtime SIGSTOPped: the port is open, nothing answers
//     HTTP) is restarted through systemd: a new pid in the same unit;
//   - a stopped task deployment is started through `agent ensure`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { FAKE_TOOL_NAMES, freePort, pidAlive, readRuns, until, writeFakeTools } from "../support/fake-tool.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { health } from "./install-support.ts";

const skip = systemdSkipReason();

let sd: UserManager;
let env: Record<string, string>;
let servicePort: number;
let taskPort: number;
const pidsToKill: number[] = [];
/** Runtimes a test SIGSTOPped: continued and killed in afterAll, whatever happened. */
const stopped: number[] = [];

function freshOut(name: string): { out: string; env: Record<string, string> } {
  const out = join(sd.home, `out-${name}`);
  mkdirSync(out, { recursive: true });
  return { out, env: { ...env, FAKE_TOOL_OUT: out } };
}

async function mainPid(unit: string): Promise<number> {
  const r = await sd.systemctl(["show", "-p", "MainPID", "--value", unit]);
  return Number(r.stdout.trim());
}

function noSessionProxy(port: number): boolean {
  return !existsSync(join(env.HEADROOM_WORKSPACE_DIR!, "clients", String(port), "proxy.json"));
}

describe.skipIf(skip !== null)("wrap with persistent deployments (real systemd user manager)", () => {
  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-wrap-sd-" });
    const binDir = writeFakeTools(join(sd.home, "fake-bin"), FAKE_TOOL_NAMES);
    env = Object.fromEntries(Object.entries(sd.env).filter(([k, v]) => v !== undefined && !k.startsWith("FAKE_TOOL_"))) as Record<string, string>;
    env.PATH = `${binDir}:${env.PATH ?? "/usr/bin:/bin"}`;
    servicePort = await freePort();
    const apply = await runBin(
      ["install", "apply", "--port", String(servicePort), "--providers", "manual", "--target", "claude", "--scope", "user"],
      { env, timeoutMs: 90_000 },
    );
    if (apply.code !== 0) throw new Error(`install apply (service) failed: ${apply.stderr}${apply.stdout}`);
  }, 120_000);

  afterAll(async () => {
    if (!sd) return;
    for (const pid of stopped) {
      try { process.kill(pid, "SIGCONT"); } catch {}
      try { process.kill(pid, "SIGKILL"); } catch {}
    }
    for (const profile of ["task", "default"]) {
      await runBin(["install", "remove", "--profile", profile], { env, timeoutMs: 60_000 }).catch(() => {});
    }
    for (const pid of pidsToKill) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await sd.stop();
  }, 120_000);

  test("a healthy service deployment is reused and left running", async () => {
    const before = await mainPid("headroom-default.service");
    expect(before).toBeGreaterThan(0);
    const { out, env: e } = freshOut("reuse");
    const r = await runBin(["wrap", "claude", "--port", String(servicePort)], { env: e });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    expect((run!.health!.deployment as { profile: string }).profile).toBe("default");
    expect(run!.health!.pid).toBe(before);
    // Left running: same unit, same process, still answering.
    expect((await sd.systemctl(["is-active", "headroom-default.service"])).stdout.trim()).toBe("active");
    expect(await mainPid("headroom-default.service")).toBe(before);
    expect((await health(servicePort))?.deployment?.profile).toBe("default");
    expect(noSessionProxy(servicePort)).toBe(true);
  }, 60_000);

  test("a stopped service deployment is recovered through systemd, not replaced by a session proxy", async () => {
    const stop = await sd.systemctl(["stop", "headroom-default.service"]);
    expect(stop.code).toBe(0);
    await until(async () => (await health(servicePort)) === null, 30_000, "port to be free");
    const { out, env: e } = freshOut("recover");
    const r = await runBin(["wrap", "claude", "--port", String(servicePort), "-v"], { env: e, timeoutMs: 90_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("recover");
    const [run] = readRuns(out);
    expect((run!.health!.deployment as { profile: string }).profile).toBe("default");
    // The process that served the tool is the unit's main process: systemd started it.
    expect((await sd.systemctl(["is-active", "headroom-default.service"])).stdout.trim()).toBe("active");
    const pid = await mainPid("headroom-default.service");
    expect(run!.health!.pid).toBe(pid);
    // And it outlives the wrap.
    expect(pidAlive(pid)).toBe(true);
    expect((await health(servicePort))?.deployment?.profile).toBe("default");
    expect(noSessionProxy(servicePort)).toBe(true);
  }, 120_000);

  test("a hung service deployment (port open, no HTTP answer) is restarted in its own unit, and the tool runs", async () => {
    const unit = "headroom-default.service";
    const fragment = async () => (await sd.systemctl(["show", "-p", "FragmentPath", "--value", unit])).stdout.trim();
    const unitFileBefore = await fragment();
    const before = await mainPid(unit);
    expect(before).toBeGreaterThan(0);
    expect((await health(servicePort))?.pid).toBe(before);
    process.kill(before, "SIGSTOP");
    stopped.push(before);
    expect(await health(servicePort)).toBeNull();
    const { out, env: e } = freshOut("hung");
    const r = await runBin(["wrap", "claude", "--port", String(servicePort), "-v"], { env: e, timeoutMs: 120_000 });
    expect(r.stderr).not.toContain("restart it with");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("hung");
    const [run] = readRuns(out);
    expect((run!.health!.deployment as { profile: string }).profile).toBe("default");
    // Restarted by systemd: the same unit (same unit file) runs a new main process, and
    // that process is the one that served the tool.
    const after = await mainPid(unit);
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
    expect(run!.health!.pid).toBe(after);
    expect(await fragment()).toBe(unitFileBefore);
    expect((await sd.systemctl(["is-active", unit])).stdout.trim()).toBe("active");
    expect(pidAlive(before)).toBe(false);
    expect((await health(servicePort))?.pid).toBe(after);
    expect(noSessionProxy(servicePort)).toBe(true);
  }, 150_000);

  test("a stopped task deployment is started through agent ensure", async () => {
    taskPort = await freePort();
    const apply = await runBin(
      ["install", "apply", "--profile", "task", "--preset", "persistent-task", "--port", String(taskPort), "--providers", "manual", "--target", "claude", "--scope", "user"],
      { env, timeoutMs: 90_000 },
    );
    expect(apply.code).toBe(0);
    const first = await health(taskPort);
    expect(first?.deployment?.profile).toBe("task");
    if (typeof first?.pid === "number") pidsToKill.push(first.pid);
    const stop = await runBin(["install", "stop", "--profile", "task"], { env, timeoutMs: 60_000 });
    expect(stop.code).toBe(0);
    expect(await health(taskPort)).toBeNull();

    const { out, env: e } = freshOut("task");
    const r = await runBin(["wrap", "claude", "--port", String(taskPort)], { env: e, timeoutMs: 90_000 });
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    const dep = run!.health!.deployment as { profile: string; preset: string };
    expect(dep.profile).toBe("task");
    expect(dep.preset).toBe("persistent-task");
    const pid = run!.health!.pid as number;
    pidsToKill.push(pid);
    expect(pid).not.toBe(first?.pid);
    // The runtime ensure started keeps running after the wrap: it belongs to the deployment.
    expect(pidAlive(pid)).toBe(true);
    expect((await health(taskPort))?.deployment?.profile).toBe("task");
    expect(noSessionProxy(taskPort)).toBe(true);
  }, 180_000);
});
