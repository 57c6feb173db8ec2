// Windows Task Scheduler: every rendered task XML is decoded from UTF-16 LE (BOM checked)
// and read with fast-xml-parser; the lifecycle is replayed against a runner that answers
// like schtasks.exe does (its CSV, its "ERROR: Access is denied."). Nothing runs schtasks.
import { describe, expect, test } from "bun:test";
import { XMLParser } from "fast-xml-parser";
import { windowsCommandLine } from "../../../src/host/windows-cmdline.ts";
import { windowsDetachedSpawn } from "../../../src/host/windows-detach.ts";
import { parseCsv, parseQueryCsv } from "../../../src/install/supervisors/windows-schtasks.ts";
import type { Manifest } from "../../../src/install/manifest.ts";
import { commandsOf, writesOf } from "../../../src/install/steps.ts";
import type { Supervisor, SupervisorContext } from "../../../src/install/supervisors/types.ts";
import { type WindowsTaskOptions } from "../../../src/install/supervisors/windows-task.ts";
import { windowsTaskService } from "../../../src/install/supervisors/windows-task-service.ts";
import { windowsTaskWatchdog } from "../../../src/install/supervisors/windows-task-watchdog.ts";
import { act } from "../../support/act.ts";
import { recordingRunner } from "../../support/recording-runner.ts";
import { commandLineToArgv } from "./commandline-to-argv.ts";
import { context, manifest } from "./fixtures.ts";

type Any = any;
const xmlParser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

function decodeTaskXml(content: string | Uint8Array): { text: string; doc: Any } {
  expect(content).toBeInstanceOf(Uint8Array);
  const bytes = content as Uint8Array;
  expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
  expect(bytes.length % 2).toBe(0);
  const text = new TextDecoder("utf-16le").decode(bytes.subarray(2));
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-16"?>')).toBe(true);
  return { text, doc: xmlParser.parse(text) };
}

const BIN = "C:\\Program Files\\Head Room\\headroom.exe";
const WS = "C:\\Users\\Ada\\.headroom";
const win = (over: Parameters<typeof manifest>[0] = {}) => manifest({ os: "windows", binPath: BIN, workspaceDir: WS, ...over });

const quiet: WindowsTaskOptions = { otherProfiles: () => false };

/** The adapter the table picks on Windows for the manifest's preset. */
const adapterOf = (m: Manifest, opts: WindowsTaskOptions = quiet): Supervisor => (m.preset === "persistent-task" ? windowsTaskWatchdog(opts) : windowsTaskService(opts));

/** What the old `render(ctx)` returned, read from the install plan: the files it writes and the commands it runs. */
function rendered(ctx: SupervisorContext) {
  const plan = adapterOf(ctx.manifest).install(ctx);
  return { files: writesOf(plan), commands: commandsOf(plan) };
}

/** Asks the host facts (the pinned variable as it is) the way apply does before it plans, then installs. */
async function install(sup: Supervisor, ctx: SupervisorContext) {
  const facts = sup.hostFacts ? await sup.hostFacts(ctx) : {};
  return act(sup, "install", { ...ctx, facts });
}

