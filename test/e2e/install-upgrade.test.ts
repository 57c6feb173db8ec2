// An upgrade under running deployments, end to end on a real systemd user manager:
// install.sh (run by dash, against a local release folder served over HTTP) installs
// build A, a persistent-service and a persistent-task deployment run from it, then
// install.sh installs build B. With HEADROOM_NO_RESTART=1 the runtimes stay on A and
// `install status` names the skew; a reinstall of the version the runtimes run restarts
// nothing; a plain upgrade swaps the file by rename, restarts both deployments through
// their supervisors and ends with B answering /health and no skew line, while /livez,
// polled all along, fails for at most one short stretch (the restart's gap).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildRelease } from "../../scripts/release.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { type ReleaseServer, runInstallSh, serveFolder, tempDir } from "./distribution-support.ts";
import { freePort, killAll, runtimePids, until } from "./install-support.ts";

const hostTarget = `linux-${process.arch}`;
const skip = systemdSkipReason() ?? (!["x64", "arm64"].includes(process.arch) ? `no release target for ${process.arch}` : null);

const A = `${pkg.version}-upgrade.1`;
const B = `${pkg.version}-upgrade.2`;

interface Health { version: string; pid: number; deployment?: { profile?: string } }

async function health(port: number): Promise<Health | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return r.ok ? ((await r.json()) as Health) : null;
  } catch {
    return null;
  }
}

