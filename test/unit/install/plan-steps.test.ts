// What `install apply --dry-run` prints is what `install apply` runs, for every adapter.
// The plan is prepared as the CLI's dry run prepares it (prepareApply with a recording
// runner, buildDryRun, dryRunJson) and the printed steps are read back from the JSON;
// then, as apply does before it installs, the adapter asks this host its facts again and
// the one executor carries out the same adapter's install plan through the same runner.
// The argument vectors it ran (less the read-only questions asked while planning) and
// the text each fed on standard input must be the printed ones, in order; the files it
// wrote must be the printed ones. The runner answers like the real tools; nothing runs
// systemctl, loginctl, crontab, launchctl, schtasks, powershell or docker, and every file
// goes to a temporary folder (a system cron file is written under one, re-rooted).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../../../src/host/env.ts";
import { hostOs } from "../../../src/host/platform.ts";
import { type PreparedApply, prepareApply } from "../../../src/install/apply.ts";
import { buildDryRun, dryRunJson } from "../../../src/install/dry-run.ts";
import { type Outcome, execute } from "../../../src/install/executor.ts";
import type { Manifest } from "../../../src/install/manifest.ts";
import { buildManifest } from "../../../src/install/plan.ts";
import { captureCommand } from "../../../src/install/scopes/windows-env.ts";
import type { Plan } from "../../../src/install/steps.ts";
import { LINGER_DIR } from "../../../src/install/supervisors/systemd.ts";
import { WORKSPACE_VAR } from "../../../src/install/supervisors/windows-workspace-pin.ts";
import { quickHooks } from "../../support/act.ts";
import { freePort } from "../../support/free-port.ts";
import { type RecordedCall, type ScriptedAnswer, recordingRunner } from "../../support/recording-runner.ts";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A login name with no logind linger record, so lingering is asked of loginctl (which the runner answers). */
const USER = `headroom-plan-${process.pid}`;
const UID = process.getuid?.() ?? 0;

/** A fresh home, workspace and config folder, and a PATH whose only loginctl is a script that is never executed. */
function sandbox(): { root: string; home: string; env: Env } {
  const root = mkdtempSync("/tmp/headroom-plan-steps-");
  roots.push(root);
  const home = join(root, "home");
  const bin = join(root, "bin");
  mkdirSync(home, { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "loginctl"), "#!/bin/sh\nexit 99\n");
  chmodSync(join(bin, "loginctl"), 0o755);
  const env: Env = {
    HOME: home,
    USER,
    PATH: bin,
    HEADROOM_WORKSPACE_DIR: join(home, ".headroom"),
    XDG_CONFIG_HOME: join(root, "config"),
    // A system bus address, so that loginctl is asked rather than lingering taken as unknown.
    DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/nonexistent/headroom-plan-steps-bus",
  };
  return { root, home, env };
}

function draft(env: Env, opts: Record<string, unknown>, bin = "/opt/headroom/bin/headroom"): Manifest {
  return buildManifest({ providers: "manual", targets: ["claude"], port: String(freePort()), interval: "4", ...opts }, env, bin).manifest;
}

interface PrintedStep {
  do: string;
  path?: string;
  mode?: string;
  argv?: string[];
  stdin?: string;
}

interface Printed {
  manifest: Manifest;
  files: { path: string; content: string }[];
  commands: string[][];
  steps: PrintedStep[];
}

interface Trial {
  prepared: PreparedApply;
  printed: Printed;
  /** The printed run steps. */
  runs: PrintedStep[];
  /** What the adapter asked this host while the dry run was planned (read-only). */
  queries: string[][];
  /** What it asked again before apply planned the install. */
  askedAgain: string[][];
  /** Carries out the install plan (optionally changed, e.g. re-rooted); returns what ran and the outcome or the error. */
  apply(change?: (p: Plan) => Plan): Promise<{ ran: RecordedCall[]; out?: Outcome; err?: Error; ensured: number }>;
}

/**
 * Prepares and prints the plan as `install apply --dry-run --json` does. For another OS
 * the facts that OS's host would give (its pinned variable) are asked through the runner,
 * as prepareApply does when it runs there.
 */
