// Recovering a deployment whose runtime is there but hung (SIGSTOP: the port is open, the
// kernel accepts connections, nothing answers HTTP), on a real systemd user manager (own
// HOME and XDG_RUNTIME_DIR). Starting an active unit does nothing, so recoverDeployment
// (wrap's seam) must restart through the supervisor: healthy again with a new pid.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { recoverDeployment } from "../../src/install/deploy.ts";
import { isRunning } from "../../src/install/pid.ts";
import { loadManifest } from "../../src/install/store.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, health, hr, killAll, runtimePids } from "./install-support.ts";

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("recovering a hung runtime through its supervisor", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let ws: string;
  const stopped: number[] = [];

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-recover-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: "systemd" };
  }, 30_000);

  afterAll(async () => {
    if (!sd) return;
    for (const pid of stopped) {
      try { process.kill(pid, "SIGCONT"); } catch {}
      try { process.kill(pid, "SIGKILL"); } catch {}
    }
    for (const p of ["hungsvc", "hungtask"]) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    killAll([...runtimePids("hungsvc", ws), ...runtimePids("hungtask", ws)]);
    await sd.stop();
  }, 60_000);

  async function hangAndRecover(profile: string, preset: string) {
    const port = await freePort();
    const r = await hr(["install", "apply", "--profile", profile, "--preset", preset, "--providers", "manual", "--target", "claude", "--port", String(port)], env);
    expect(r.stderr).not.toContain("failed");
    expect(r.code).toBe(0);
    const before = (await health(port))!.pid;
    process.kill(before, "SIGSTOP");
    stopped.push(before);
    expect(await health(port)).toBeNull();
    const probe = await recoverDeployment(loadManifest(profile, env), env, {}, 1_000);
    expect(probe.profile).toBe(profile);
    const after = await health(port);
    expect(after?.deployment?.profile).toBe(profile);
    expect(after!.pid).not.toBe(before);
    expect(isRunning(before)).toBe(false);
    return after!;
  }

  test("persistent-service: the unit is active but its process hangs; recover restarts the unit", async () => {
    const after = await hangAndRecover("hungsvc", "persistent-service");
    const mainPid = Number((await sd.systemctl(["show", "headroom-hungsvc.service", "-p", "MainPID", "--value"])).stdout.trim());
    expect(after.pid).toBe(mainPid);
    expect((await sd.systemctl(["is-active", "headroom-hungsvc.service"])).stdout.trim()).toBe("active");
  }, 90_000);

  test("persistent-task: the watchdog's runtime hangs; recover replaces it", async () => {
    const after = await hangAndRecover("hungtask", "persistent-task");
    expect(runtimePids("hungtask", ws)).toEqual([after.pid]);
  }, 90_000);
});
