// Where each supervisor keeps a deployment's log and how `install logs` reads it: the
// journal's and docker's exact argument vectors, launchd's StandardOutPath parsed back
// from the rendered plist as the file read, runner.log read backwards and followed
// through appends and in-place trims, the runtime's console sent to a file (what a Task
// Scheduler runtime does), and the version comparison behind status's skew line.
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parsePlist } from "plist";
import { parseLines } from "../../../src/cli/install-logs.ts";
import { DEFAULT_LINES, describeSource, followFile, logArgv, logSource, logTailHint, tailLines } from "../../../src/install/logs.ts";
import { openSync, closeSync, fstatSync } from "node:fs";
import { consoleToFile, stdoutIsJournal, trimLog } from "../../../src/install/runtime-process.ts";
import { launchdInterval } from "../../../src/install/supervisors/launchd-interval.ts";
import { launchdKeepAlive } from "../../../src/install/supervisors/launchd-keepalive.ts";
import { writesOf } from "../../../src/install/steps.ts";
import { renderServiceUnit } from "../../../src/install/supervisors/systemd.ts";
import { describeOutcome, upgradeOne } from "../../../src/install/upgrade.ts";
import { compareVersions, runtimeSkew } from "../../../src/install/version-skew.ts";
import { context, manifest } from "../platforms/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "headroom-logs-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linux = (over = {}) => manifest({ os: "linux", workspaceDir: join(dir, "ws"), binPath: "/home/u/.local/bin/headroom", ...over });

describe("where the log is", () => {
  test("a systemd service: the journal, by identifier, with the user's _UID in user scope and none in system scope", () => {
    const src = logSource(linux({ supervisorState: { kind: "systemd" } }), {}, 1000);
    expect(src).toEqual({ kind: "journal", identifier: "headroom-default", unit: "headroom-default.service", scope: "user", uid: 1000 });
    expect(logArgv(src as never, { lines: 20 })).toEqual(["journalctl", "--no-pager", "--output", "cat", "--lines", "20", "--identifier", "headroom-default", "_UID=1000"]);
    expect(logArgv(src as never, { lines: undefined, follow: true })).toEqual(["journalctl", "--no-pager", "--output", "cat", "--lines", "all", "--follow", "--identifier", "headroom-default", "_UID=1000"]);
    const sys = logSource(linux({ scope: "system", profile: "team" }), {}, 0);
    expect(sys).toMatchObject({ kind: "journal", identifier: "headroom-team", scope: "system" });
    expect(logArgv(sys as never, { lines: 5 })).toEqual(["journalctl", "--no-pager", "--output", "cat", "--lines", "5", "--identifier", "headroom-team"]);
    expect(describeSource(src)).toContain("journalctl --user -u headroom-default.service");
    expect(describeSource(sys)).toContain("journalctl -u headroom-team.service");
  });

  test("the identifier the unit sets is the one journalctl is asked for", () => {
    const m = linux({ profile: "work" });
    const unit = renderServiceUnit(m, [m.binPath, "install", "agent", "run", "--profile", "work"]);
    const id = /^SyslogIdentifier=(.+)$/m.exec(unit)![1];
    const src = logSource(m, {}, 1000);
    expect(src.kind === "journal" && src.identifier).toBe(id!);
  });

  test("a unit of an older headroom that appends to runner.log: that file, and a note that apply moves it", () => {
    const unitDir = join(dir, "units");
    mkdirSync(unitDir, { recursive: true });
    writeFileSync(join(unitDir, "headroom-old.service"), "[Service]\nExecStart=/x\nStandardOutput=append:/somewhere/runner.log\n");
    const m = linux({ profile: "old", supervisorState: { kind: "systemd", unitDir } });
    const src = logSource(m, {});
    expect(src).toEqual({ kind: "file", path: join(dir, "ws", "deploy", "old", "runner.log"), writer: "the unit headroom-old.service", legacyUnit: "headroom-old.service" });
    expect(describeSource(src)).toContain("`headroom install apply` moves it to the journal");
    // The current unit, in the same place, is read from the journal.
    writeFileSync(join(unitDir, "headroom-old.service"), renderServiceUnit(m, ["/x"]));
    expect(logSource(m, {}).kind).toBe("journal");
  });

  test("persistent-docker: the container's log, with docker's own flags", () => {
    const src = logSource(linux({ preset: "persistent-docker", supervisor: "docker", runtime: "docker", profile: "box" }), {});
    expect(src).toEqual({ kind: "docker", container: "headroom-box" });
    expect(logArgv(src as never, { lines: 50 })).toEqual(["docker", "logs", "--tail", "50", "headroom-box"]);
    expect(logArgv(src as never, { lines: undefined, follow: true })).toEqual(["docker", "logs", "--tail", "all", "--follow", "headroom-box"]);
  });

  test("cron and a systemd timer's watchdog: runner.log in the profile folder", () => {
    const path = join(dir, "ws", "deploy", "default", "runner.log");
    expect(logSource(linux({ preset: "persistent-task", supervisor: "task", supervisorState: { kind: "cron" } }), {})).toEqual({ kind: "file", path, writer: "cron's watchdog" });
    expect(logSource(linux({ preset: "persistent-task", supervisor: "task", supervisorState: { kind: "systemd" } }), {})).toEqual({ kind: "file", path, writer: "the systemd watchdog" });
  });

  test("launchd: the file its plist names as StandardOutPath and StandardErrorPath is the one read", () => {
    for (const preset of ["persistent-service", "persistent-task"] as const) {
      const m = manifest({ preset, supervisor: preset === "persistent-service" ? "service" : "task" });
      const sup = preset === "persistent-service" ? launchdKeepAlive() : launchdInterval();
      const job = parsePlist(writesOf(sup.install(context(m)))[0]!.content as string) as Record<string, string>;
      const src = logSource(m, {});
      expect(src.kind).toBe("file");
      expect(job.StandardOutPath).toBe((src as { path: string }).path);
      expect(job.StandardErrorPath).toBe((src as { path: string }).path);
      expect((src as { path: string }).path).toBe("/Users/ada/.headroom/deploy/default/runner.log");
    }
  });

  test("Task Scheduler: runner.log in the profile folder", () => {
    const src = logSource(manifest({ os: "windows", workspaceDir: join(dir, "winws") }), {});
    expect(src).toEqual({ kind: "file", path: join(dir, "winws", "deploy", "default", "runner.log"), writer: "the Task Scheduler runtime" });
  });
});

