// Lingering, as `install status` reports it: logind's own record first, loginctl only
// when that record cannot answer and a system bus exists for loginctl to ask through.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildManifest } from "../../../src/install/plan.ts";
import { makeContext } from "../../../src/install/context.ts";
import { LINGER_DIR, lingerState } from "../../../src/install/supervisors/systemd.ts";
import { recordingRunner } from "../../support/recording-runner.ts";

const isRoot = process.getuid?.() === 0;
const user = `headroom-linger-${process.pid}`;
const bin = mkdtempSync("/tmp/headroom-linger-bin-");
let createdDir = false;

beforeAll(() => {
  // loginctl must be on PATH for the adapter to ask it; this one is never executed.
  writeFileSync(join(bin, "loginctl"), "#!/bin/sh\nexit 99\n");
  chmodSync(join(bin, "loginctl"), 0o755);
  if (isRoot && !existsSync(LINGER_DIR)) {
    mkdirSync(LINGER_DIR, { recursive: true });
    createdDir = true;
  }
});
afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(join(LINGER_DIR, user), { force: true });
  if (createdDir) rmSync(LINGER_DIR, { recursive: true, force: true });
});

function ctxWith(env: Record<string, string | undefined>, script: Parameters<typeof recordingRunner>[0] = []) {
  const { manifest } = buildManifest({ profile: "linger", providers: "manual", targets: ["claude"], port: "18999" }, { HOME: "/tmp", PATH: bin }, "/usr/local/bin/headroom");
  const rr = recordingRunner(script);
  return { rr, ctx: makeContext(manifest, { env: { HOME: "/tmp", PATH: bin, USER: user, ...env }, run: rr.run, os: "linux" }) };
}

describe("lingerState", () => {
  test.skipIf(!isRoot)("logind's linger file for the user answers yes without running loginctl", async () => {
    writeFileSync(join(LINGER_DIR, user), "");
    try {
      const { rr, ctx } = ctxWith({ DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/nonexistent" });
      expect(await lingerState(ctx)).toBe("yes");
      expect(rr.calls).toEqual([]);
    } finally {
      rmSync(join(LINGER_DIR, user), { force: true });
    }
  });

  test("no linger file and a system bus: loginctl is asked, and its no is reported", async () => {
    const { rr, ctx } = ctxWith({ DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/run/dbus/elsewhere" }, [{ match: ["loginctl", "show-user"], stdout: "no\n" }]);
    expect(await lingerState(ctx)).toBe("no");
    expect(rr.argvs()).toEqual([["loginctl", "show-user", user, "--property=Linger", "--value"]]);
  });

  test("loginctl failing is unknown, not no", async () => {
    const { ctx } = ctxWith({ DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/run/dbus/elsewhere" }, [{ match: ["loginctl"], code: 1, stderr: "Failed to connect to bus" }]);
    expect(await lingerState(ctx)).toBe("unknown");
  });

  test.skipIf(existsSync("/run/dbus/system_bus_socket"))("no system bus: unknown, and loginctl is not started only to fail", async () => {
    const { rr, ctx } = ctxWith({ DBUS_SYSTEM_BUS_ADDRESS: undefined });
    expect(await lingerState(ctx)).toBe("unknown");
    expect(rr.calls).toEqual([]);
  });
});