describe("task XML", () => {
  for (const scope of ["user", "system"] as const) {
    test(`persistent-service, ${scope} scope: one hidden task with restart on failure and a one-minute repetition, no time limit, running the exe directly`, () => {
      const m = win({ scope, workspaceDir: scope === "system" ? "C:\\ProgramData\\headroom" : WS });
      const plan = rendered(context(m, { isRoot: scope === "system" }));
      expect(plan.files.map((f) => f.path)).toEqual([`${m.workspaceDir}\\deploy\\default\\headroom-default.xml`]);
      const { doc } = decodeTaskXml(plan.files[0]!.content);
      const t = doc.Task;
      expect(t["@_xmlns"]).toBe("http://schemas.microsoft.com/windows/2004/02/mit/task");
      expect(t.RegistrationInfo.URI).toBe("\\headroom-default");
      if (scope === "user") {
        expect(t.Triggers.LogonTrigger).toEqual({ Enabled: "true", UserId: "WORKSTATION\\Ada" });
        expect(t.Triggers.BootTrigger).toBeUndefined();
        expect(t.Principals.Principal).toMatchObject({ "@_id": "Author", UserId: "WORKSTATION\\Ada", LogonType: "S4U", RunLevel: "LeastPrivilege" });
      } else {
        expect(t.Triggers.BootTrigger).toEqual({ Enabled: "true" });
        expect(t.Triggers.LogonTrigger).toBeUndefined();
        expect(t.Principals.Principal).toMatchObject({ UserId: "S-1-5-18", RunLevel: "HighestAvailable" });
      }
      const s = t.Settings;
      // Count is an unsignedByte in the schema (1..255); RestartOnFailure only covers failures to start,
      // so a one-minute repetition (ignored while running, IgnoreNew) brings a crashed proxy back.
      expect(s.RestartOnFailure).toEqual({ Interval: "PT1M", Count: "255" });
      expect(t.Triggers.TimeTrigger.Repetition).toEqual({ Interval: "PT1M", StopAtDurationEnd: "false" });
      expect(s.ExecutionTimeLimit).toBe("PT0S");
      expect(s.Hidden).toBe("true");
      expect(s.MultipleInstancesPolicy).toBe("IgnoreNew");
      expect(s.DisallowStartIfOnBatteries).toBe("false");
      expect(s.StopIfGoingOnBatteries).toBe("false");
      expect(t.Actions["@_Context"]).toBe("Author");
      expect(t.Actions.Exec.Command).toBe(BIN);
      expect(t.Actions.Exec.Arguments).toBe("install agent run --profile default");
      expect(commandLineToArgv(`"${t.Actions.Exec.Command}" ${t.Actions.Exec.Arguments}`)).toEqual([BIN, "install", "agent", "run", "--profile", "default"]);
      const pin = scope === "system" ? [["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", "[Environment]::SetEnvironmentVariable('HEADROOM_WORKSPACE_DIR', 'C:\\ProgramData\\headroom', 'Machine')"]] : [];
      expect(plan.commands).toEqual([
        ...pin,
        ["schtasks", "/Create", "/TN", "headroom-default", "/XML", plan.files[0]!.path, "/F"],
        ["schtasks", "/Run", "/TN", "headroom-default"],
      ]);
    });

    test(`persistent-task, ${scope} scope: a ${scope === "system" ? "startup" : "logon"} task and an every-N-minutes task running agent ensure`, () => {
      const m = win({ scope, preset: "persistent-task", supervisor: "task", interval: 7 });
      const plan = rendered(context(m, { isRoot: scope === "system" }));
      expect(plan.files.map((f) => f.path.split("\\").pop())).toEqual(["headroom-default.xml", "headroom-default-watchdog.xml"]);
      const [start, every] = plan.files.map((f) => decodeTaskXml(f.content).doc.Task);
      expect(Object.keys(start.Triggers)).toEqual([scope === "system" ? "BootTrigger" : "LogonTrigger"]);
      expect(every.Triggers.TimeTrigger.Repetition).toEqual({ Interval: "PT7M", StopAtDurationEnd: "false" });
      expect(every.Triggers.TimeTrigger.StartBoundary).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      for (const t of [start, every]) {
        expect(t.Actions.Exec.Command).toBe(BIN);
        expect(t.Actions.Exec.Arguments).toBe("install agent ensure --profile default");
        expect(t.Settings.Hidden).toBe("true");
        expect(t.Settings.ExecutionTimeLimit).toBe("PT0S");
        expect(t.Settings.MultipleInstancesPolicy).toBe("IgnoreNew");
        expect(t.Settings.DisallowStartIfOnBatteries).toBe("false");
        expect(t.Settings.RestartOnFailure).toBeUndefined();
      }
      const creates = plan.commands.filter((c) => c[0] === "schtasks");
      expect(creates).toEqual([
        ["schtasks", "/Create", "/TN", "headroom-default", "/XML", plan.files[0]!.path, "/F"],
        ["schtasks", "/Create", "/TN", "headroom-default-watchdog", "/XML", plan.files[1]!.path, "/F"],
      ]);
    });
  }

  test("a binary path with spaces and a profile/workspace with XML's special characters come back exactly", () => {
    const bin = "D:\\Tools & <More>\\it's here\\headroom.exe";
    const m = win({ binPath: bin, profile: "a.b_c-d", workspaceDir: "D:\\Data & Co\\hr" });
    const plan = rendered(context(m));
    const { text, doc } = decodeTaskXml(plan.files[0]!.content);
    expect(text).toContain("&amp;");
    expect(doc.Task.Actions.Exec.Command).toBe(bin);
    expect(commandLineToArgv(`"${bin}" ${doc.Task.Actions.Exec.Arguments}`)).toEqual([bin, "install", "agent", "run", "--profile", "a.b_c-d"]);
    // the non-default workspace is pinned as a User variable before the task is created
    expect(plan.commands[0]!.at(-1)).toBe("[Environment]::SetEnvironmentVariable('HEADROOM_WORKSPACE_DIR', 'D:\\Data & Co\\hr', 'User')");
  });

  test("the default workspace needs no pinned variable; render uses the given home, not the host's", () => {
    const m = win({ workspaceDir: "c:/users/ada/.headroom/" });
    const plan = rendered(context(m));
    expect(plan.commands.some((c) => c[0] === "powershell.exe")).toBe(false);
    const other = rendered(context(win(), { home: "C:\\Users\\Bob", env: { USERNAME: "Bob", USERPROFILE: "C:\\Users\\Bob" } }));
    expect(other.commands[0]![0]).toBe("powershell.exe");
    // HOME (e.g. from Git Bash) does not count: the task runs without it, from %USERPROFILE%
    const gitBash = rendered(context(win({ workspaceDir: "C:\\home\\ada\\.headroom" }), { home: "C:\\home\\ada" }));
    expect(gitBash.commands[0]!.at(-1)).toBe("[Environment]::SetEnvironmentVariable('HEADROOM_WORKSPACE_DIR', 'C:\\home\\ada\\.headroom', 'User')");
  });
});

