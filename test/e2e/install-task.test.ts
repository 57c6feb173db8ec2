// persistent-task: the watchdog schedule and `agent ensure`. On a real systemd user
// manager (timer + oneshot ensure unit) and, forced with HEADROOM_TASK_BACKEND=cron,
// in the real crontab (the user's own lines must come back byte for byte).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, health, healthyAs, hr, killAll, runtimePids, until } from "./install-support.ts";

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("install persistent-task on a systemd timer", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let port: number;
  let ws: string;
  const profile = "watch";
  const args = () => ["--profile", profile, "--preset", "persistent-task", "--providers", "manual", "--target", "claude", "--port", String(port), "--interval", "7"];

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-task-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_TASK_BACKEND: undefined };
    port = await freePort();
  }, 30_000);

  afterAll(async () => {
    if (!sd) return;
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    await sd.stop();
  }, 60_000);

  test("apply installs the timer and ensure unit and starts one runtime", async () => {
    const r = await hr(["install", "apply", ...args()], env);
    expect(r.code).toBe(0);
    expect((await health(port))?.deployment).toMatchObject({ profile, preset: "persistent-task", supervisor: "task" });
    const timers = await sd.systemctl(["list-timers", "--all", "--no-legend"]);
    expect(timers.stdout).toContain(`headroom-${profile}-ensure.timer`);
    const timer = readFileSync(join(sd.home, ".config/systemd/user", `headroom-${profile}-ensure.timer`), "utf8");
    expect(timer).toContain("OnUnitActiveSec=7min");
    expect(timer).toContain("OnBootSec=");
    // The timer fires at once (boot time is long past) and its ensure races apply's: still one runtime.
    await Bun.sleep(500);
    expect(runtimePids(profile, ws).length).toBe(1);
  }, 60_000);

  test("the ensure unit brings a killed runtime back, and the runtime outlives the oneshot unit", async () => {
    const before = (await health(port))!.pid;
    process.kill(before, "SIGKILL");
    await until(async () => (await health(port)) === null, 5000);
    const r = await sd.systemctl(["start", `headroom-${profile}-ensure.service`]);
    expect(r.code).toBe(0);
    const h = await healthyAs(port, profile, before);
    expect(h).not.toBeNull();
    // The oneshot has finished; the runtime it started is still serving.
    expect((await sd.systemctl(["is-active", `headroom-${profile}-ensure.service`])).stdout.trim()).not.toBe("active");
    await Bun.sleep(300);
    expect((await health(port))?.pid).toBe(h!.pid);
  }, 60_000);

  test("agent ensure is a no-op when healthy, and two racing ensures start exactly one runtime", async () => {
    const same = await hr(["install", "agent", "ensure", "--profile", profile], env);
    expect(same.stdout).toContain("healthy");
    killAll(runtimePids(profile, ws));
    await until(async () => (await health(port)) === null, 5000);
    const [a, b] = await Promise.all([hr(["install", "agent", "ensure", "--profile", profile], env), hr(["install", "agent", "ensure", "--profile", profile], env)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const outcomes = [a.stdout, b.stdout].map((s) => s.trim().split(" ").pop());
    expect(outcomes.filter((o) => o === "started").length).toBe(1);
    await Bun.sleep(300);
    expect(runtimePids(profile, ws).length).toBe(1);
    expect((await health(port))?.deployment?.profile).toBe(profile);
  }, 60_000);

  test("stop says the watchdog restarts it; stop --pause disables the timer until start", async () => {
    const s = await hr(["install", "stop", "--profile", profile], env);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("within 7 minutes");
    expect(await health(port)).toBeNull();
    const st = await hr(["install", "start", "--profile", profile], env);
    expect(st.code).toBe(0);
    const p = await hr(["install", "stop", "--profile", profile, "--pause"], env);
    expect(p.code).toBe(0);
    expect((await sd.systemctl(["is-active", `headroom-${profile}-ensure.timer`])).stdout.trim()).not.toBe("active");
    const status = await hr(["install", "status", "--profile", profile], env);
    expect(status.code).not.toBe(0);
    expect(status.stdout).toContain("paused");
    const again = await hr(["install", "start", "--profile", profile], env);
    expect(again.code).toBe(0);
    expect((await sd.systemctl(["is-active", `headroom-${profile}-ensure.timer`])).stdout.trim()).toBe("active");
    expect((await hr(["install", "status", "--profile", profile], env)).code).toBe(0);
  }, 60_000);

  test("remove takes the timer, the units and the runtime away", async () => {
    const r = await hr(["install", "remove", "--profile", profile], env);
    expect(r.code).toBe(0);
    expect((await sd.systemctl(["list-timers", "--all", "--no-legend"])).stdout).not.toContain("headroom-");
    expect(existsSync(join(sd.home, ".config/systemd/user", `headroom-${profile}-ensure.timer`))).toBe(false);
    expect(existsSync(join(ws, "deploy", profile))).toBe(false);
    expect(await health(port)).toBeNull();
    expect(runtimePids(profile, ws)).toEqual([]);
  }, 60_000);
});