async function trial(m: Manifest, env: Env, answers: ScriptedAnswer[]): Promise<Trial> {
  const rr = recordingRunner(answers);
  let prepared = await prepareApply(m, env, { dryRun: true, run: rr.run });
  if (m.os !== hostOs() && prepared.sup.hostFacts) prepared = { ...prepared, ctx: { ...prepared.ctx, facts: await prepared.sup.hostFacts(prepared.ctx) } };
  const queries = rr.argvs();
  const printed = JSON.parse(dryRunJson(buildDryRun(prepared))) as Printed;
  const runs = printed.steps.filter((s) => s.do === "run");
  // apply (bringUp): the host as it is now, then the plan from it.
  const mark = rr.calls.length;
  const ctx = prepared.sup.hostFacts ? { ...prepared.ctx, facts: await prepared.sup.hostFacts(prepared.ctx) } : prepared.ctx;
  const askedAgain = rr.argvs().slice(mark);
  return {
    prepared,
    printed,
    runs,
    queries,
    askedAgain,
    async apply(change = (p) => p) {
      const from = rr.calls.length;
      let ensured = 0;
      try {
        const out = await execute(change(prepared.sup.install(ctx)), ctx, { ...quickHooks, ensureRuntime: async () => { ensured++; } });
        return { ran: rr.calls.slice(from), out, ensured };
      } catch (err) {
        return { ran: rr.calls.slice(from), err: err as Error, ensured };
      }
    },
  };
}

const argvsOf = (calls: RecordedCall[]) => calls.map((c) => c.argv);

/** Reads a written file as the dry run prints it (task XML is UTF-16 LE with a BOM). */
function fileText(path: string): string {
  const b = readFileSync(path);
  return b[0] === 0xff && b[1] === 0xfe ? new TextDecoder("utf-16le").decode(b.subarray(2)) : b.toString("utf8");
}

/** The printed steps are the executed ones: argv and stdin in order, the files and their modes, the runtime started when printed. */
async function expectPrintedIsRun(t: Trial, change?: (p: Plan) => Plan, where: (path: string) => string = (p) => p) {
  expect(t.askedAgain).toEqual(t.queries);
  const { ran, out, err, ensured } = await t.apply(change);
  expect(err).toBeUndefined();
  expect(argvsOf(ran)).toEqual(t.runs.map((s) => s.argv!));
  expect(ran.map((c) => c.input ?? null)).toEqual(t.runs.map((s) => s.stdin ?? null));
  const writes = t.printed.steps.filter((s) => s.do === "write");
  expect(out!.files.map((f) => f.path)).toEqual(writes.map((w) => where(w.path!)));
  for (const w of writes) {
    const printedFile = t.printed.files.find((f) => f.path === w.path)!;
    expect(fileText(where(w.path!))).toBe(printedFile.content);
    expect((statSync(where(w.path!)).mode & 0o777).toString(8)).toBe(w.mode!.replace(/^0+/, ""));
  }
  expect(ensured).toBe(t.printed.steps.filter((s) => s.do === "ensure-runtime").length);
  return { ran, out: out! };
}

// ---- the tools' answers --------------------------------------------------------------

const SYSTEMD_252 = { match: ["systemctl", "--version"], stdout: "systemd 252 (252.22-1~deb12u1)\n+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP\n" };
const LINGER_NO = { match: ["loginctl", "show-user"], stdout: "no\n" };
const USER_CRONTAB = "MAILTO=ops@example.com\n# nightly\n0 3 * * * /usr/local/bin/backup --all\n";
const lingerQuery = ["loginctl", "show-user", USER, "--property=Linger", "--value"];

