// Refusals that must happen before anything changes: a missing systemctl or crontab,
// system scope without root; and the stable binary path rules (SPEC 4.2).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { stableBinPath, runningFromSource } from "../../../src/install/binpath.ts";
import { makeContext } from "../../../src/install/context.ts";
import { buildManifest } from "../../../src/install/plan.ts";
import { cronSupervisor } from "../../../src/install/supervisors/cron.ts";
import { systemdService } from "../../../src/install/supervisors/systemd-service.ts";
import type { CommandRunner } from "../../../src/host/exec.ts";

const tmp = mkdtempSync("/tmp/headroom-preflight-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { HOME: tmp, HEADROOM_WORKSPACE_DIR: join(tmp, ".headroom") };
const m = (over: object = {}) => buildManifest({ providers: "manual", targets: ["claude"], port: "9912", ...over }, env, "/bin/h").manifest;
const neverRun: CommandRunner = async (argv) => {
  throw new Error(`preflight must not run ${argv.join(" ")} here`);
};

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  return "(no refusal)";
}

describe("supervisor preflight", () => {
  test("systemd: no systemctl on PATH", async () => {
    const ctx = makeContext(m(), { env: { ...env, PATH: tmp }, run: neverRun, isRoot: true });
    expect(await refusal(systemdService().preflight(ctx))).toContain("systemctl was not found");
  });

  test("systemd: system scope needs root", async () => {
    const bin = join(tmp, "bin1");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "systemctl"), "#!/bin/sh\necho running\n");
    chmodSync(join(bin, "systemctl"), 0o755);
    const ctx = makeContext(m({ scope: "system" }), { env: { ...env, PATH: bin }, run: neverRun, isRoot: false });
    expect(await refusal(systemdService().preflight(ctx))).toContain("needs root");
  });

  test("systemd: a user manager that does not answer is refused with the reason", async () => {
    const run: CommandRunner = async () => ({ code: 1, stdout: "", stderr: "Failed to connect to bus: No such file or directory" });
    const ctx = makeContext(m(), { env: { ...env, PATH: process.env.PATH }, run, isRoot: false });
    const msg = await refusal(systemdService().preflight(ctx));
    expect(msg).toContain("does not answer");
    expect(msg).toContain("Failed to connect to bus");
  });

  test("cron: no crontab on PATH, and system scope without root", async () => {
    const task = { preset: "persistent-task" };
    expect(await refusal(cronSupervisor().preflight(makeContext(m(task), { env: { ...env, PATH: tmp }, run: neverRun, isRoot: false })))).toContain("crontab");
    expect(await refusal(cronSupervisor().preflight(makeContext(m({ ...task, scope: "system" }), { env: { ...env, PATH: tmp }, run: neverRun, isRoot: false })))).toContain("needs root");
  });
});

describe("stable binary path", () => {
  const real = join(tmp, "versions/1.2.3/headroom");
  mkdirSync(join(tmp, "versions/1.2.3"), { recursive: true });
  writeFileSync(real, "#!/bin/sh\n");
  chmodSync(real, 0o755);
  mkdirSync(join(tmp, "pathbin"), { recursive: true });
  symlinkSync(real, join(tmp, "pathbin/headroom"));

  test("a headroom on PATH that resolves to the running executable wins over the versioned path", () => {
    expect(stableBinPath({ PATH: join(tmp, "pathbin") }, real)).toBe(join(tmp, "pathbin/headroom"));
  });

  test("a headroom on PATH that is another executable is ignored", () => {
    const other = join(tmp, "other");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "headroom"), "#!/bin/sh\n");
    chmodSync(join(other, "headroom"), 0o755);
    expect(stableBinPath({ PATH: other }, real)).toBe(real);
  });

  test("HEADROOM_BIN overrides; running from source under bun needs it", () => {
    expect(stableBinPath({ PATH: "", HEADROOM_BIN: real }, "/usr/bin/bun")).toBe(real);
    expect(runningFromSource("/home/u/.bun/bin/bun")).toBe(true);
    expect(() => stableBinPath({ PATH: "" }, "/home/u/.bun/bin/bun")).toThrow(/HEADROOM_BIN/);
    expect(() => stableBinPath({ HEADROOM_BIN: join(tmp, "missing") }, real)).toThrow(/does not exist/);
  });
});
