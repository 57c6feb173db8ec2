// launchd: the rendered plist is read back with the `plist` package's parser, and the
// lifecycle is replayed against a runner that answers like launchctl does (exit 3 =
// ESRCH, 5 = EIO, 113 = service not found). Nothing here runs launchctl.
import { describe, expect, test } from "bun:test";
import { parse as parsePlist } from "plist";
import { renderPlist } from "../../../src/install/supervisors/launchd-plist.ts";
import { parseLaunchctlPrint } from "../../../src/install/supervisors/launchd-print.ts";
import { BOOTSTRAP_RETRY } from "../../../src/install/supervisors/launchd.ts";
import { launchdInterval } from "../../../src/install/supervisors/launchd-interval.ts";
import { launchdKeepAlive } from "../../../src/install/supervisors/launchd-keepalive.ts";
import { execute } from "../../../src/install/executor.ts";
import type { Manifest } from "../../../src/install/manifest.ts";
import { type Plan, type Step, commandsOf, writesOf } from "../../../src/install/steps.ts";
import type { SupervisorContext } from "../../../src/install/supervisors/types.ts";
import { act, planOf, quickHooks } from "../../support/act.ts";
import { recordingRunner } from "../../support/recording-runner.ts";
import { context, manifest } from "./fixtures.ts";

type Dict = Record<string, unknown>;
const parse = (xml: string) => parsePlist(xml) as Dict;

/** The adapter the table picks on macOS for the manifest's preset. */
const adapterOf = (m: Manifest) => (m.preset === "persistent-task" ? launchdInterval() : launchdKeepAlive());

/** What the old `render(ctx)` returned, read from the install plan: the files it writes and the commands it runs. */
function rendered(ctx: SupervisorContext) {
  const plan = adapterOf(ctx.manifest).install(ctx);
  return { files: writesOf(plan), commands: commandsOf(plan) };
}

/** The plan with bootstrap's EIO retry budget set to `forMs` (wherever a bootstrap step is, also as a kickstart's fallback). */
function withBootstrapBudget(plan: Plan, forMs: number): Plan {
  const budget = (s: Step): Step => {
    if (s.do !== "run") return s;
    return {
      ...s,
      ...(s.retry ? { retry: { ...s.retry, forMs } } : {}),
      ...(s.otherwise ? { otherwise: { ...s.otherwise, then: budget(s.otherwise.then) as typeof s.otherwise.then } } : {}),
    };
  };
  return { ...plan, steps: plan.steps.map(budget) };
}