describe("systemd", () => {
  test("systemd-service: write, daemon-reload, reset-failed, enable --now, then enable-linger because logind says no", async () => {
    const { env } = sandbox();
    expect(existsSync(join(LINGER_DIR, USER))).toBe(false);
    const t = await trial(draft(env, {}), env, [SYSTEMD_252, LINGER_NO]);
    expect(t.prepared.sup.name).toBe("systemd-service");
    expect(t.queries).toEqual([["systemctl", "--version"], lingerQuery]);
    const unit = "headroom-default.service";
    expect(t.runs.map((s) => s.argv)).toEqual([
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "reset-failed", unit],
      ["systemctl", "--user", "enable", "--now", unit],
      ["loginctl", "enable-linger", USER],
    ]);
    expect(t.printed.steps[0]).toEqual({ do: "write", path: join(env.XDG_CONFIG_HOME!, "systemd", "user", unit), mode: "0644" });
    // systemd 252 cannot grow the delay: the unit that is printed and written has none.
    expect(t.printed.files.find((f) => f.path.endsWith(unit))!.content).not.toContain("RestartSteps");
    const { out } = await expectPrintedIsRun(t);
    expect(out.record).toMatchObject({ kind: "systemd", units: [unit], linger: "yes", lingerEnabledByHeadroom: true, restart: { sec: 1, systemdVersion: 252 } });
  });

  test("systemd-timer: both units, reset-failed for both, the timer enabled, enable-linger, and the watchdog started", async () => {
    const { env } = sandbox();
    const t = await trial(draft(env, { preset: "persistent-task" }), { ...env, HEADROOM_TASK_BACKEND: "systemd" }, [SYSTEMD_252, LINGER_NO]);
    expect(t.prepared.sup.name).toBe("systemd-timer");
    expect(t.queries).toEqual([["systemctl", "--version"], lingerQuery]);
    const units = ["headroom-default-ensure.timer", "headroom-default-ensure.service"];
    expect(t.runs.map((s) => s.argv)).toEqual([
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "reset-failed", ...units],
      ["systemctl", "--user", "enable", "--now", "headroom-default-ensure.timer"],
      ["loginctl", "enable-linger", USER],
    ]);
    expect(t.printed.steps.map((s) => s.do)).toEqual(["write", "write", "run", "run", "run", "run", "ensure-runtime"]);
    const { out } = await expectPrintedIsRun(t);
    expect(out.record).toMatchObject({ kind: "systemd", units, linger: "yes" });
  });

  test("lingering already on: no enable-linger is printed or run", async () => {
    const { env } = sandbox();
    const t = await trial(draft(env, {}), env, [SYSTEMD_252, { match: ["loginctl", "show-user"], stdout: "yes\n" }]);
    expect(t.runs.some((s) => s.argv![0] === "loginctl")).toBe(false);
    const { ran } = await expectPrintedIsRun(t);
    expect(ran.some((c) => c.argv[0] === "loginctl")).toBe(false);
  });

  test("a failing enable --now undoes what ran: the unit file is gone again and daemon-reload runs after the undo", async () => {
    const { env } = sandbox();
    const t = await trial(draft(env, {}), env, [
      SYSTEMD_252,
      LINGER_NO,
      { match: ["systemctl", "--user", "enable"], code: 1, stderr: "Failed to enable unit: Unit file headroom-default.service is masked.\n" },
    ]);
    const file = join(env.XDG_CONFIG_HOME!, "systemd", "user", "headroom-default.service");
    const { ran, err } = await t.apply();
    expect(err?.message).toBe("`systemctl --user enable --now headroom-default.service` failed: Failed to enable unit: Unit file headroom-default.service is masked.");
    expect(existsSync(file)).toBe(false);
    expect(argvsOf(ran)).toEqual([
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "reset-failed", "headroom-default.service"],
      ["systemctl", "--user", "enable", "--now", "headroom-default.service"],
      // after the file was taken back: the manager forgets the unit
      ["systemctl", "--user", "daemon-reload"],
    ]);
  });
});