describe("reading runner.log", () => {
  test("the last N lines, across read chunks, with or without a final newline; all; none; a missing file", () => {
    const path = join(dir, "big.log");
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 70)}`);
    writeFileSync(path, `${lines.join("\n")}\n`);
    expect(tailLines(path, 3)).toEqual(lines.slice(-3));
    expect(tailLines(path, 2500)).toEqual(lines.slice(-2500)); // more than one 64 KiB chunk back
    expect(tailLines(path, 10_000)).toEqual(lines);
    expect(tailLines(path)).toEqual(lines);
    expect(tailLines(path, 0)).toEqual([]);
    writeFileSync(path, "a\nb\nc");
    expect(tailLines(path, 2)).toEqual(["b", "c"]);
    writeFileSync(path, "");
    expect(tailLines(path, 5)).toEqual([]);
    expect(tailLines(join(dir, "nope.log"), 5)).toEqual([]);
  });

  test("following: appends are printed, a file trimmed in place is read on from its new end, a file that appears later from its start", async () => {
    const path = join(dir, "follow.log");
    writeFileSync(path, "old 1\nold 2\n");
    let got = "";
    const until = async (want: string) => {
      for (let i = 0; i < 200 && !got.includes(want); i++) await Bun.sleep(10);
      expect(got).toContain(want);
    };
    const f = followFile(path, (c) => (got += c), 10);
    await Bun.sleep(30);
    expect(got).toBe(""); // only what comes after
    appendFileSync(path, "new 1\n");
    await until("new 1\n");
    // What headroom's trim does at a runtime start, then the new runtime's first line.
    appendFileSync(path, "y".repeat(3000) + "\n");
    await until("yyy");
    trimLog(path, 1000, 200);
    await Bun.sleep(40);
    const before = got;
    appendFileSync(path, "after trim\n");
    await until("after trim");
    expect(got.slice(before.length)).toBe("after trim\n");
    f.stop();
    await f.done;

    const later = join(dir, "later.log");
    let g2 = "";
    const f2 = followFile(later, (c) => (g2 += c), 10);
    await Bun.sleep(30);
    writeFileSync(later, "first\n");
    for (let i = 0; i < 200 && !g2.includes("first"); i++) await Bun.sleep(10);
    f2.stop();
    await f2.done;
    expect(g2).toBe("first\n");
  });

  test("-n: a count or all; anything else is a usage error", () => {
    expect(parseLines(undefined, DEFAULT_LINES)).toBe(50);
    expect(parseLines("7", DEFAULT_LINES)).toBe(7);
    expect(parseLines("all", DEFAULT_LINES)).toBeUndefined();
    for (const bad of ["-1", "x", "1.5", ""]) expect(() => parseLines(bad, 50)).toThrow(/-n\/--lines/);
  });

  test("a failure's hint quotes the last lines of runner.log, or says it does not exist", () => {
    const m = linux({ profile: "hint", preset: "persistent-task", supervisor: "task", supervisorState: { kind: "cron" } });
    const path = join(dir, "ws", "deploy", "hint", "runner.log");
    expect(logTailHint(m, {})).toBe(`${path} does not exist.`);
    mkdirSync(join(dir, "ws", "deploy", "hint"), { recursive: true });
    writeFileSync(path, Array.from({ length: 20 }, (_, i) => `l${i}`).join("\n") + "\n");
    expect(logTailHint(m, {}, 2)).toBe(`Last lines of ${path}:\n  l18\n  l19`);
  });
});

test("the runtime's console to a file (a Task Scheduler task gives it no output): every level, appended, 0600", () => {
  const path = join(dir, "console.log");
  writeFileSync(path, "before\n", { mode: 0o600 });
  const restore = consoleToFile(path);
  try {
    console.log("a %s", "b");
    console.error("err", 42);
    console.warn({ k: 1 });
  } finally {
    restore();
  }
  console.log("not in the file");
  expect(readFileSync(path, "utf8")).toBe("before\na b\nerr 42\n{ k: 1 }\n");
});

test("JOURNAL_STREAM counts only when it names this very stream (device:inode), not when merely inherited", () => {
  const path = join(dir, "stream");
  writeFileSync(path, "");
  const fd = openSync(path, "a");
  try {
    const st = fstatSync(fd, { bigint: true });
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).toBe(false);
    expect(stdoutIsJournal({ JOURNAL_STREAM: "garbage" }, fd)).toBe(false);
    expect(stdoutIsJournal({}, fd)).toBe(false);
  } finally {
    closeSync(fd);
  }
});

describe("version skew", () => {
  test("semantic-version precedence: numbers by value, a pre-release before its release, build metadata not ordered", () => {
    const cases: [string, string, number | null][] = [
      ["0.1.0", "0.2.0", -1], ["0.10.0", "0.9.0", 1], ["1.0.0", "1.0", 0], ["1.2.0-rc.1", "1.2.0", -1],
      ["1.2.0-rc.2", "1.2.0-rc.10", -1], ["1.2.0-alpha", "1.2.0-beta", -1], ["1.2.0-1", "1.2.0-alpha", -1],
      ["1.2.0+a", "1.2.0+b", 0], ["v1.0.0", "1.0.0", 0], ["dev", "1.0.0", null],
    ];
    for (const [a, b, want] of cases) {
      expect(compareVersions(a, b), `${a} vs ${b}`).toBe(want);
      if (want !== null) expect(compareVersions(b, a), `${b} vs ${a}`).toBe(want === 0 ? 0 : -want);
    }
  });

  test("the line status prints, and the fix for each direction", () => {
    expect(runtimeSkew("0.3.0", { binary: "0.3.0" })).toEqual({ kind: "same", runtime: "0.3.0", binary: "0.3.0" });
    const older = runtimeSkew("0.2.0", { binary: "0.3.0", profile: "work", port: 9000 });
    expect(older).toMatchObject({ kind: "older", fix: "headroom install restart --profile work" });
    expect(older.message).toBe("The runtime on port 9000 is headroom 0.2.0, older than this binary (0.3.0): it still runs the program it started with; `headroom install restart --profile work` switches it to 0.3.0.");
    expect(runtimeSkew("0.2.0", { binary: "0.3.0", profile: "default" }).fix).toBe("headroom install restart");
    const newer = runtimeSkew("0.4.0", { binary: "0.3.0" });
    expect(newer.kind).toBe("newer");
    expect(newer.fix).toBeUndefined();
    expect(newer.message).toContain("newer than this binary (0.3.0)");
    expect(runtimeSkew("0.3.0+b", { binary: "0.3.0+a" })).toMatchObject({ kind: "other", fix: "headroom install restart" });
    expect(runtimeSkew("0.2.0", { binary: "0.3.0", docker: true }).fix).toContain("--image");
  });
});

describe("upgrade-restart decisions that need no runtime", () => {
  const free = 1; // nothing listens on port 1 here
  test("a docker runtime, another binary, or nothing running: not restarted, each with its reason", async () => {
    const self = "/home/u/.local/bin/headroom";
    const restart = async () => {
      throw new Error("must not restart");
    };
    const docker = await upgradeOne(linux({ runtime: "docker", port: free }), { self, restart, version: "0.3.0" });
    expect(docker).toMatchObject({ action: "skipped", reason: expect.stringContaining("container") });
    const other = await upgradeOne(linux({ binPath: "/opt/other/headroom", port: free }), { self, restart, version: "0.3.0" });
    expect(other).toMatchObject({ action: "skipped", reason: "its supervisor runs /opt/other/headroom, not this binary (/home/u/.local/bin/headroom)" });
    const stopped = await upgradeOne(linux({ port: free }), { self, restart, version: "0.3.0" });
    expect(stopped.action).toBe("stopped");
    expect(describeOutcome(stopped, "0.3.0")).toBe('profile "default" (persistent-service, port 1) is not running; it starts on 0.3.0 next time');
  });
});