describe("launchd plist", () => {
  const cases = [
    { name: "service, user scope", over: {}, path: "/Users/ada/Library/LaunchAgents/com.headroom.default.plist" },
    { name: "service, system scope", over: { scope: "system" as const, workspaceDir: "/var/root/.headroom" }, path: "/Library/LaunchDaemons/com.headroom.default.plist" },
    { name: "task, user scope", over: { preset: "persistent-task" as const, supervisor: "task" as const, interval: 7 }, path: "/Users/ada/Library/LaunchAgents/com.headroom.default.plist" },
    { name: "task, system scope", over: { preset: "persistent-task" as const, supervisor: "task" as const, scope: "system" as const, interval: 3 }, path: "/Library/LaunchDaemons/com.headroom.default.plist" },
  ];
  for (const c of cases) {
    test(`${c.name}: the parsed plist has the job's keys`, () => {
      const m = manifest({ ...c.over, env: { HTTPS_PROXY: "http://proxy:3128" } });
      const plan = rendered(context(m));
      expect(plan.files.map((f) => f.path)).toEqual([c.path]);
      const job = parse(plan.files[0]!.content as string);
      const task = m.preset === "persistent-task";
      expect(job.Label).toBe("com.headroom.default");
      expect(job.ProgramArguments).toEqual([m.binPath, "install", "agent", task ? "ensure" : "run", "--profile", "default"]);
      // The plist is readable by others: --env values stay in the 0600 manifest, which `agent run`/`ensure` read.
      expect(job.EnvironmentVariables).toEqual({ HEADROOM_WORKSPACE_DIR: m.workspaceDir });
      expect(job.RunAtLoad).toBe(true);
      // Never gives up: KeepAlive restarts the service after every exit, at most once per ThrottleInterval.
      expect(job.ThrottleInterval).toBe(10);
      expect(job.StandardOutPath).toBe(`${m.workspaceDir}/deploy/default/runner.log`);
      expect(job.StandardErrorPath).toBe(job.StandardOutPath);
      if (task) {
        expect(job.StartInterval).toBe(m.interval * 60);
        expect(job.KeepAlive).toBeUndefined();
        expect(job.AbandonProcessGroup).toBe(true);
      } else {
        expect(job.KeepAlive).toBe(true);
        expect(job.StartInterval).toBeUndefined();
      }
      const domain = m.scope === "system" ? "system" : "gui/501";
      expect(plan.commands).toEqual([
        ["launchctl", "bootout", `${domain}/com.headroom.default`],
        ["launchctl", "enable", `${domain}/com.headroom.default`],
        ["launchctl", "bootstrap", domain, c.path],
      ]);
    });
  }

  test("a binary path with spaces and values with XML's special characters come back exactly", () => {
    const bin = "/Users/ada/Applications/Head Room & <Co>/bin/headroom's \"copy\"";
    const env = { NOTE: `a<b>&c"d'e`, EMPTY: "", UNICODE: "naïve ✓ 𝄞" };
    const m = manifest({ binPath: bin, profile: "work.1_x-y", workspaceDir: "/Users/ada/My Stuff/.headroom", env });
    const xml = rendered(context(m)).files[0]!.content as string;
    expect(xml).not.toContain("<Co>");
    const job = parse(xml);
    expect(job.Label).toBe("com.headroom.work.1_x-y");
    expect((job.ProgramArguments as string[])[0]).toBe(bin);
    expect(job.EnvironmentVariables).toEqual({ HEADROOM_WORKSPACE_DIR: "/Users/ada/My Stuff/.headroom" });
    expect(xml).not.toContain("naïve");
  });

  test("a control character is refused with one sentence instead of an unreadable plist", () => {
    const m = manifest({ workspaceDir: "/Users/ada/x\u0001y" });
    expect(() => rendered(context(m))).toThrow(/control character/);
  });

  test("the renderer handles nested values, empty containers and booleans", () => {
    const doc = parse(renderPlist({ a: [], b: {}, c: false, d: [1, "x", { e: true }] }));
    expect(doc).toEqual({ a: [], b: {}, c: false, d: [1, "x", { e: true }] });
  });

  test("render never looks at the host: it uses the given home and uid", () => {
    const m = manifest();
    const plan = rendered(context(m, { home: "/nonexistent/home", uid: 777 }));
    expect(plan.files[0]!.path).toBe("/nonexistent/home/Library/LaunchAgents/com.headroom.default.plist");
    expect(plan.commands[2]).toEqual(["launchctl", "bootstrap", "gui/777", plan.files[0]!.path]);
  });
});