// What schtasks /Query /V /FO CSV prints (one header row, one row per trigger).
const CSV_HEADER = `"HostName","TaskName","Next Run Time","Status","Logon Mode","Last Run Time","Last Result","Author","Task To Run","Start In","Comment","Scheduled Task State"`;
const csvRow = (status: string, last: number) => `"WORKSTATION","\\headroom-default","N/A","${status}","Interactive/Background","11/24/2026 9:00:00 AM","${last}","headroom","""C:\\Program Files\\Head Room\\headroom.exe"" install agent run --profile default","N/A","headroom proxy, ""quoted""","Enabled"`;
const registeredXml = (command: string, args: string) => `<?xml version="1.0" encoding="UTF-16"?>\r\n<Task><Settings><IdleSettings><Enabled>true</Enabled></IdleSettings><Enabled>true</Enabled></Settings><Actions Context="Author"><Exec><Command>${command}</Command><Arguments>${args}</Arguments></Exec></Actions></Task>`;
const DENIED = { code: 1, stdout: "", stderr: "ERROR: Access is denied.\r\n" };

describe("schtasks lifecycle against recorded answers", () => {
  const m = win();
  const ctxWith = (run: SupervisorContext["run"], over: Partial<SupervisorContext> = {}) => context(m, { run, ...over });

  test("start enables and runs the task; stop disables and ends it; restart ends, waits for the port, runs", async () => {
    const rr = recordingRunner();
    const freed: number[] = [];
    const sup = windowsTaskService(quiet);
    const hooks = { portFree: async (p: number) => { freed.push(p); return true; } };
    const ctx = ctxWith(rr.run);
    await act(sup, "start", ctx, hooks);
    await act(sup, "stop", ctx, hooks);
    await act(sup, "restart", ctx, hooks);
    expect(rr.argvs()).toEqual([
      ["schtasks", "/Change", "/TN", "headroom-default", "/ENABLE"],
      ["schtasks", "/Run", "/TN", "headroom-default"],
      ["schtasks", "/Change", "/TN", "headroom-default", "/DISABLE"],
      ["schtasks", "/End", "/TN", "headroom-default"],
      ["schtasks", "/Change", "/TN", "headroom-default", "/DISABLE"],
      ["schtasks", "/End", "/TN", "headroom-default"],
      ["schtasks", "/Change", "/TN", "headroom-default", "/ENABLE"],
      ["schtasks", "/Run", "/TN", "headroom-default"],
    ]);
    expect(freed).toEqual([8787, 8787]);
  });

  test("stop of a task that is not running is already stopped", async () => {
    const rr = recordingRunner([{ match: ["schtasks", "/End"], code: 1, stderr: 'ERROR: The task "headroom-default" is not running.' }]);
    await act(windowsTaskService(quiet), "stop", ctxWith(rr.run));
  });

  test("access denied from schtasks becomes one clear sentence about administrator rights", async () => {
    for (const op of ["start", "stop", "restart"] as const) {
      const rr = recordingRunner([{ match: ["schtasks"], ...DENIED }]);
      const err = await act(windowsTaskService(quiet), op, ctxWith(rr.run)).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe('Task Scheduler denied access to the task "headroom-default", which needs administrator rights: run the command again from a terminal opened with "Run as administrator".');
      expect(err.message.split(/(?<=\.) /)).toHaveLength(1);
    }
  });

  test("system scope without elevation is refused before anything runs", async () => {
    const rr = recordingRunner();
    const err = await windowsTaskService(quiet).preflight(context(win({ scope: "system" }), { run: rr.run, isRoot: false })).catch((e) => e);
    expect(err.message).toContain("needs administrator rights");
    expect(err.message).toContain("Run as administrator");
    expect(rr.calls).toEqual([]);
  });

  test("uninstall ends and deletes every task; a task already gone is not an error", async () => {
    const t = win({ preset: "persistent-task", supervisor: "task" });
    const rr = recordingRunner([
      { match: ["schtasks", "/End"], code: 1, stderr: "ERROR: The system cannot find the file specified." },
      { match: ["schtasks", "/Delete", "/TN", "headroom-default-watchdog"], code: 1, stderr: "ERROR: The system cannot find the file specified." },
    ]);
    let stopped = 0;
    await act(windowsTaskWatchdog(quiet), "uninstall", context(t, { run: rr.run }), { stopRuntime: async () => { stopped++; } });
    expect(rr.argvs()).toEqual([
      ["schtasks", "/End", "/TN", "headroom-default"],
      ["schtasks", "/Delete", "/TN", "headroom-default", "/F"],
      ["schtasks", "/End", "/TN", "headroom-default-watchdog"],
      ["schtasks", "/Delete", "/TN", "headroom-default-watchdog", "/F"],
    ]);
    expect(stopped).toBe(1);
  });

  test("uninstall reports a delete that was denied, after trying everything", async () => {
    const rr = recordingRunner([{ match: ["schtasks", "/Delete"], ...DENIED }]);
    const err = await act(windowsTaskService(quiet), "uninstall", ctxWith(rr.run)).catch((e) => e);
    expect(err.message).toContain("needs administrator rights");
    expect(rr.argvs().map((a) => a[1])).toEqual(["/End", "/Delete"]);
  });

  test("uninstall puts the pinned workspace variable back", async () => {
    const pinned = win({ workspaceDir: "D:\\hr", supervisorState: { kind: "windows-task", workspacePin: { scope: "User", value: "D:\\hr", previous: null } } });
    const rr = recordingRunner();
    await act(windowsTaskService(quiet), "uninstall", context(pinned, { run: rr.run }));
    expect(rr.argvs().at(-1)!.at(-1)).toBe("[Environment]::SetEnvironmentVariable('HEADROOM_WORKSPACE_DIR', $null, 'User')");
  });

  test("task preset: stop --pause disables both tasks, start enables them again", async () => {
    const t = win({ preset: "persistent-task", supervisor: "task" });
    const rr = recordingRunner();
    const sup = windowsTaskWatchdog(quiet);
    const paused = await act(sup, "pause", context(t, { run: rr.run }));
    // What the manifest records after the pause is what start reads.
    expect(paused.record).toEqual({ paused: true });
    await act(sup, "start", context({ ...t, supervisorState: { kind: "windows-task", paused: true } }, { run: rr.run }));
    expect(rr.argvs()).toEqual([
      ["schtasks", "/Change", "/TN", "headroom-default", "/DISABLE"],
      ["schtasks", "/Change", "/TN", "headroom-default-watchdog", "/DISABLE"],
      ["schtasks", "/Change", "/TN", "headroom-default", "/ENABLE"],
      ["schtasks", "/Change", "/TN", "headroom-default-watchdog", "/ENABLE"],
    ]);
  });
});

