// Logs where the supervisor keeps them, on a real systemd user manager with the real
// journald (started by hand: PID 1 is not systemd here). A persistent-service runtime's
// lines reach the journal under SYSLOG_IDENTIFIER=headroom-<p> and never runner.log;
// `install logs` shows them (text, -n, --json, -f across a restart). A watchdog
// deployment (systemd timer) keeps runner.log, which `install logs` reads as a file.
// The journal here has no unit metadata (no cgroups), so `journalctl --user -u` cannot be
// shown to work on this machine; the identifier is what both the test and the product
// match.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Journald, journalLines, journaldAvailable, startJournald } from "../support/journald.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { binPath, freePort, health, hr, killAll, runtimePids, until } from "./install-support.ts";

const skip = systemdSkipReason() ?? (() => {
  const r = journaldAvailable();
  if (r && process.env.CI === "true") throw new Error(`CI must run the journald tests: ${r}`);
  if (r) console.warn(`skipping journald tests: ${r}`);
  return r;
})();

describe.skipIf(skip !== null)("install logs: the journal for a systemd service, runner.log for a watchdog", () => {
  let jd: Journald;
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let ws: string;
  let port: number;
  let taskPort: number;
  // Unique per run: the journal outlives the test's HOME.
  const profile = `lg${process.pid}`;
  const task = `lt${process.pid}`;
  const id = `headroom-${profile}`;

  beforeAll(async () => {
    jd = await startJournald();
    sd = await startUserManager({ prefix: "headroom-logs-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: "systemd" };
    port = await freePort();
    taskPort = await freePort();
  }, 40_000);

  afterAll(async () => {
    if (sd) {
      for (const p of [profile, task]) await hr(["install", "remove", "--profile", p], env).catch(() => {});
      killAll([...runtimePids(profile, ws), ...runtimePids(task, ws)]);
      await sd.stop();
    }
    await jd?.stop();
  }, 60_000);

  test("the service's output is in the journal under its identifier, as this user's, and not in runner.log", async () => {
    const r = await hr(["install", "apply", "--profile", profile, "--providers", "manual", "--target", "claude", "--port", String(port)], env);
    expect(r.code).toBe(0);
    const unit = readFileSync(join(sd.home, ".config/systemd/user", `${id}.service`), "utf8");
    expect(unit).toContain("\nStandardOutput=journal\n");
    expect(unit).toContain(`\nSyslogIdentifier=${id}\n`);
    const listening = await until(async () => journalLines(id).find((l) => l.includes(`listening on http://127.0.0.1:${port}`)), 15_000);
    expect(listening).toBeTruthy();
    // The entry came from the user manager's stream: this user's uid, the stdout transport.
    const entry = JSON.parse(Bun.spawnSync(["journalctl", "--no-pager", "-o", "json", "-n", "1", "-t", id]).stdout.toString().trim().split("\n").pop()!);
    expect(entry).toMatchObject({ SYSLOG_IDENTIFIER: id, _TRANSPORT: "stdout", _UID: String(process.getuid!()) });
    expect(Number(entry._PID)).toBe((await health(port))!.pid);
    // Nothing appends to runner.log any more (apply leaves it empty, and the runtime does not trim it).
    const log = join(ws, "deploy", profile, "runner.log");
    expect(existsSync(log) ? statSync(log).size : 0).toBe(0);
  }, 60_000);

  test("headroom leaves rotation to the journal: a runner.log past the trim size is not trimmed by the service's runtime", async () => {
    const log = join(ws, "deploy", profile, "runner.log");
    writeFileSync(log, "x".repeat(6 * 1024 * 1024));
    const before = (await health(port))!.pid;
    expect((await hr(["install", "restart", "--profile", profile], env)).code).toBe(0);
    expect((await health(port))!.pid).not.toBe(before);
    // A runtime started from runner.log's supervisors trims past 5 MiB at start; this one did not.
    expect(statSync(log).size).toBe(6 * 1024 * 1024);
    writeFileSync(log, "");
  }, 60_000);

  test("install logs shows those lines; -n bounds them; --json says where they come from", async () => {
    const text = await hr(["install", "logs", "--profile", profile], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`headroom proxy listening on http://127.0.0.1:${port}`);
    expect(text.stderr).toBe("");
    const one = await hr(["install", "logs", "--profile", profile, "-n", "1"], env);
    expect(one.stdout.trim().split("\n")).toHaveLength(1);
    expect(one.stdout.trim()).toBe(journalLines(id).at(-1)!);
    const j = await hr(["install", "logs", "--profile", profile, "--json", "-n", "all"], env);
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out).toMatchObject({ ok: true, profile, source: { kind: "journal", identifier: id, unit: `${id}.service`, scope: "user" } });
    expect(out.source.argv).toEqual(["journalctl", "--no-pager", "--output", "cat", "--lines", "all", "--identifier", id, `_UID=${process.getuid!()}`]);
    expect(out.lines).toEqual(journalLines(id));
    // -f with --json is refused as a usage error, with one JSON object.
    const bad = await hr(["install", "logs", "--profile", profile, "--json", "-f"], env);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, code: 2 });
  }, 30_000);

  test("-f follows: a restart's drain and new listening lines appear while it runs; SIGINT ends it with 0", async () => {
    const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const proc = Bun.spawn([binPath, "install", "logs", "--profile", profile, "-f", "-n", "0"], { env: clean, stdout: "pipe", stderr: "pipe" });
    let seen = "";
    const reader = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of proc.stdout) seen += dec.decode(chunk);
    })();
    await Bun.sleep(500);
    expect(seen).toBe(""); // -n 0: nothing from before it started
    expect((await hr(["install", "restart", "--profile", profile], env)).code).toBe(0);
    const got = await until(async () => seen.includes("listening on") && seen.includes("draining"), 15_000);
    expect(got).toBeTruthy();
    // The old runtime's drain, then the new one's start.
    expect(seen.indexOf("draining")).toBeLessThan(seen.lastIndexOf("listening on"));
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    await reader;
  }, 40_000);

  test("a watchdog deployment (systemd timer) keeps runner.log; install logs reads that file", async () => {
    const r = await hr(["install", "apply", "--profile", task, "--preset", "persistent-task", "--providers", "manual", "--target", "claude", "--port", String(taskPort)], env);
    expect(r.code).toBe(0);
    const log = join(ws, "deploy", task, "runner.log");
    await until(async () => readFileSync(log, "utf8").includes("listening on"), 15_000);
    const out = await hr(["install", "logs", "--profile", task, "--json"], env);
    const j = JSON.parse(out.stdout);
    expect(j).toMatchObject({ ok: true, source: { kind: "file", path: log }, exists: true });
    expect(j.lines).toEqual(readFileSync(log, "utf8").trimEnd().split("\n").slice(-50));
    expect(j.lines.some((l: string) => l.includes(`listening on http://127.0.0.1:${taskPort}`))).toBe(true);
    const text = await hr(["install", "logs", "--profile", task, "-n", "2"], env);
    expect(text.stdout).toBe(`${readFileSync(log, "utf8").trimEnd().split("\n").slice(-2).join("\n")}\n`);
    // Its lines are not in the journal under the service's kind of identifier.
    expect(journalLines(`headroom-${task}`)).toEqual([]);
  }, 60_000);

  test("a runtime that cannot start: apply's error quotes its last lines from the journal", async () => {
    const bad = `lb${process.pid}`;
    const missing = join(sd.home, "no-such-tokens.json");
    const r = await hr(["install", "apply", "--profile", bad, "--providers", "manual", "--target", "claude", "--port", String(await freePort()), "--env", `HEADROOM_TOKENS_FILE=${missing}`], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("did not become healthy");
    expect(r.stderr).toContain(`Last lines in the journal (\`headroom install logs --profile ${bad}\` shows more):`);
    const quoted = r.stderr.slice(r.stderr.indexOf("Last lines in the journal"));
    expect(quoted).toContain(missing);
    // What it quoted is what the journal holds for that identifier.
    const first = quoted.split("\n")[1]!.trim();
    expect(journalLines(`headroom-${bad}`).map((l) => l.trim())).toContain(first);
  }, 90_000);

  test("a profile that does not exist: exit 3", async () => {
    const r = await hr(["install", "logs", "--profile", "nope"], env);
    expect(r.code).toBe(3);
  });
});