describe("launchd lifecycle against recorded launchctl answers", () => {
  const m = manifest();
  const target = "gui/501/com.headroom.default";
  const plistFile = "/Users/ada/Library/LaunchAgents/com.headroom.default.plist";

  test("start: kickstart answering 113 (not loaded) bootstraps the plist instead", async () => {
    const rr = recordingRunner([{ match: ["launchctl", "kickstart"], code: 113, stderr: `Could not find service "com.headroom.default" in domain for uid: 501` }]);
    await act(launchdKeepAlive(), "start", context(m, { run: rr.run }));
    expect(rr.argvs()).toEqual([
      ["launchctl", "kickstart", target],
      ["launchctl", "bootstrap", "gui/501", plistFile],
    ]);
  });

  test("restart: kickstart -k on a loaded job is all it takes", async () => {
    const rr = recordingRunner();
    await act(launchdKeepAlive(), "restart", context(m, { run: rr.run }));
    expect(rr.argvs()).toEqual([["launchctl", "kickstart", "-k", target]]);
  });

  test("restart: kickstart -k answering 113 bootstraps; bootstrap answering 5 (EIO) is retried until it succeeds", async () => {
    const slept: number[] = [];
    const rr = recordingRunner([
      { match: ["launchctl", "kickstart"], code: 113 },
      { match: ["launchctl", "bootstrap"], code: 5, stderr: "Bootstrap failed: 5: Input/output error", times: 2 },
      { match: ["launchctl", "bootstrap"], code: 0 },
    ]);
    await act(launchdKeepAlive(), "restart", context(m, { run: rr.run }), { sleep: async (ms) => { slept.push(ms); } });
    expect(rr.argvs()).toEqual([
      ["launchctl", "kickstart", "-k", target],
      ["launchctl", "bootstrap", "gui/501", plistFile],
      ["launchctl", "bootstrap", "gui/501", plistFile],
      ["launchctl", "bootstrap", "gui/501", plistFile],
    ]);
    expect(slept).toEqual([500, 500]);
  });

  test("bootstrap that keeps answering EIO gives up after the retry budget with one sentence", async () => {
    const rr = recordingRunner([
      { match: ["launchctl", "kickstart"], code: 113 },
      { match: ["launchctl", "bootstrap"], code: 5, stderr: "Bootstrap failed: 5: Input/output error" },
    ]);
    const ctx = context(m, { run: rr.run });
    const plan = await planOf(launchdKeepAlive(), "start", ctx);
    // The budget is the plan's: 15 s, every 500 ms; a smaller one keeps the count short here.
    const fallback = plan.steps[0]!.do === "run" ? plan.steps[0]!.otherwise?.then : undefined;
    expect(fallback?.retry).toEqual({ codes: [5], ...BOOTSTRAP_RETRY });
    expect(BOOTSTRAP_RETRY).toEqual({ forMs: 15_000, everyMs: 500 });
    const err = await execute(withBootstrapBudget(plan, 2000), ctx, quickHooks).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain("Bootstrap failed: 5: Input/output error");
    expect(rr.argvs().filter((a) => a[1] === "bootstrap")).toHaveLength(5); // first try + 4 retries of 500 ms
  });

  test("stop: bootout answering 3 (ESRCH) means it was already stopped", async () => {
    const rr = recordingRunner([{ match: ["launchctl", "bootout"], code: 3, stderr: "Boot-out failed: 3: No such process" }]);
    await act(launchdKeepAlive(), "stop", context(m, { run: rr.run }));
    expect(rr.argvs()).toEqual([["launchctl", "bootout", target]]);
  });

  test("stop: bootout answering 1 reports the failure", async () => {
    const rr = recordingRunner([{ match: ["launchctl", "bootout"], code: 1, stderr: "Boot-out failed: 1: Operation not permitted" }]);
    const err = await act(launchdKeepAlive(), "stop", context(m, { run: rr.run })).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`\`launchctl bootout ${target}\` failed: Boot-out failed: 1: Operation not permitted.`);
  });

  test("stop waits for the port and says so when it stays taken", async () => {
    const rr = recordingRunner();
    const err = await act(launchdKeepAlive(), "stop", context(m, { run: rr.run }), { portFree: async () => false }).catch((e) => e);
    expect(err.message).toContain("port 8787 is still in use");
  });

  test("system scope talks to the system domain, and preflight refuses without root", async () => {
    const sys = manifest({ scope: "system" });
    const rr = recordingRunner([{ match: ["launchctl", "kickstart"], code: 113 }]);
    await act(launchdKeepAlive(), "start", context(sys, { run: rr.run, isRoot: true }));
    expect(rr.argvs()).toEqual([
      ["launchctl", "kickstart", "system/com.headroom.default"],
      ["launchctl", "bootstrap", "system", "/Library/LaunchDaemons/com.headroom.default.plist"],
    ]);
    const err = await launchdKeepAlive().preflight(context(sys, { isRoot: false })).catch((e) => e);
    expect(err.message).toContain("needs root");
  });

  test("task preset: stop keeps the schedule, stop --pause boots it out, start loads it again only when missing", async () => {
    const t = manifest({ preset: "persistent-task", supervisor: "task" });
    let stopped = 0;
    const hooks = { stopRuntime: async () => { stopped++; } };
    const sup = launchdInterval();
    const rr = recordingRunner([{ match: ["launchctl", "print"], code: 113, times: 1 }]);
    const ctx = context(t, { run: rr.run });
    await act(sup, "stop", ctx, hooks);
    expect(rr.argvs()).toEqual([]);
    const paused = await act(sup, "pause", ctx, hooks);
    expect(rr.argvs()).toEqual([["launchctl", "bootout", target]]);
    // What the manifest records after the pause is what start reads.
    expect(paused.record).toEqual({ paused: true });
    const pausedCtx = context({ ...t, supervisorState: { kind: "launchd", paused: true } }, { run: rr.run });
    await act(sup, "start", pausedCtx, hooks);
    await act(sup, "start", pausedCtx, hooks);
    expect(rr.argvs().slice(1)).toEqual([
      ["launchctl", "print", target],
      ["launchctl", "bootstrap", "gui/501", plistFile],
      ["launchctl", "print", target],
    ]);
    expect(stopped).toBe(2);
  });
});

const PRINT_RUNNING = `gui/501/com.headroom.default = {
	active count = 1
	path = /Users/ada/Library/LaunchAgents/com.headroom.default.plist
	type = LaunchAgent
	state = running

	program = /usr/local/bin/headroom
	arguments = {
		/usr/local/bin/headroom
		install
		agent
		run
	}

	stdout path = /Users/ada/.headroom/deploy/default/runner.log
	environment = {
		HEADROOM_WORKSPACE_DIR => /Users/ada/.headroom
		state => not-this-one
	}

	domain = gui/501 [100005]
	runs = 3
	pid = 4242
	immediate reason = speculative
	forks = 0
	execs = 1
	last exit code = 78: EX_CONFIG
	last terminating signal = Terminated: 15

	properties = keepalive | runatload | inferred program
}
`;

