// `install status` reads units over the user manager's private socket: on a real
// systemd, for a running service, a crash-looping one, a timer and a unit that does not
// exist, the answers equal `systemctl show` word for word.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateSocket, showUnitOverBus, statusProperties } from "../../src/install/supervisors/systemd-bus.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { until } from "./install-support.ts";

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("unit state over systemd's private socket", () => {
  let sd: UserManager;
  let socket: string;

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-bus-" });
    socket = privateSocket("user", sd.env, false)!;
    const dir = join(sd.home, ".config/systemd/user");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "headroom-busok.service"), "[Service]\nExecStart=/bin/sleep 300\n");
    writeFileSync(join(dir, "headroom-busloop.service"), "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=100ms\n[Unit]\nStartLimitIntervalSec=0\n");
    writeFileSync(join(dir, "headroom-bus.timer"), "[Timer]\nOnUnitActiveSec=1h\nUnit=headroom-busok.service\n[Install]\nWantedBy=timers.target\n");
    await sd.systemctl(["daemon-reload"]);
    await sd.systemctl(["enable", "--now", "headroom-bus.timer"]);
    await sd.systemctl(["start", "headroom-busok.service", "headroom-busloop.service"]);
    await until(async () => Number((await sd.systemctl(["show", "-p", "NRestarts", "--value", "headroom-busloop.service"])).stdout.trim()) >= 2, 10_000);
  }, 40_000);

  afterAll(async () => {
    await sd?.stop();
  }, 30_000);

  async function viaSystemctl(unit: string): Promise<Record<string, string>> {
    const names = statusProperties(unit).map((p) => p.name);
    const r = await sd.systemctl(["show", unit, `--property=${names.join(",")}`]);
    return Object.fromEntries(r.stdout.trim().split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  for (const unit of ["headroom-busok.service", "headroom-bus.timer", "headroom-absent.service"]) {
    test(`${unit}: the same as systemctl show`, async () => {
      const bus = await showUnitOverBus(socket, unit);
      expect(bus).toEqual(await viaSystemctl(unit));
      expect(Object.keys(bus).length).toBe(statusProperties(unit).length);
    });
  }

  test("a crash-looping service: the same state words, and restarts counted", async () => {
    // The loop moves on between two reads, so compare the fields that do not flicker.
    const bus = await showUnitOverBus(socket, "headroom-busloop.service");
    const ctl = await viaSystemctl("headroom-busloop.service");
    expect(bus.LoadState).toBe(ctl.LoadState!);
    expect(Number(bus.NRestarts)).toBeGreaterThanOrEqual(2);
    expect(Math.abs(Number(bus.NRestarts) - Number(ctl.NRestarts))).toBeLessThanOrEqual(2);
    expect(["auto-restart", "failed", "dead", "running", "start"]).toContain(bus.SubState!);
    expect(bus.Result).toBe("exit-code");
  });

  test("the running service's main pid is the process systemd started", async () => {
    const bus = await showUnitOverBus(socket, "headroom-busok.service");
    expect(Number(bus.MainPID)).toBeGreaterThan(0);
    expect((await Bun.file(`/proc/${bus.MainPID}/cmdline`).text()).split("\0")[0]).toBe("/bin/sleep");
  });
});