describe("cron", () => {
  test("user scope: the crontab read while planning, and `crontab -` receives exactly the printed text", async () => {
    const { env } = sandbox();
    const t = await trial(draft(env, { preset: "persistent-task" }), { ...env, HEADROOM_TASK_BACKEND: "cron" }, [{ match: ["crontab", "-l"], stdout: USER_CRONTAB }]);
    expect(t.prepared.sup.name).toBe("cron");
    expect(t.queries).toEqual([["crontab", "-l"]]);
    expect(t.runs.map((s) => s.argv)).toEqual([["crontab", "-"]]);
    const text = t.runs[0]!.stdin!;
    // The user's own lines are kept byte for byte; the block follows them.
    expect(text.startsWith(USER_CRONTAB)).toBe(true);
    expect(text).toContain("# >>> headroom persistent task default >>>\n@reboot HEADROOM_WORKSPACE_DIR=");
    expect(text).toContain("\n*/4 * * * * HEADROOM_WORKSPACE_DIR=");
    expect(text.endsWith("# <<< headroom persistent task default <<<\n")).toBe(true);
    const { out } = await expectPrintedIsRun(t);
    expect(out.record).toEqual({ kind: "cron", crontab: "user" });
  });

  test("user scope without a crontab yet: `no crontab for` is an empty one, and the text is the block alone", async () => {
    const { env } = sandbox();
    const t = await trial(draft(env, { preset: "persistent-task" }), { ...env, HEADROOM_TASK_BACKEND: "cron" }, [{ match: ["crontab", "-l"], code: 1, stderr: `no crontab for ${USER}\n` }]);
    expect(t.runs[0]!.stdin!.startsWith("# >>> headroom persistent task default >>>\n")).toBe(true);
    await expectPrintedIsRun(t);
  });

  test("system scope: no command, the /etc/cron.d file as printed (written under a temporary root)", async () => {
    const { root, env } = sandbox();
    const t = await trial(draft(env, { preset: "persistent-task", scope: "system", profile: `plan${process.pid}` }), { ...env, HEADROOM_TASK_BACKEND: "cron" }, []);
    expect(t.prepared.sup.name).toBe("cron");
    expect(t.queries).toEqual([]);
    expect(t.runs).toEqual([]);
    const cronFile = `/etc/cron.d/headroom-plan${process.pid}`;
    expect(t.printed.steps.map((s) => s.do)).toEqual(["write", "ensure-runtime"]);
    expect(t.printed.steps[0]).toEqual({ do: "write", path: cronFile, mode: "0644" });
    const under = (p: string) => join(root, "sysroot", p);
    const reroot = (p: Plan): Plan => ({ ...p, steps: p.steps.map((s) => (s.do === "write" ? { ...s, path: under(s.path) } : s)) });
    await expectPrintedIsRun(t, reroot, under);
    expect(existsSync(cronFile)).toBe(false);
    expect(fileText(under(cronFile))).toMatch(/^\*\/4 \* \* \* \* root HEADROOM_WORKSPACE_DIR=/m);
  });
});

describe("launchd", () => {
  const BOOTOUT_ESRCH = { match: ["launchctl", "bootout"], code: 3, stderr: "Boot-out failed: 3: No such process\n" };

  for (const [preset, name] of [["persistent-service", "launchd-keepalive"], ["persistent-task", "launchd-interval"]] as const) {
    test(`${name}: bootout before the plist is written, enable, bootstrap`, async () => {
      const { home, env } = sandbox();
      const t = await trial(draft(env, { os: "darwin", preset }), env, [BOOTOUT_ESRCH]);
      expect(t.prepared.sup.name).toBe(name);
      expect(t.queries).toEqual([]);
      const target = `gui/${UID}/com.headroom.default`;
      const plist = join(home, "Library", "LaunchAgents", "com.headroom.default.plist");
      expect(t.printed.steps.map((s) => (s.do === "run" ? s.argv!.slice(0, 2).join(" ") : s.do))).toEqual([
        "launchctl bootout",
        "write",
        "launchctl enable",
        "launchctl bootstrap",
        ...(preset === "persistent-task" ? ["ensure-runtime"] : []),
      ]);
      expect(t.runs.map((s) => s.argv)).toEqual([
        ["launchctl", "bootout", target],
        ["launchctl", "enable", target],
        ["launchctl", "bootstrap", `gui/${UID}`, plist],
      ]);
      const { out } = await expectPrintedIsRun(t);
      expect(out.record).toMatchObject({ kind: "launchd", label: "com.headroom.default", domain: `gui/${UID}`, plist });
    });
  }

  test("a failing bootstrap puts the plist's previous bytes back", async () => {
    const { home, env } = sandbox();
    const plist = join(home, "Library", "LaunchAgents", "com.headroom.default.plist");
    mkdirSync(join(home, "Library", "LaunchAgents"), { recursive: true });
    const previous = '<?xml version="1.0"?>\n<plist version="1.0"><dict><key>Label</key><string>com.headroom.default</string><!-- an earlier apply --></dict></plist>\n';
    writeFileSync(plist, previous, { mode: 0o644 });
    const t = await trial(draft(env, { os: "darwin" }), env, [BOOTOUT_ESRCH, { match: ["launchctl", "bootstrap"], code: 1, stderr: "Bootstrap failed: 1: Operation not permitted\n" }]);
    const { ran, err } = await t.apply();
    expect(err?.message).toContain("Bootstrap failed: 1: Operation not permitted");
    expect(argvsOf(ran)).toEqual(t.runs.map((s) => s.argv!));
    expect(readFileSync(plist, "utf8")).toBe(previous);
  });
});

