// A deployment never gives up, on a real systemd user manager (test/support/systemd.ts)
// with the compiled binary: 30 back-to-back `kill -9` of the runtime, each followed by a
// wait (bounded) for a new, proven runtime; and a runtime that cannot start for longer
// than the old start limit allowed (10 starts in 20 s) is still being retried, names its
// state in status, and comes back by itself once the cause is gone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, hr, killAll, runtimePids, until } from "./install-support.ts";

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("never gives up (real systemd user manager)", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let ws: string;
  let port: number;
  const profile = "storm";
  const unit = `headroom-${profile}.service`;

  const show = async (prop: string) => (await sd.systemctl(["show", unit, "-p", prop, "--value"])).stdout.trim();
  /** The runtime's pid once `install status` says it is healthy (proven) and it is not `notPid`. */
  const provenPid = (notPid: number | undefined, timeoutMs: number) =>
    until(async () => {
      const r = await hr(["install", "status", "--profile", profile, "--json"], env, 10_000);
      if (r.code !== 0) return null;
      const s = JSON.parse(r.stdout) as { serving: { pid?: number }; identity: { proven: boolean } };
      return s.identity.proven && s.serving.pid && s.serving.pid !== notPid ? s.serving.pid : null;
    }, timeoutMs, 100);

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-trust-rs-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: undefined };
    port = await freePort();
    const r = await hr(["install", "apply", "--profile", profile, "--providers", "manual", "--target", "claude", "--port", String(port)], env);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}${r.stdout}`);
  }, 90_000);

  afterAll(async () => {
    if (!sd) return;
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    await sd.stop();
  }, 60_000);

  test("the unit has no start limit and restarts after 1 s (the delay systemd 252 can give)", async () => {
    const text = readFileSync(join(sd.home, ".config/systemd/user", unit), "utf8");
    expect(text).toContain("StartLimitIntervalSec=0");
    expect(text).not.toContain("StartLimitBurst");
    expect(text).toContain("RestartSec=1");
    expect(await show("StartLimitIntervalUSec")).toBe("0");
    const version = Number(/^systemd (\d+)/.exec((Bun.spawnSync(["systemctl", "--version"]).stdout.toString()))?.[1]);
    if (version >= 254) expect(text).toMatch(/RestartSteps=4\nRestartMaxDelaySec=15/);
    else expect(text).not.toContain("RestartSteps");
  }, 30_000);

  test("30 back-to-back kill -9 of the runtime: it comes back, proven, every time", async () => {
    let pid = await provenPid(undefined, 30_000);
    expect(pid).not.toBeNull();
    const startRestarts = Number(await show("NRestarts"));
    const waits: number[] = [];
    let back = 0;
    for (let i = 0; i < 30; i++) {
      process.kill(pid!, "SIGKILL");
      const t0 = Date.now();
      // Generous bound per kill: with a growing delay (systemd >= 254) the later ones wait up to 15 s.
      const next = await provenPid(pid!, 60_000);
      if (!next) break;
      waits.push(Date.now() - t0);
      back++;
      pid = next;
    }
    const sorted = [...waits].sort((a, b) => a - b);
    console.log(`30 kills: back ${back} times; wait for a proven new runtime p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`);
    expect(back).toBe(30);
    expect(await show("ActiveState")).toBe("active");
    expect(Number(await show("NRestarts")) - startRestarts).toBe(30);
    expect(runtimePids(profile, ws)).toEqual([pid!]);
  }, 40 * 60_000);

  test("a runtime that cannot start for longer than the old start limit is still retried, status names it, and it comes back by itself", async () => {
    expect((await hr(["install", "stop", "--profile", profile], env)).code).toBe(0);
    const squatter = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("mine", { status: 200 }) });
    try {
      await sd.systemctl(["start", unit]);
      const base = Number(await show("NRestarts"));
      // The old unit (StartLimitBurst=10 in 20 s) was `failed` for good by now.
      const many = await until(async () => (Number(await show("NRestarts")) - base >= 14 ? true : null), 90_000, 250);
      expect(many).toBe(true);
      expect(await show("ActiveState")).not.toBe("failed");
      const r = await hr(["install", "status", "--profile", profile], env);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/The unit is crash-looping: restarted \d+ times; systemd retries every 1 s, and never gives up/);
      expect(r.stdout).toContain(`\`headroom install restart --profile ${profile}\``);
      expect(r.stdout).toContain(`Port ${port} is held by another HTTP server, not by this deployment.`);
    } finally {
      squatter.stop(true);
    }
    // Nothing to do but wait: the next retry finds the port free.
    expect(await provenPid(undefined, 60_000)).not.toBeNull();
    expect((await hr(["install", "status", "--profile", profile], env)).code).toBe(0);
  }, 150_000);
});
