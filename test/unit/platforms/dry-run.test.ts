// `install apply --dry-run --os darwin|windows --json` through the compiled binary, on
// this (Linux) host: the plans for the other systems render without consulting the host,
// with that system's own paths for this user (not this host's HEADROOM_BIN or HOME), the
// plist parses with the `plist` package and the task XML with fast-xml-parser, and
// nothing is written. The Windows account name has a space in it (C:\Users\Ada Lovelace).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { parse as parsePlist } from "plist";
import { binPath, runBin } from "../../support/bin.ts";

const home = mkdtempSync("/tmp/headroom-plat-dry-");
const binDir = mkdtempSync("/tmp/headroom-plat-bin-");
const spaced = join(binDir, "Head Room", "headroom");
mkdirSync(join(binDir, "Head Room"));
symlinkSync(binPath, spaced);
const env = { HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), HEADROOM_BIN: spaced, XDG_CONFIG_HOME: undefined, USER: "ada", USERNAME: "Ada Lovelace", USERDOMAIN: "WS" };
const winExe = "C:\\Users\\Ada Lovelace\\AppData\\Local\\headroom\\bin\\headroom.exe";

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
});

type Plan = { manifest: Record<string, unknown>; files: { path: string; content: string }[]; commands: string[][] };

async function plan(os: string, preset: string): Promise<Plan> {
  const r = await runBin(["install", "apply", "--dry-run", "--json", "--os", os, "--preset", preset, "--providers", "manual", "--target", "claude", "--port", "18787", "--interval", "6", "--env", "NOTE=a & <b>"], { env });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  // This host's executable (HEADROOM_BIN) and home are not what that machine would get.
  expect(r.stdout).not.toContain(binDir);
  expect(r.stdout).not.toContain(home);
  return JSON.parse(r.stdout) as Plan;
}

describe("dry-run for macOS", () => {
  for (const preset of ["persistent-service", "persistent-task"]) {
    test(preset, async () => {
      const p = await plan("darwin", preset);
      expect(p.manifest).toMatchObject({ os: "darwin", preset, binPath: "/Users/ada/.local/bin/headroom" });
      const f = p.files.find((x) => x.path === "/Users/ada/Library/LaunchAgents/com.headroom.default.plist")!;
      const job = parsePlist(f.content) as Record<string, unknown>;
      expect(job.ProgramArguments).toEqual(["/Users/ada/.local/bin/headroom", "install", "agent", preset === "persistent-task" ? "ensure" : "run", "--profile", "default"]);
      expect(job.EnvironmentVariables).toEqual({ HEADROOM_WORKSPACE_DIR: "/Users/ada/.headroom" });
      if (preset === "persistent-task") expect(job.StartInterval).toBe(360);
      else expect(job.KeepAlive).toBe(true);
      expect(p.commands.at(-1)!.slice(0, 2)).toEqual(["launchctl", "bootstrap"]);
      expect(readdirSync(home)).toEqual([]);
    });
  }
});

describe("dry-run for Windows", () => {
  const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
  for (const preset of ["persistent-service", "persistent-task"]) {
    test(preset, async () => {
      const p = await plan("windows", preset);
      expect(p.manifest).toMatchObject({ os: "windows", preset, binPath: winExe, workspaceDir: "C:\\Users\\Ada Lovelace\\.headroom" });
      const xmls = p.files.filter((x) => x.path.endsWith(".xml"));
      expect(xmls.map((x) => x.path)).toEqual((preset === "persistent-task" ? ["headroom-default.xml", "headroom-default-watchdog.xml"] : ["headroom-default.xml"]).map((n) => `C:\\Users\\Ada Lovelace\\.headroom\\deploy\\default\\${n}`));
      for (const x of xmls) {
        const task = parser.parse(x.content).Task;
        expect(task.Actions.Exec.Command).toBe(winExe);
        expect(task.Actions.Exec.Arguments).toBe(`install agent ${preset === "persistent-task" ? "ensure" : "run"} --profile default`);
        expect(task.Principals.Principal.UserId).toBe("WS\\Ada Lovelace");
      }
      expect(p.commands.filter((c) => c[0] === "schtasks").map((c) => c.slice(0, 4))).toEqual(
        preset === "persistent-task"
          ? [["schtasks", "/Create", "/TN", "headroom-default"], ["schtasks", "/Create", "/TN", "headroom-default-watchdog"]]
          : [["schtasks", "/Create", "/TN", "headroom-default"], ["schtasks", "/Run", "/TN", "headroom-default"]],
      );
      expect(readdirSync(home)).toEqual([]);
    });
  }
});
