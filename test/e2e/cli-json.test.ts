// Scripts can trust the install commands: on a real systemd user manager (own HOME and
// XDG_RUNTIME_DIR), every install command with --json prints exactly one JSON object on
// stdout and nothing on stderr, on success and on failure, and the exit codes tell
// "not installed" (3), "stopped" (4) and "unhealthy" (5) apart. The progress line shows
// on a terminal (util-linux `script` gives the binary a pty) during a wait, and never in
// a pipe.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { binPath, freePort, health, hr, killAll, runtimePids } from "./install-support.ts";

const skip = systemdSkipReason();

/** Exactly one JSON object on stdout (one line), nothing on stderr. */
function oneObject(r: { stdout: string; stderr: string }): Record<string, unknown> {
  expect(r.stderr).toBe("");
  const lines = r.stdout.split("\n").filter(Boolean);
  expect(lines.length).toBe(1);
  const v = JSON.parse(lines[0]!);
  expect(typeof v).toBe("object");
  return v;
}

describe.skipIf(skip !== null)("install commands for scripts, on systemd", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let port: number;
  let ws: string;
  const profile = "js";
  const base = () => ["--profile", profile, "--providers", "manual", "--target", "claude"];

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-cli-json-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, CI: undefined, FORCE_COLOR: undefined, NO_COLOR: undefined };
    port = await freePort();
  }, 30_000);

  afterAll(async () => {
    if (!sd) return;
    const left = existsSync(join(ws, "deploy")) ? readdirSync(join(ws, "deploy")) : [];
    for (const p of left) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    await sd.stop();
  }, 60_000);

  test("not installed: every command exits 3 with one object naming the profile", async () => {
    for (const cmd of ["status", "start", "stop", "restart", "remove"]) {
      const r = await hr(["install", cmd, "--profile", profile, "--json"], env);
      expect(r.code).toBe(3);
      const o = oneObject(r);
      expect(o).toMatchObject({ ok: false, code: 3 });
      expect(o.error).toContain(`No deployment profile "${profile}"`);
    }
    const all = await hr(["install", "status", "--all", "--json"], env);
    expect(all.code).toBe(3);
    expect(oneObject(all)).toMatchObject({ ok: false, code: 3, profiles: [], errors: [] });
  });

  test("apply --json: one object with the manifest; its warnings inside it, not on stderr", async () => {
    const r = await hr(["install", "apply", ...base(), "--port", String(port), "--json"], env);
    expect(r.code).toBe(0);
    const o = oneObject(r);
    expect(o).toMatchObject({ ok: true, replaced: false, manifest: { profile, port, preset: "persistent-service" } });
    expect(typeof o.pid).toBe("number");
    expect(Array.isArray(o.warnings)).toBe(true);
    expect((await health(port))?.deployment?.profile).toBe(profile);
  }, 60_000);

  test("status --json: ok and code 0 with the report", async () => {
    const r = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(r.code).toBe(0);
    expect(oneObject(r)).toMatchObject({ ok: true, code: 0, profile, healthy: true, isThisDeployment: true });
  });

  test("stop --json, then status exits 4 (stopped); start --json brings it back", async () => {
    const stop = await hr(["install", "stop", "--profile", profile, "--json"], env);
    expect(stop.code).toBe(0);
    expect(oneObject(stop)).toEqual({ ok: true, profile, port, paused: false });
    expect(await health(port)).toBeNull();
    const st = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(st.code).toBe(4);
    expect(oneObject(st)).toMatchObject({ ok: false, code: 4, healthy: false });
    // The plain form says the same with the same code.
    const text = await hr(["install", "status", "--profile", profile], env);
    expect(text.code).toBe(4);
    expect(text.stdout).toContain("NOT healthy");
    const start = await hr(["install", "start", "--profile", profile, "--json"], env);
    expect(start.code).toBe(0);
    const o = oneObject(start);
    expect(o).toMatchObject({ ok: true, profile, port });
    expect(o.pid).toBe((await health(port))!.pid);
  }, 60_000);

  test("something else on the port of a stopped profile: status exits 5 (unhealthy), start fails with one object", async () => {
    expect((await hr(["install", "stop", "--profile", profile], env)).code).toBe(0);
    const foreign = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("not headroom", { status: 404 }) });
    try {
      const st = await hr(["install", "status", "--profile", profile, "--json"], env);
      expect(st.code).toBe(5);
      expect(oneObject(st)).toMatchObject({ ok: false, code: 5, isThisDeployment: false });
      const start = await hr(["install", "start", "--profile", profile, "--json"], env);
      expect(start.code).toBe(1);
      const o = oneObject(start);
      expect(o).toMatchObject({ ok: false, code: 1 });
      expect(o.error).toContain(`Port ${port}`);
    } finally {
      foreign.stop(true);
    }
    expect((await hr(["install", "start", "--profile", profile], env)).code).toBe(0);
  }, 60_000);

  test("restart --json: a new pid in the object", async () => {
    const before = (await health(port))!.pid;
    const r = await hr(["install", "restart", "--profile", profile, "--json"], env);
    expect(r.code).toBe(0);
    const o = oneObject(r);
    expect(o).toMatchObject({ ok: true, profile, port });
    expect(o.pid).not.toBe(before);
    expect(o.pid).toBe((await health(port))!.pid);
  }, 60_000);

  test("--quiet: a successful command prints nothing; status -q only sets the exit code", async () => {
    const r = await hr(["install", "restart", "--profile", profile, "--quiet"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const st = await hr(["install", "status", "--profile", profile, "-q"], env);
    expect(st.code).toBe(0);
    expect(st.stdout).toBe("");
  }, 60_000);

  test("a slow apply shows a progress line on a terminal and none in a pipe", async () => {
    // A runtime that takes 1.5 s to start, so the wait is well past the half second.
    const slow = join(sd.home, "slow-headroom");
    writeFileSync(slow, `#!/bin/sh\nsleep 1.5\nexec ${binPath} "$@"\n`);
    chmodSync(slow, 0o755);
    const args = ["install", "apply", ...base(), "--port", String(port)];
    const piped = await hr(args, { ...env, HEADROOM_BIN: slow });
    expect(piped.code).toBe(0);
    expect(piped.stderr + piped.stdout).not.toContain("\r");
    expect(piped.stderr).not.toContain("Applying profile");
    const clean = Object.fromEntries(Object.entries({ ...env, HEADROOM_BIN: slow, TERM: "xterm" }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const quoted = [binPath, ...args].map((a) => `'${a}'`).join(" ");
    const p = Bun.spawn(["script", "-qec", quoted, "/dev/null"], { env: clean, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 90_000 });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    expect(out).toContain(`Applying profile "${profile}"`);
    expect(out).toContain("\r\u001b[2K"); // drawn, then erased
    expect(out).toMatch(/Updated profile "js"/);
  }, 120_000);

  test("remove --json, then status exits 3 again", async () => {
    const r = await hr(["install", "remove", "--profile", profile, "--json"], env);
    expect(r.code).toBe(0);
    expect(oneObject(r)).toEqual({ ok: true, profile, removed: true, problems: [] });
    expect((await hr(["install", "status", "--profile", profile], env)).code).toBe(3);
  }, 60_000);
});