describe("install against recorded answers", () => {
  const { mkdtempSync, readFileSync, existsSync, rmSync } = require("node:fs") as typeof import("node:fs");

  test("writes the UTF-16 XML, pins a non-default workspace, creates and runs the task; a failed create undoes it all", async () => {
    const dir = mkdtempSync("/tmp/headroom-wintask-");
    try {
      const m = win({ workspaceDir: dir });
      const file = `${dir}/deploy/default/headroom-default.xml`;
      const ok = recordingRunner([{ match: ["powershell.exe"], code: 0, stdout: '{"HEADROOM_WORKSPACE_DIR":null}', times: 1 }]);
      const { record: state } = await install(windowsTaskService(quiet), context(m, { run: ok.run }));
      expect(ok.argvs().map((a) => (a[0] === "schtasks" ? a.slice(0, 4).join(" ") : a.at(-1)!.slice(0, 40)))).toEqual([
        "$o = [ordered]@{}; foreach ($n in @('HEA",
        `[Environment]::SetEnvironmentVariable('H`,
        "schtasks /Create /TN headroom-default",
        "schtasks /Run /TN headroom-default",
      ]);
      expect(state.workspacePin).toEqual({ scope: "User", value: dir, previous: null });
      const bytes = readFileSync(file);
      expect(decodeTaskXml(new Uint8Array(bytes)).doc.Task.Actions.Exec.Command).toBe(BIN);

      rmSync(file);
      const bad = recordingRunner([
        { match: ["powershell.exe"], code: 0, stdout: '{"HEADROOM_WORKSPACE_DIR":null}', times: 1 },
        { match: ["schtasks", "/Run"], ...DENIED },
      ]);
      const err = await install(windowsTaskService(quiet), context(m, { run: bad.run })).catch((e) => e);
      expect(err.message).toContain("needs administrator rights");
      expect(existsSync(file)).toBe(false);
      expect(bad.argvs().slice(-2)).toEqual([
        ["schtasks", "/Delete", "/TN", "headroom-default", "/F"],
        ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", "[Environment]::SetEnvironmentVariable('HEADROOM_WORKSPACE_DIR', $null, 'User')"],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a workspace variable that points elsewhere is not taken over", async () => {
    const rr = recordingRunner([{ match: ["powershell.exe"], code: 0, stdout: '{"HEADROOM_WORKSPACE_DIR":"E:\\\\other"}' }]);
    const err = await install(windowsTaskService(quiet), context(win({ workspaceDir: "D:\\hr" }), { run: rr.run })).catch((e) => e);
    expect(err.message).toContain("already points at E:\\other");
    expect(rr.calls).toHaveLength(1);
  });
});

describe("status from schtasks /Query", () => {
  test("the CSV row gives status and last result; the registered XML is compared with this deployment", async () => {
    const m = win();
    const args = "install agent run --profile default";
    const rr = recordingRunner([
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/V"], stdout: `${CSV_HEADER}\r\n${csvRow("Running", 267009)}\r\n` },
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/XML"], stdout: registeredXml(BIN.replace(/&/g, "&amp;"), args) },
    ]);
    const s = await windowsTaskService(quiet).status(context(m, { run: rr.run }));
    expect(s).toMatchObject({ kind: "windows-task", installed: true, running: true, state: "Running", problems: [] });

    const failed = recordingRunner([
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/V"], stdout: `${CSV_HEADER}\r\n${csvRow("Ready", 1)}\r\n` },
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/XML"], stdout: registeredXml("C:\\old\\headroom.exe", args) },
    ]);
    const f = await windowsTaskService(quiet).status(context(m, { run: failed.run }));
    expect(f.running).toBe(false);
    expect(f.problems.join("\n")).toContain("ended with 0x00000001");
    expect(f.problems.join("\n")).toContain("C:\\old\\headroom.exe");

    // schtasks writing UTF-16 into the pipe reads the same
    const wide = (t: string) => new TextDecoder().decode(new Uint8Array(Buffer.from(t, "utf16le")));
    const utf16 = recordingRunner([
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/V"], stdout: wide(`${CSV_HEADER}\r\n${csvRow("Running", 267009)}\r\n`) },
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/XML"], stdout: wide(registeredXml("C:\\old\\headroom.exe", args)) },
    ]);
    const u = await windowsTaskService(quiet).status(context(m, { run: utf16.run }));
    expect(u.running).toBe(true);
    expect(u.problems.join("\n")).toContain("C:\\old\\headroom.exe");

    const batch = recordingRunner([
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/V"], stdout: `${CSV_HEADER}\r\n${csvRow("Ready", -2147023511)}\r\n` },
    ]);
    const b = await windowsTaskService(quiet).status(context(m, { run: batch.run }));
    expect(b.problems).toEqual([expect.stringContaining('"Log on as a batch job" right')]);
  });

  test("a disabled service task (after install stop) reads as stopped, with what to do", async () => {
    const rr = recordingRunner([
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/V"], stdout: `${CSV_HEADER}\r\n${csvRow("Disabled", 267014)}\r\n` },
      { match: ["schtasks", "/Query", "/TN", "headroom-default", "/XML"], stdout: registeredXml(BIN.replace(/&/g, "&amp;"), "install agent run --profile default").replace("</IdleSettings><Enabled>true", "</IdleSettings><Enabled>false") },
    ]);
    const s = await windowsTaskService(quiet).status(context(win(), { run: rr.run }));
    expect(s).toMatchObject({ installed: true, running: false, state: "disabled (stopped)" });
    expect(s.problems).toEqual(["The task headroom-default is disabled (stopped by `install stop`); `headroom install start` enables and runs it."]);
  });

  test("a task that is not registered, and access denied, each get a line", async () => {
    const missing = recordingRunner([{ match: ["schtasks", "/Query"], code: 1, stderr: "ERROR: The system cannot find the file specified." }]);
    const s = await windowsTaskService(quiet).status(context(win(), { run: missing.run }));
    expect(s).toMatchObject({ installed: false, running: false, state: "not registered" });
    expect(s.problems).toEqual(["The scheduled task headroom-default is not registered."]);
    const denied = recordingRunner([{ match: ["schtasks", "/Query"], ...DENIED }]);
    const d = await windowsTaskService(quiet).status(context(win(), { run: denied.run }));
    expect(d.problems[0]).toContain("administrator rights");
  });

  test("CSV fields with quotes and commas are read whole", () => {
    const rows = parseCsv(`${CSV_HEADER}\r\n${csvRow("Ready", 0)}\r\n`);
    expect(rows).toHaveLength(2);
    expect(rows[1]![8]).toBe('"C:\\Program Files\\Head Room\\headroom.exe" install agent run --profile default');
    expect(rows[1]![10]).toBe('headroom proxy, "quoted"');
    expect(parseQueryCsv(`${CSV_HEADER}\r\n${csvRow("Ready", 0)}\r\n`)).toMatchObject({ status: "Ready", lastResult: 0, lastRunTime: "11/24/2026 9:00:00 AM" });
    expect(parseQueryCsv(`${CSV_HEADER}\r\n${csvRow("Ready", -2147024891)}\r\n`)!.lastResult).toBe(0x80070005);
  });
});

describe("detached start on Windows", () => {
  test("the recipe has no cmd.exe, hides the window, detaches, and its command line splits back into the argv", () => {
    const argv = [BIN, "install", "agent", "run", "--profile", "my profile"];
    const r = windowsDetachedSpawn(argv);
    expect(r.argv).toEqual(argv);
    expect(r.argv.some((a) => /^(cmd(\.exe)?|start)$/i.test(a))).toBe(false);
    expect(r.options).toMatchObject({ detached: true, windowsHide: true, windowsVerbatimArguments: false, stdin: "ignore" });
    expect(r.commandLine).toBe(windowsCommandLine(argv));
    expect(commandLineToArgv(r.commandLine)).toEqual(argv);
  });
});
