// Pure renderers: systemd unit/timer text and quoting, the crontab block and its
// byte-exact removal, the unified diff, and manifest building from options.
import { describe, expect, test } from "bun:test";
import type { Manifest } from "../../../src/install/manifest.ts";
import { buildManifest, parseEnvPairs } from "../../../src/install/plan.ts";
import { removeCronBlock, renderCronBlock, renderCronDFile, spliceCronBlock } from "../../../src/install/supervisors/cron.ts";
import { describeSchedule, environmentLine, execLine, renderEnsureUnit, renderServiceUnit, renderTimerUnit, restartSchedule, systemdQuote, unitDir } from "../../../src/install/supervisors/systemd.ts";
import { unifiedDiff } from "../../../src/install/diff.ts";
import { makeContext } from "../../../src/install/context.ts";
import { writesOf } from "../../../src/install/steps.ts";
import { systemdService } from "../../../src/install/supervisors/systemd-service.ts";
import { parseManifest, CorruptManifestError } from "../../../src/install/store.ts";

const env = { HOME: "/home/u", HEADROOM_WORKSPACE_DIR: "/home/u/.headroom" };

function manifest(over: Partial<Manifest> = {}): Manifest {
  const m = buildManifest({ profile: "p1", providers: "manual", targets: ["claude"], port: "9911" }, env, "/opt/head room/headroom").manifest;
  return { ...m, ...over };
}