describe("launchctl print", () => {
  test("state, pid, runs and last exit code are read from the service's own lines only", () => {
    const p = parseLaunchctlPrint(PRINT_RUNNING);
    expect(p).toMatchObject({ state: "running", pid: 4242, runs: 3, lastExitCode: 78, lastSignal: "Terminated: 15" });
  });

  test("never exited is not an exit code", () => {
    expect(parseLaunchctlPrint("x = {\n\tstate = waiting\n\tlast exit code = (never exited)\n}\n").lastExitCode).toBeNull();
  });

  test("status reports the supervisor's view, and a job that is not loaded", async () => {
    const m = manifest();
    const up = await launchdKeepAlive().status(context(m, { run: recordingRunner([{ match: ["launchctl", "print"], stdout: PRINT_RUNNING }]).run }));
    expect(up).toMatchObject({ kind: "launchd", installed: true, state: "running", running: true, pid: 4242, restarts: 2 });
    const down = await launchdKeepAlive().status(context(m, { run: recordingRunner([{ match: ["launchctl", "print"], code: 113, stderr: "Could not find service" }]).run }));
    expect(down).toMatchObject({ installed: false, running: false, state: "not loaded" });
    expect(down.problems[0]).toContain("not loaded");
    const looping = PRINT_RUNNING.replace("state = running", "state = spawn scheduled").replace("runs = 3", "runs = 9");
    const bad = await launchdKeepAlive().status(context(m, { run: recordingRunner([{ match: ["launchctl", "print"], stdout: looping }]).run }));
    expect(bad.running).toBe(false);
    expect(bad.problems.join(" ")).toContain("crash-looping (9 runs)");
  });
});

describe("launchd install against recorded answers", () => {
  const { mkdtempSync, readFileSync, existsSync, rmSync } = require("node:fs") as typeof import("node:fs");

  test("unloads a previous job, writes the plist, bootstraps; a failed bootstrap leaves no plist behind", async () => {
    const home = mkdtempSync("/tmp/headroom-launchd-");
    try {
      const m = manifest({ workspaceDir: `${home}/.headroom` });
      const file = `${home}/Library/LaunchAgents/com.headroom.default.plist`;
      const ok = recordingRunner([{ match: ["launchctl", "bootout"], code: 3, stderr: "Boot-out failed: 3: No such process" }]);
      const { record: state } = await act(launchdKeepAlive(), "install", context(m, { home, run: ok.run }));
      expect(ok.argvs()).toEqual([
        ["launchctl", "bootout", "gui/501/com.headroom.default"],
        ["launchctl", "enable", "gui/501/com.headroom.default"],
        ["launchctl", "bootstrap", "gui/501", file],
      ]);
      expect(state).toMatchObject({ kind: "launchd", label: "com.headroom.default", domain: "gui/501", plist: file });
      expect((parsePlist(readFileSync(file, "utf8")) as Dict).Label).toBe("com.headroom.default");

      rmSync(file);
      const bad = recordingRunner([{ match: ["launchctl", "bootstrap"], code: 1, stderr: "Bootstrap failed: 1: Operation not permitted" }]);
      const err = await act(launchdKeepAlive(), "install", context(m, { home, run: bad.run })).catch((e) => e);
      expect(err.message).toContain("Operation not permitted");
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("uninstall boots the job out (already gone is fine) and deletes the plist", async () => {
    const home = mkdtempSync("/tmp/headroom-launchd-");
    try {
      const m = manifest({ workspaceDir: `${home}/.headroom` });
      await act(launchdKeepAlive(), "install", context(m, { home, run: recordingRunner().run }));
      const rr = recordingRunner([{ match: ["launchctl", "bootout"], code: 3 }]);
      await act(launchdKeepAlive(), "uninstall", context(m, { home, run: rr.run }));
      expect(rr.argvs()).toEqual([["launchctl", "bootout", "gui/501/com.headroom.default"]]);
      expect(existsSync(`${home}/Library/LaunchAgents/com.headroom.default.plist`)).toBe(false);
      const denied = recordingRunner([{ match: ["launchctl", "bootout"], code: 1, stderr: "Boot-out failed: 1: Operation not permitted" }]);
      const err = await act(launchdKeepAlive(), "uninstall", context(m, { home, run: denied.run })).catch((e) => e);
      expect(err.message).toContain("Removing the launchd job was incomplete");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
