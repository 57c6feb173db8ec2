// persistent-service on a real systemd user manager (one per file, own HOME and
// XDG_RUNTIME_DIR): apply, crash recovery, stop/start/restart, status, refusals,
// rollback of a failed re-apply, and remove. Runs against the compiled binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Journald, journaldAvailable, startJournald } from "../support/journald.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { binPath, freePort, health, healthyAs, hr, isOneSentence, killAll, runtimePids, until } from "./install-support.ts";

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("install persistent-service on systemd", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let port: number;
  let ws: string;
  const profile = "svc";
  const unitPath = () => join(sd.home, ".config/systemd/user", `headroom-${profile}.service`);
  const base = () => ["--profile", profile, "--providers", "manual", "--target", "claude", "--scope", "user"];
  const envArgs = ["--env", "HEADROOM_TEST_MARK=a b%c", "--env", "HEADROOM_PROXY_TOKEN=tok a%b$c"];

  let jd: Journald | undefined;

  beforeAll(async () => {
    // The unit logs to the journal, as on a real machine: a failure's message quotes it.
    if (!journaldAvailable()) jd = await startJournald();
    sd = await startUserManager({ prefix: "headroom-svc-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: undefined };
    port = await freePort();
  }, 30_000);

  afterAll(async () => {
    if (!sd) return;
    const left = existsSync(join(ws, "deploy")) ? readdirSync(join(ws, "deploy")) : [];
    for (const p of left) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    await sd.stop();
    await jd?.stop();
  }, 60_000);

  test("apply installs an active unit whose runtime reports this profile; the manifest is private", async () => {
    const r = await hr(["install", "apply", ...base(), "--port", String(port), ...envArgs], env);
    expect(r.stderr + r.stdout).toContain("healthy");
    expect(r.code).toBe(0);
    const h = await health(port);
    expect(h?.deployment).toEqual({ profile, preset: "persistent-service", runtime: "native", supervisor: "service", scope: "user" });
    expect((await sd.systemctl(["is-active", `headroom-${profile}.service`])).stdout.trim()).toBe("active");
    const mainPid = Number((await sd.systemctl(["show", `headroom-${profile}.service`, "-p", "MainPID", "--value"])).stdout.trim());
    expect(h?.pid).toBe(mainPid);
    const manifestFile = join(ws, "deploy", profile, "manifest.json");
    expect(statSync(manifestFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws, "deploy", profile)).mode & 0o777).toBe(0o700);
    const m = JSON.parse(readFileSync(manifestFile, "utf8"));
    expect(m).toMatchObject({ profile, port, preset: "persistent-service", targets: ["claude"], env: { HEADROOM_TEST_MARK: "a b%c", HEADROOM_PROXY_TOKEN: "tok a%b$c" } });
    const unit = readFileSync(unitPath(), "utf8");
    expect(unit).toContain(`ExecStart=${binPath} install agent run --profile ${profile}`);
    expect(unit).toContain(`Environment=HEADROOM_WORKSPACE_DIR=${ws}`);
    // The unit is world-readable (0644): it names the profile, the runner reads the values from the manifest.
    expect(statSync(unitPath()).mode & 0o777).toBe(0o644);
    expect(unit).not.toContain("HEADROOM_TEST_MARK");
    expect(unit).not.toContain("tok a");
    expect(unit).toContain("Restart=on-failure");
    expect(unit).toContain("WantedBy=default.target");
    // The runtime really got the --env values from the manifest: with a proxy token set, /health says so.
    const cfg = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { config?: { token_required?: boolean } };
    expect(cfg.config?.token_required).toBe(true);
    const environ = readFileSync(`/proc/${mainPid}/environ`, "utf8");
    expect(environ).not.toContain("tok a");
    expect(statSync(join(ws, "deploy", profile, "runner.log")).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws, "deploy", profile, "identity.key")).mode & 0o777).toBe(0o600);
  }, 60_000);

  test("re-applying the same arguments is idempotent: one unit, healthy again", async () => {
    const r = await hr(["install", "apply", ...base(), "--port", String(port), ...envArgs, "--json"], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, replaced: true, manifest: { profile, port } });
    expect(out.pid).toBe((await health(port))?.pid);
    const units = readdirSync(join(sd.home, ".config/systemd/user")).filter((f) => f.startsWith("headroom-"));
    expect(units).toEqual([`headroom-${profile}.service`]);
    expect((await healthyAs(port, profile))?.deployment?.profile).toBe(profile);
  }, 60_000);

  test("kill -9 of the main pid: systemd restarts it and it is healthy with a new pid", async () => {
    const before = (await health(port))!.pid;
    process.kill(before, "SIGKILL");
    const after = await healthyAs(port, profile, before);
    expect(after).not.toBeNull();
    expect(after!.pid).not.toBe(before);
  }, 60_000);

  test("status reports the supervisor's view and exits 0 when healthy", async () => {
    const r = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ profile, preset: "persistent-service", port, healthy: true, ready: true, isThisDeployment: true, targets: ["claude"] });
    expect(s.supervisorView.kind).toBe("systemd");
    expect(s.supervisorView.restarts).toBeGreaterThanOrEqual(1);
    expect(s.supervisorView.pid).toBe((await health(port))!.pid);
    const text = await hr(["install", "status", "--profile", profile], env);
    expect(text.stdout).toContain("healthy");
    // The manager is asked over its private socket, not through systemctl: with no
    // systemctl to run, status still has the unit's pid and restart count.
    const noTools = await hr(["install", "status", "--profile", profile, "--json"], { ...env, PATH: "/nonexistent" });
    expect(noTools.code).toBe(0);
    expect(JSON.parse(noTools.stdout).supervisorView).toEqual(s.supervisorView);
  }, 30_000);

  test("restart gives a new healthy pid", async () => {
    const before = (await health(port))!.pid;
    const r = await hr(["install", "restart", "--profile", profile], env);
    expect(r.code).toBe(0);
    const h = await health(port);
    expect(h?.deployment?.profile).toBe(profile);
    expect(h!.pid).not.toBe(before);
  }, 60_000);

  test("stop frees the port and status exits non-zero; start brings it back", async () => {
    const r = await hr(["install", "stop", "--profile", profile], env);
    expect(r.code).toBe(0);
    expect(await health(port)).toBeNull();
    const s = await hr(["install", "status", "--profile", profile], env);
    expect(s.code).not.toBe(0);
    expect(s.stdout).toContain("NOT healthy");
    const st = await hr(["install", "start", "--profile", profile], env);
    expect(st.code).toBe(0);
    expect((await health(port))?.deployment?.profile).toBe(profile);
  }, 60_000);

  test("a failed re-apply (the new runtime crashes) restores the previous deployment, healthy", async () => {
    const broken = join(sd.home, "broken-headroom");
    writeFileSync(broken, "#!/bin/sh\necho 'broken build' >&2\nexit 3\n");
    chmodSync(broken, 0o755);
    const oldPid = (await health(port))!.pid;
    const r = await hr(["install", "apply", ...base(), "--port", String(port), "--mode", "cache"], { ...env, HEADROOM_BIN: broken });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("was restored and is healthy");
    expect(r.stderr).toContain("broken build");
    expect(isOneSentence(r.stderr)).toBe(true);
    const h = await health(port);
    expect(h?.deployment?.profile).toBe(profile);
    expect(h!.pid).not.toBe(oldPid);
    const m = JSON.parse(readFileSync(join(ws, "deploy", profile, "manifest.json"), "utf8"));
    expect(m.binPath).toBe(binPath);
    expect(m.proxy.mode).toBe("auto");
    expect(readFileSync(unitPath(), "utf8")).toContain(`ExecStart=${binPath} `);
    expect(runtimePids(profile, ws)).toEqual([h!.pid]);
  }, 90_000);

  test("a port served by a foreign HTTP server (even one answering /readyz) is refused before anything is written", async () => {
    const fport = await freePort();
    const server = Bun.serve({ hostname: "127.0.0.1", port: fport, fetch: (req) => (new URL(req.url).pathname === "/readyz" ? Response.json({ ready: true }) : Response.json({ status: "healthy", pid: 1 })) });
    try {
      const r = await hr(["install", "apply", "--profile", "intruder", "--providers", "manual", "--target", "claude", "--port", String(fport)], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Port ${fport}`);
      expect(r.stderr).toContain("--port");
      expect(isOneSentence(r.stderr)).toBe(true);
      expect(existsSync(join(ws, "deploy", "intruder"))).toBe(false);
      expect(existsSync(join(sd.home, ".config/systemd/user/headroom-intruder.service"))).toBe(false);
    } finally {
      server.stop(true);
    }
  }, 30_000);

  test("the port of this running profile is refused for another profile", async () => {
    const r = await hr(["install", "apply", "--profile", "second", "--providers", "manual", "--target", "claude", "--port", String(port)], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`"${profile}"`);
    expect(existsSync(join(ws, "deploy", "second"))).toBe(false);
  }, 30_000);

  test("no answering systemd user manager is refused before anything is written", async () => {
    const lonely = join(sd.home, "no-manager-run");
    mkdirSync(lonely, { recursive: true, mode: 0o700 });
    const r = await hr(["install", "apply", "--profile", "nomgr", "--providers", "manual", "--target", "claude", "--port", String(await freePort())], { ...env, XDG_RUNTIME_DIR: lonely });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("systemd user manager does not answer");
    expect(isOneSentence(r.stderr)).toBe(true);
    expect(existsSync(join(ws, "deploy", "nomgr"))).toBe(false);
    expect(existsSync(join(sd.home, ".config/systemd/user/headroom-nomgr.service"))).toBe(false);
  }, 30_000);

  test("bad input is one sentence with exit 2 and changes nothing", async () => {
    const cases: [string[], RegExp][] = [
      [["--profile", "../evil"], /not a valid profile name/],
      [["--profile", ".."], /not a valid profile name/],
      [["--port", "0"], /--port must be a port number/],
      [["--port", "70000"], /--port must be a port number/],
      [["--port", "12ab"], /--port must be a port number/],
      [["--preset", "forever"], /--preset must be one of/],
      [["--scope", "galaxy"], /--scope must be one of/],
      [["--runtime", "jvm"], /--runtime must be one of/],
      [["--env", "NOEQUALS"], /--env takes NAME=VALUE/],
      [["--anthropic-api-url", "not a url"], /--anthropic-api-url must be an http\(s\) URL/],
    ];
    for (const [args, msg] of cases) {
      const r = await hr(["install", "apply", "--providers", "manual", "--target", "claude", "--profile", "badinput", ...args], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
      expect(isOneSentence(r.stderr)).toBe(true);
    }
    expect(existsSync(join(ws, "deploy", "badinput"))).toBe(false);
    expect(existsSync(join(ws, "deploy", "evil"))).toBe(false);
  }, 60_000);

  test("a corrupt manifest is a clear error naming the file; nothing is changed", async () => {
    const dir = join(ws, "deploy", "broken");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "manifest.json"), '{"schemaVersion": 1, "profile": ');
    for (const cmd of [["status"], ["start"], ["remove"], ["apply", "--providers", "manual", "--target", "claude", "--port", String(await freePort())]]) {
      const r = await hr(["install", ...cmd, "--profile", "broken"], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(join(dir, "manifest.json"));
      expect(isOneSentence(r.stderr)).toBe(true);
    }
    expect(readFileSync(join(dir, "manifest.json"), "utf8")).toBe('{"schemaVersion": 1, "profile": ');
    expect(existsSync(join(sd.home, ".config/systemd/user/headroom-broken.service"))).toBe(false);
    const all = await hr(["install", "status", "--all", "--json"], env);
    const parsed = JSON.parse(all.stdout);
    expect(parsed.errors.map((e: { profile: string }) => e.profile)).toContain("broken");
    // --force replaces it, saying so, and the result is a working profile.
    const fport = await freePort();
    const forced = await hr(["install", "apply", "--profile", "broken", "--providers", "manual", "--target", "claude", "--port", String(fport), "--force"], env);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(`Replacing the unreadable manifest ${join(dir, "manifest.json")}`);
    expect((await health(fport))?.deployment?.profile).toBe("broken");
    expect((await hr(["install", "remove", "--profile", "broken"], env)).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  test("status reports configuration drift when the user takes the managed block out", async () => {
    const profileFile = join(sd.home, ".profile");
    const text = readFileSync(profileFile, "utf8");
    expect(text).toContain("# >>> headroom persistent env >>>");
    writeFileSync(profileFile, text.replace(/# >>> headroom persistent env >>>[\s\S]*?# <<< headroom persistent env <<<\n?/, ""));
    const r = await hr(["install", "status", "--profile", profile, "--json"], env);
    const s = JSON.parse(r.stdout);
    expect(s.problems.some((p: string) => p.startsWith("Configuration drift") && p.includes(profileFile))).toBe(true);
    expect(r.code).toBe(0); // drift is reported, but the deployment itself is healthy
  }, 30_000);

  test("status names a crash-looping unit and exits non-zero", async () => {
    // Break the installed unit behind headroom's back: its command now fails at once.
    const unit = readFileSync(unitPath(), "utf8").replace(/^ExecStart=.*$/m, "ExecStart=/bin/false");
    writeFileSync(unitPath(), unit);
    await sd.systemctl(["daemon-reload"]);
    await sd.systemctl(["restart", `headroom-${profile}.service`]);
    const looping = await until(async () => {
      const r = await hr(["install", "status", "--profile", profile, "--json"], env);
      const s = JSON.parse(r.stdout);
      return r.code !== 0 && s.problems.some((p: string) => /crash-looping|failed/.test(p)) ? s : null;
    }, 30_000, 200);
    expect(looping).not.toBeNull();
    expect(looping.healthy).toBe(false);
  }, 60_000);

  test("a remove step that fails is reported, the rest still runs, and the folder is kept for a second remove", async () => {
    const home2 = join(sd.home, "h2");
    mkdirSync(home2, { recursive: true });
    const env2 = { ...env, HOME: home2, XDG_CONFIG_HOME: join(sd.home, ".config") }; // the manager reads units from there
    const p2 = await freePort();
    expect((await hr(["install", "apply", "--profile", "stubborn", "--providers", "manual", "--target", "claude", "--port", String(p2)], env2)).code).toBe(0);
    const shellFile = join(home2, ".profile");
    const saved = readFileSync(shellFile);
    rmSync(shellFile);
    mkdirSync(shellFile); // the edited file is now something that cannot be restored
    const r = await hr(["install", "remove", "--profile", "stubborn"], env2);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(shellFile);
    expect(r.stderr).toContain("kept");
    expect(await health(p2)).toBeNull(); // the runtime and the unit still went away
    expect(existsSync(join(sd.home, ".config/systemd/user/headroom-stubborn.service"))).toBe(false);
    expect(existsSync(join(ws, "deploy", "stubborn", "manifest.json"))).toBe(true);
    rmSync(shellFile, { recursive: true });
    writeFileSync(shellFile, saved);
    const again = await hr(["install", "remove", "--profile", "stubborn"], env2);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe("");
    expect(existsSync(join(ws, "deploy", "stubborn"))).toBe(false);
  }, 60_000);

  test("remove leaves no unit, no profile folder and nothing listening", async () => {
    const r = await hr(["install", "remove", "--profile", profile], env);
    expect(r.code).toBe(0);
    expect(existsSync(unitPath())).toBe(false);
    expect(existsSync(join(ws, "deploy", profile))).toBe(false);
    expect(await health(port)).toBeNull();
    expect(runtimePids(profile, ws)).toEqual([]);
    for (const f of [".profile", ".bashrc", ".zshrc"]) {
      const path = join(sd.home, f);
      if (existsSync(path)) expect(readFileSync(path, "utf8")).not.toContain("headroom persistent env");
    }
    const listed = await sd.systemctl(["list-units", "--all", "--plain", "--no-legend", "headroom-*"]);
    expect(listed.stdout.trim()).toBe("");
    const s = await hr(["install", "status", "--profile", profile], env);
    expect(s.code).not.toBe(0);
  }, 60_000);
});