describe("systemd rendering", () => {
  test("words are quoted only when needed, with % and $ escaped", () => {
    expect(systemdQuote("/usr/bin/headroom")).toBe("/usr/bin/headroom");
    expect(systemdQuote("/opt/head room/headroom")).toBe('"/opt/head room/headroom"');
    expect(systemdQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(systemdQuote("50%")).toBe("50%%");
    expect(systemdQuote("$HOME")).toBe('"$$HOME"');
    expect(execLine(["/a b/x", "install", "agent", "run"])).toBe('"/a b/x" install agent run');
    expect(environmentLine("X", "a b%c")).toBe('Environment="X=a b%%c"');
    expect(environmentLine("X", "$y")).toBe('Environment="X=$y"');
  });

  test("service unit: ExecStart, pinned workspace, no --env value, restart policy, target per scope", () => {
    const m = manifest({ env: { FOO: "bar baz-secret" } });
    const text = renderServiceUnit(m, [m.binPath, "install", "agent", "run", "--profile", "p1"]);
    expect(text).toContain('ExecStart="/opt/head room/headroom" install agent run --profile p1\n');
    expect(text).toContain("Environment=HEADROOM_WORKSPACE_DIR=/home/u/.headroom\n");
    // The unit is world-readable: the runner reads --env values from the 0600 manifest.
    expect(text).not.toContain("FOO");
    expect(text).not.toContain("bar baz-secret");
    expect(text.split("\n").filter((l) => l.startsWith("Environment"))).toEqual(["Environment=HEADROOM_WORKSPACE_DIR=/home/u/.headroom"]);
    expect(text).toContain("Restart=on-failure\nRestartSec=1\n");
    expect(text).toContain("WantedBy=default.target");
    expect(renderServiceUnit({ ...m, scope: "system" }, ["/x"])).toContain("WantedBy=multi-user.target");
    expect(text.split("\n").filter((l) => l.startsWith("[")).sort()).toEqual(["[Install]", "[Service]", "[Unit]"]);
  });

  test("service unit logs to the journal under the identifier headroom-<p>, never to runner.log", () => {
    const m = manifest();
    const text = renderServiceUnit(m, [m.binPath, "install", "agent", "run", "--profile", "p1"]);
    const service = text.slice(text.indexOf("[Service]"), text.indexOf("[Install]"));
    expect(service).toContain("\nStandardOutput=journal\n");
    expect(service).toContain("\nStandardError=journal\n");
    expect(service).toContain("\nSyslogIdentifier=headroom-p1\n");
    expect(text).not.toContain("runner.log");
    expect(text).not.toContain("append:");
  });

  test("never gives up: no start limit; the delay grows only where systemd >= 254 accepts RestartSteps", () => {
    const m = manifest();
    const exec = [m.binPath, "install", "agent", "run", "--profile", "p1"];
    const keys = (text: string) => Object.fromEntries(text.split("\n").filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    for (const version of [undefined, 247, 252, 253]) {
      const k = keys(renderServiceUnit(m, exec, version));
      expect(k.StartLimitIntervalSec).toBe("0");
      expect(k.StartLimitBurst).toBeUndefined();
      expect(k.RestartSec).toBe("1");
      expect(k.RestartSteps).toBeUndefined();
      expect(k.RestartMaxDelaySec).toBeUndefined();
    }
    for (const version of [254, 256]) {
      const k = keys(renderServiceUnit(m, exec, version));
      expect(k).toMatchObject({ StartLimitIntervalSec: "0", Restart: "on-failure", RestartSec: "1", RestartSteps: "4", RestartMaxDelaySec: "15" });
    }
    expect(restartSchedule(252)).toEqual({ sec: 1 });
    expect(restartSchedule(254)).toEqual({ sec: 1, maxDelaySec: 15, steps: 4 });
    expect(describeSchedule(restartSchedule(252))).toBe("every 1 s");
  });

  test("docker runtime: a leftover container is removed before the foreground docker run", () => {
    const m = manifest({ runtime: "docker" });
    const text = renderServiceUnit(m, ["/usr/bin/docker", "run", "--rm", "--name", "headroom-p1", "img"], undefined, ["/usr/bin/docker", "rm", "-f", "headroom-p1"]);
    expect(text).toContain("ExecStartPre=-/usr/bin/docker rm -f headroom-p1\nExecStart=/usr/bin/docker run --rm --name headroom-p1 img\n");
    expect(renderServiceUnit(manifest(), ["/x", "--name", "n"])).not.toContain("ExecStartPre");
    // The unit the adapter plans takes both from the docker launcher: the same docker, the same name.
    const ctx = makeContext(m, { env: { ...env, PATH: "/nonexistent" }, run: async () => ({ code: 0, stdout: "", stderr: "" }), os: "linux" });
    const unit = writesOf(systemdService().install(ctx))[0]!.content as string;
    expect(unit).toContain("ExecStartPre=-docker rm -f headroom-p1\nExecStart=docker run --rm --name headroom-p1 ");
  });

  test("task: oneshot ensure unit that leaves its child alive, timer at boot and every N minutes", () => {
    const m = manifest({ preset: "persistent-task", supervisor: "task", interval: 9 });
    const ensure = renderEnsureUnit({ ...m, env: { K: "sk-ant-secret-xyz" } }, [m.binPath, "install", "agent", "ensure", "--profile", "p1"], "/l");
    expect(ensure).not.toContain("sk-ant-secret-xyz");
    expect(ensure).toContain("Type=oneshot");
    expect(ensure).toContain("KillMode=process");
    expect(ensure).toContain("install agent ensure --profile p1");
    expect(ensure).not.toContain("[Install]");
    const timer = renderTimerUnit(m);
    expect(timer).toContain("OnBootSec=");
    expect(timer).toContain("OnUnitActiveSec=9min");
    expect(timer).toContain("Unit=headroom-p1-ensure.service");
    expect(timer).toContain("WantedBy=timers.target");
  });

  test("unit folder honors XDG_CONFIG_HOME and the system scope", () => {
    expect(unitDir({ scope: "user" }, {}, "/home/u")).toBe("/home/u/.config/systemd/user");
    expect(unitDir({ scope: "user" }, { XDG_CONFIG_HOME: "/cfg" }, "/home/u")).toBe("/cfg/systemd/user");
    expect(unitDir({ scope: "system" }, {}, "/home/u")).toBe("/etc/systemd/system");
  });
});

describe("crontab block", () => {
  const m = manifest({ preset: "persistent-task", supervisor: "task", interval: 5, workspaceDir: "/w/it's here" });
  const argv = [m.binPath, "install", "agent", "ensure", "--profile", "p1"];
  const block = renderCronBlock(m, argv, "/w/log 100%");

  test("has @reboot and */N lines, shell-quoted, with cron's % escaped", () => {
    const lines = block.trimEnd().split("\n");
    expect(lines[0]).toBe("# >>> headroom persistent task p1 >>>");
    expect(lines[3]).toBe("# <<< headroom persistent task p1 <<<");
    expect(lines[1]).toBe(`@reboot HEADROOM_WORKSPACE_DIR='/w/it'\\''s here' '/opt/head room/headroom' install agent ensure --profile p1 >>'/w/log 100\\%' 2>&1`);
    expect(lines[2]!.startsWith("*/5 * * * * HEADROOM_WORKSPACE_DIR=")).toBe(true);
    expect(renderCronBlock({ ...m, interval: 120 }, argv, "/l")).toContain("\n0 */2 * * * ");
  });

  test("splice appends once, replaces in place, and removal gives the user's bytes back", () => {
    const users = ["", "MAILTO=x\n", "# no trailing newline\n0 1 * * * true", "a\n# >>> headroom persistent task other >>>\nx\n# <<< headroom persistent task other <<<\nb\n"];
    for (const mine of users) {
      const once = spliceCronBlock(mine, block, "p1");
      const twice = spliceCronBlock(once, block, "p1");
      expect(twice).toBe(once);
      expect(once.split("headroom persistent task p1 >>>").length).toBe(2);
      const back = removeCronBlock(once, "p1");
      expect(back).toBe(mine.endsWith("\n") || mine === "" ? mine : `${mine}\n`);
    }
    const middle = `top\n${block}bottom\n`;
    expect(removeCronBlock(middle, "p1")).toBe("top\nbottom\n");
    expect(spliceCronBlock(middle, block.replace("*/5", "*/6"), "p1")).toBe(`top\n${block.replace("*/5", "*/6")}bottom\n`);
  });

  test("system scope renders an /etc/cron.d file with the user field", () => {
    const f = renderCronDFile({ ...m, scope: "system" }, argv, "/l");
    expect(f).toMatch(/^@reboot root HEADROOM_WORKSPACE_DIR=/m);
    expect(f).toMatch(/^\*\/5 \* \* \* \* root /m);
  });
});

describe("manifest building and parsing", () => {
  test("defaults and the python alias", () => {
    const { manifest: m, notes } = buildManifest({ runtime: "python" }, { ...env, HEADROOM_PORT: "9123" }, "/bin/h");
    expect(m).toMatchObject({ profile: "default", preset: "persistent-service", runtime: "native", scope: "user", providers: "auto", port: 9123, interval: 5, supervisor: "service" });
    expect(notes.join(" ")).toContain("alias");
    expect(buildManifest({ preset: "persistent-docker" }, env, "/bin/h").manifest.runtime).toBe("docker");
  });

  test("bad values are usage errors naming the option", () => {
    const bad: [object, RegExp][] = [
      [{ profile: "a/b" }, /profile name/],
      [{ port: "65536" }, /--port/],
      [{ preset: "x" }, /--preset/],
      [{ scope: "x" }, /--scope/],
      [{ providers: "some" }, /--providers/],
      [{ targets: ["claude"] }, /--providers manual/],
      [{ interval: "0" }, /--interval/],
      [{ mode: "fast" }, /--mode/],
      [{ openaiApiUrl: "ftp://x" }, /--openai-api-url/],
      [{ os: "beos" }, /--os/],
    ];
    for (const [opts, msg] of bad) {
      let err: unknown;
      try {
        buildManifest(opts, env, "/bin/h");
      } catch (e) {
        err = e;
      }
      expect((err as Error & { exitCode: number }).exitCode).toBe(2);
      expect((err as Error).message).toMatch(msg);
    }
    expect(parseEnvPairs(["A=1", "B==2", "C="])).toEqual({ A: "1", B: "=2", C: "" });
  });

  test("a corrupt manifest names the file and the problem", () => {
    expect(() => parseManifest("{", "/x/manifest.json")).toThrow(CorruptManifestError);
    expect(() => parseManifest('{"schemaVersion":1}', "/x/manifest.json")).toThrow(/\/x\/manifest.json is not valid/);
    const m = manifest();
    expect(parseManifest(JSON.stringify(m), "/x")).toEqual(m);
    expect(() => parseManifest(JSON.stringify({ ...m, port: 0 }), "/x/m.json")).toThrow(/port/);
  });
});

describe("unified diff", () => {
  test("new file, changed lines with context, identical file", () => {
    expect(unifiedDiff("/f", null, "a\nb\n")).toBe("--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+a\n+b\n");
    const before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    const d = unifiedDiff("/f", before, before.replace("5\n", "five\n"));
    expect(d).toContain("@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    expect(unifiedDiff("/f", "same\n", "same\n")).toBe("");
  });
});