function cronSkipReason(): string | null {
  const reason = process.platform !== "linux" ? "cron tests need Linux" : !Bun.which("crontab") ? "crontab is not installed" : null;
  if (reason && process.env.CI === "true") throw new Error(`CI must run the cron tests: ${reason}`);
  if (reason) console.warn(`skipping cron tests: ${reason}`);
  return reason;
}

async function crontab(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["crontab", ...args], { stdin: input !== undefined ? new TextEncoder().encode(input) : "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

describe.skipIf(cronSkipReason() !== null)("install persistent-task in the user's crontab", () => {
  let home: string;
  let ws: string;
  let env: Record<string, string | undefined>;
  let port: number;
  let original: string | null = null;
  const profile = "cronwatch";
  const userLines = "# my own jobs\nMAILTO=\"\"\n*/10 * * * * echo 'mine 100%' >/dev/null\n";

  beforeAll(async () => {
    home = mkdtempSync("/tmp/headroom-cron-");
    ws = join(home, ".headroom");
    env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: ws, HEADROOM_TASK_BACKEND: "cron", XDG_CONFIG_HOME: undefined };
    port = await freePort();
    const cur = await crontab(["-l"]);
    original = cur.code === 0 ? cur.stdout : null;
    expect((await crontab(["-"], userLines)).code).toBe(0);
  }, 30_000);

  afterAll(async () => {
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    if (original === null) await crontab(["-r"]);
    else await crontab(["-"], original);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("apply writes a marker-fenced block and keeps the user's lines; re-apply adds no duplicate", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await hr(["install", "apply", "--profile", profile, "--preset", "persistent-task", "--providers", "manual", "--target", "claude", "--port", String(port), "--interval", "3"], env);
      expect(r.stderr).not.toContain("failed");
      expect(r.code).toBe(0);
    }
    const tab = (await crontab(["-l"])).stdout;
    expect(tab.startsWith(userLines)).toBe(true);
    expect(tab.split(`# >>> headroom persistent task ${profile} >>>`).length).toBe(2);
    expect(tab).toMatch(/^@reboot HEADROOM_WORKSPACE_DIR=\S+ \S+ install agent ensure --profile cronwatch >>\S+ 2>&1$/m);
    expect(tab).toMatch(/^\*\/3 \* \* \* \* HEADROOM_WORKSPACE_DIR=/m);
    expect((await health(port))?.deployment?.profile).toBe(profile);
    const st = JSON.parse((await hr(["install", "status", "--profile", profile, "--json"], env)).stdout);
    expect(st.supervisorView.kind).toBe("cron");
    expect(st.supervisorView.installed).toBe(true);
  }, 60_000);

  test("the scheduled command itself (run as cron would, through /bin/sh) recovers a killed runtime", async () => {
    const tab = (await crontab(["-l"])).stdout;
    const line = tab.split("\n").find((l) => l.startsWith("*/3 "))!;
    const command = line.replace(/^(\S+\s+){5}/, "").replace(/\\%/g, "%");
    const before = (await health(port))!.pid;
    killAll(runtimePids(profile, ws));
    await until(async () => (await health(port)) === null, 5000);
    const sh = Bun.spawn(["/bin/sh", "-c", command], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home }, stdout: "ignore", stderr: "ignore" });
    expect(await sh.exited).toBe(0);
    const h = await healthyAs(port, profile, before);
    expect(h).not.toBeNull();
  }, 60_000);

  test("remove takes only the block away: the user's crontab is byte-exact", async () => {
    const r = await hr(["install", "remove", "--profile", profile], env);
    expect(r.code).toBe(0);
    expect((await crontab(["-l"])).stdout).toBe(userLines);
    expect(await health(port)).toBeNull();
    expect(existsSync(join(ws, "deploy", profile))).toBe(false);
  }, 60_000);
});