describe.skipIf(skip !== null)("upgrading with install.sh under running deployments (systemd)", () => {
  let root = "";
  let server: ReleaseServer;
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let bin = "";
  let ws = "";
  let port = 0;
  let taskPort = 0;
  const svc = "up";
  const task = "uptask";

  const install = (version: string, extra: Record<string, string> = {}) =>
    runInstallSh({ HEADROOM_DOWNLOAD_URL: server.url, HEADROOM_VERSION: version, XDG_RUNTIME_DIR: sd.runtimeDir, ...extra }, { home: sd.home, path: `${join(sd.home, ".local", "bin")}:/usr/local/bin:/usr/bin:/bin` });

  async function hrun(args: string[]) {
    const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const p = Bun.spawn([bin, ...args], { env: clean, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 90_000 });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    root = tempDir("upgrade");
    const base = join(root, "release");
    // Two builds of this source that differ only in the version they embed.
    const saved = process.env.HEADROOM_BUILD_VERSION;
    try {
      for (const v of [A, B]) {
        process.env.HEADROOM_BUILD_VERSION = v;
        await buildRelease({ outDir: base, targets: [hostTarget], log: () => {} });
      }
    } finally {
      if (saved === undefined) delete process.env.HEADROOM_BUILD_VERSION;
      else process.env.HEADROOM_BUILD_VERSION = saved;
    }
    server = serveFolder(base);
    sd = await startUserManager({ prefix: "headroom-upgrade-" });
    ws = join(sd.home, ".headroom");
    bin = join(sd.home, ".local", "bin", "headroom");
    env = { ...sd.env, PATH: `${join(sd.home, ".local", "bin")}:${process.env.PATH}`, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: "systemd" };
    port = await freePort();
    taskPort = await freePort();
  }, 180_000);

  afterAll(async () => {
    if (sd) {
      for (const p of [svc, task]) await hrun(["install", "remove", "--profile", p]).catch(() => {});
      killAll([...runtimePids(svc, ws), ...runtimePids(task, ws)]);
      await sd.stop();
    }
    server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  test("build A installed by install.sh; a service and a watchdog deployment run it", async () => {
    const r = await install(A);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`installed headroom ${A} at ${bin}`);
    mkdirSync(ws, { recursive: true });
    const a = await hrun(["install", "apply", "--profile", svc, "--providers", "manual", "--target", "claude", "--port", String(port)]);
    expect(a.code, a.stderr).toBe(0);
    const t = await hrun(["install", "apply", "--profile", task, "--preset", "persistent-task", "--scope", "provider", "--providers", "manual", "--target", "codex", "--port", String(taskPort)]);
    expect(t.code, t.stderr).toBe(0);
    expect((await health(port))?.version).toBe(A);
    expect((await health(taskPort))?.version).toBe(A);
  }, 120_000);

  test("HEADROOM_NO_RESTART=1: the binary is B, the runtimes stay on A, and status names the skew", async () => {
    const before = (await health(port))!;
    const r = await install(B, { HEADROOM_NO_RESTART: "1" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`upgraded headroom ${A} -> ${B} at ${bin}`);
    expect(r.stdout).toContain("HEADROOM_NO_RESTART=1: running deployments keep their version");
    expect(r.stdout).toContain("headroom install restart");
    expect(await health(port)).toMatchObject({ version: A, pid: before.pid });

    const s = await hrun(["install", "status", "--profile", svc, "--json"]);
    expect(s.code).toBe(0); // still healthy: an old version is a warning
    const j = JSON.parse(s.stdout);
    expect(j.version).toMatchObject({ kind: "older", runtime: A, binary: B, fix: `headroom install restart --profile ${svc}` });
    expect(j.problems).toContain(`The runtime on port ${port} is headroom ${A}, older than this binary (${B}): it still runs the program it started with; \`headroom install restart --profile ${svc}\` switches it to ${B}.`);
    const text = await hrun(["install", "status", "--profile", svc]);
    expect(text.stdout).toContain(`  version     ${A} (this binary: ${B})`);
    expect(text.stdout).toContain(`! The runtime on port ${port} is headroom ${A}, older than this binary (${B})`);
  }, 60_000);

  test("reinstalling the version the runtimes run restarts nothing", async () => {
    const before = [(await health(port))!.pid, (await health(taskPort))!.pid];
    const r = await install(A);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`upgraded headroom ${B} -> ${A}`);
    expect(r.stdout).toContain(`profile "${svc}" (persistent-service, port ${port}) already runs ${A}`);
    expect(r.stdout).toContain(`profile "${task}" (persistent-task, port ${taskPort}) already runs ${A}`);
    expect([(await health(port))!.pid, (await health(taskPort))!.pid]).toEqual(before);
  }, 60_000);

  test("a plain upgrade to B: file swapped by rename, both deployments restarted through their supervisors, serving throughout but for the restart gap, ending on B with no skew", async () => {
    const before = (await health(port))!;
    const taskBefore = (await health(taskPort))!;
    const inode = statSync(bin).ino;

    // /livez every 10 ms while install.sh runs.
    const polls: { at: number; ok: boolean }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const at = performance.now();
        let ok = false;
        try {
          ok = (await fetch(`http://127.0.0.1:${port}/livez`, { signal: AbortSignal.timeout(500) })).ok;
        } catch {}
        polls.push({ at, ok });
        await Bun.sleep(10);
      }
    })();
    await until(async () => polls.length >= 5, 5000, 10);
    const r = await install(B);
    // Until the new runtime answers (install.sh waits for that already).
    await until(async () => (await health(port))?.version === B, 10_000);
    await Bun.sleep(100);
    polling = false;
    await poller;

    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`upgraded headroom ${A} -> ${B} at ${bin}`);
    const after = (await health(port))!;
    const taskAfter = (await health(taskPort))!;
    expect(r.stdout).toContain(`restarted profile "${svc}" (persistent-service, port ${port}): ${A} -> ${B}, healthy (pid ${after.pid})`);
    expect(r.stdout).toContain(`restarted profile "${task}" (persistent-task, port ${taskPort}): ${A} -> ${B}, healthy (pid ${taskAfter.pid})`);
    expect(r.stdout).not.toContain("run 'headroom install restart'");
    expect(statSync(bin).ino).not.toBe(inode);
    expect(readdirSync(join(sd.home, ".local", "bin"))).toEqual(["headroom"]);
    expect(after.version).toBe(B);
    expect(after.pid).not.toBe(before.pid);
    expect(taskAfter.version).toBe(B);
    expect(taskAfter.pid).not.toBe(taskBefore.pid);
    // The service unit's main process is the new runtime (systemd restarted it, nobody else).
    const main = Number((await sd.systemctl(["show", `headroom-${svc}.service`, "-p", "MainPID", "--value"])).stdout.trim());
    expect(main).toBe(after.pid);

    // Served before and after; at most one stretch of failed polls: the restart itself.
    expect(polls[0]!.ok).toBe(true);
    expect(polls.at(-1)!.ok).toBe(true);
    const stretches: { from: number; to: number; n: number }[] = [];
    for (let i = 0; i < polls.length; i++) {
      if (polls[i]!.ok) continue;
      const start = i;
      while (i < polls.length && !polls[i]!.ok) i++;
      stretches.push({ from: polls[start - 1]!.at, to: polls[i]!.at, n: i - start });
    }
    expect(stretches.length).toBeLessThanOrEqual(1);
    const gap = stretches[0] ? Math.round(stretches[0].to - stretches[0].from) : 0;
    console.log(`upgrade: ${polls.length} /livez polls during install.sh, ${stretches[0]?.n ?? 0} failed; longest gap between two answers ${gap} ms`);

    // status from B: no skew line, version the same.
    const s = await hrun(["install", "status", "--profile", svc, "--json"]);
    expect(s.code).toBe(0);
    const j = JSON.parse(s.stdout);
    expect(j.version).toEqual({ kind: "same", runtime: B, binary: B });
    expect(j.problems.filter((p: string) => /older|newer|another build/.test(p))).toEqual([]);
    const all = await hrun(["install", "status", "--all"]);
    expect(all.stdout).not.toContain("this binary");
  }, 120_000);
});