describe("Task Scheduler", () => {
  const CAPTURE = captureCommand([WORKSPACE_VAR], "User");
  const UNSET = { match: CAPTURE, stdout: `{"${WORKSPACE_VAR}":null}\r\n` };

  function windows() {
    const { root, home } = sandbox();
    // The host Windows gives the task: USERPROFILE (no HOME), the account and its domain.
    const env: Env = { USERPROFILE: home, USERNAME: "Ada", USERDOMAIN: "WS", PATH: "C:\\Windows\\System32", HEADROOM_WORKSPACE_DIR: join(root, "ws") };
    // A workspace that is not %USERPROFILE%\.headroom, so the variable is pinned (and asked first).
    const m = (over: Record<string, unknown>) => ({ ...draft(env, { os: "windows", ...over }, "C:\\Users\\Ada\\AppData\\Local\\headroom\\bin\\headroom.exe"), workspaceDir: join(root, "ws") });
    return { root, env, m };
  }

  test("windows-task-service: pin the workspace variable, write the XML, create the task, run it", async () => {
    const { root, env, m } = windows();
    const t = await trial(m({}), env, [UNSET]);
    expect(t.prepared.sup.name).toBe("windows-task-service");
    expect(t.queries).toEqual([CAPTURE]);
    const xml = join(root, "ws", "deploy", "default", "headroom-default.xml");
    expect(t.runs.map((s) => s.argv)).toEqual([
      ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", `[Environment]::SetEnvironmentVariable('${WORKSPACE_VAR}', '${join(root, "ws")}', 'User')`],
      ["schtasks", "/Create", "/TN", "headroom-default", "/XML", xml, "/F"],
      ["schtasks", "/Run", "/TN", "headroom-default"],
    ]);
    const { out } = await expectPrintedIsRun(t);
    expect(out.record).toMatchObject({ kind: "windows-task", tasks: ["headroom-default"], workspacePin: { scope: "User", value: join(root, "ws"), previous: null } });
  });

  test("windows-task-watchdog: a variable that already holds the workspace is not set again; two tasks; the watchdog started", async () => {
    const { root, env, m } = windows();
    const t = await trial(m({ preset: "persistent-task" }), env, [{ match: CAPTURE, stdout: JSON.stringify({ [WORKSPACE_VAR]: join(root, "ws") }) }]);
    expect(t.prepared.sup.name).toBe("windows-task-watchdog");
    expect(t.queries).toEqual([CAPTURE]);
    const dir = join(root, "ws", "deploy", "default");
    expect(t.runs.map((s) => s.argv)).toEqual([
      ["schtasks", "/Create", "/TN", "headroom-default", "/XML", join(dir, "headroom-default.xml"), "/F"],
      ["schtasks", "/Create", "/TN", "headroom-default-watchdog", "/XML", join(dir, "headroom-default-watchdog.xml"), "/F"],
    ]);
    expect(t.printed.steps.at(-1)).toEqual({ do: "ensure-runtime" });
    await expectPrintedIsRun(t);
  });
});

describe("docker", () => {
  test("persistent-docker: the workspace folder, the stale container removed (none is fine), docker run -d", async () => {
    const { home, env } = sandbox();
    const t = await trial(draft(env, { preset: "persistent-docker" }), { ...env, ANTHROPIC_API_KEY: "sk-ant-not-on-a-command-line" }, [
      { match: ["docker", "rm", "-f"], code: 1, stderr: "Error response from daemon: No such container: headroom-default\n" },
      { match: ["docker", "run"], stdout: "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b\n" },
    ]);
    expect(t.prepared.sup.name).toBe("docker");
    expect(t.queries).toEqual([]);
    expect(t.printed.steps.map((s) => s.do)).toEqual(["mkdir", "run", "run"]);
    expect(t.runs[0]!.argv).toEqual(["docker", "rm", "-f", "headroom-default"]);
    expect(t.runs[1]!.argv!.slice(0, 6)).toEqual(["docker", "run", "-d", "--restart", "unless-stopped", "--name"]);
    expect(JSON.stringify(t.printed)).not.toContain("sk-ant-not-on-a-command-line");
    const { out } = await expectPrintedIsRun(t);
    expect(existsSync(join(home, ".headroom"))).toBe(true);
    expect(out.record).toMatchObject({ kind: "docker", container: "headroom-default", containerId: "4f3c2b1a0e9d" });
  });
});
