// `install apply --dry-run --os windows|darwin` on Linux renders what that machine would
// get: its executable path, its home and workspace for this user, its tool config paths;
// none of this machine's paths. Checked on the compiled binary's JSON plan, the task XML
// and the plist parsed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { parse as parsePlist } from "plist";
import { previewEnv, workspaceDirFor } from "../../src/paths.ts";
import { previewBinPath } from "../../src/install/binpath.ts";
import { binPath, runBin } from "../support/bin.ts";

let home: string;
let env: Record<string, string | undefined>;

beforeAll(() => {
  home = mkdtempSync("/tmp/headroom-dry-os-");
  env = { HOME: home, USER: "alice", LOGNAME: "alice", USERNAME: undefined, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), CLAUDE_CONFIG_DIR: join(home, "claude-here"), CODEX_HOME: undefined, XDG_CONFIG_HOME: join(home, ".config"), HEADROOM_BIN: undefined };
});

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Plan {
  manifest: { binPath: string; workspaceDir: string; os: string };
  files: { path: string; content: string }[];
  commands: string[][];
}

async function plan(args: string[]): Promise<{ plan: Plan; raw: string }> {
  const r = await runBin(["install", "apply", "--dry-run", "--json", ...args], { env, cwd: home });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return { plan: JSON.parse(r.stdout), raw: r.stdout };
}

/** No path of this machine anywhere in the plan: not the home, the cwd, the binary or the repo. */
function noHostPaths(raw: string): void {
  for (const p of [home, binPath, process.cwd(), "/root", "/tmp/"]) expect(raw, p).not.toContain(JSON.stringify(p).slice(1, -1));
}

describe("--os windows on Linux", () => {
  test("the task runs the .exe where install.ps1 puts it; workspace and files under C:\\Users\\<name>", async () => {
    const { plan: p, raw } = await plan(["--os", "windows"]);
    expect(p.manifest.binPath).toBe("C:\\Users\\alice\\AppData\\Local\\headroom\\bin\\headroom.exe");
    expect(p.manifest.workspaceDir).toBe("C:\\Users\\alice\\.headroom");
    const xmlFile = p.files.find((f) => f.path.endsWith(".xml"))!;
    expect(xmlFile.path).toBe("C:\\Users\\alice\\.headroom\\deploy\\default\\headroom-default.xml");
    const task = new XMLParser({ ignoreAttributes: false }).parse(xmlFile.content).Task;
    expect(task.Actions.Exec.Command).toBe("C:\\Users\\alice\\AppData\\Local\\headroom\\bin\\headroom.exe");
    expect(task.Actions.Exec.Arguments).toBe("install agent run --profile default");
    expect(task.Principals.Principal.UserId).toBe("alice");
    expect(p.commands).toContainEqual(["schtasks", "/Create", "/TN", "headroom-default", "/XML", "C:\\Users\\alice\\.headroom\\deploy\\default\\headroom-default.xml", "/F"]);
    noHostPaths(raw);
  });

  test("provider scope: the tools' configs in the Windows home, with backslashes", async () => {
    const { plan: p, raw } = await plan(["--os", "windows", "--scope", "provider", "--providers", "manual", "--target", "claude", "--target", "codex"]);
    const paths = p.files.map((f) => f.path);
    expect(paths).toContain("C:\\Users\\alice\\.claude\\settings.json");
    expect(paths).toContain("C:\\Users\\alice\\.codex\\config.toml");
    for (const f of paths) expect(f).toStartWith("C:\\Users\\alice\\");
    noHostPaths(raw);
    // The text form's diff headers name the Windows path.
    const text = await runBin(["install", "apply", "--dry-run", "--os", "windows", "--scope", "provider", "--providers", "manual", "--target", "claude"], { env, cwd: home });
    expect(text.stdout).toContain("+++ b/C:\\Users\\alice\\.claude\\settings.json");
  });

  test("docker runtime: the workspace mount is the Windows folder", async () => {
    const { plan: p } = await plan(["--os", "windows", "--preset", "persistent-docker"]);
    const run = p.commands.find((c) => c[0] === "docker" && c[1] === "run")!;
    expect(run).toContain("type=bind,source=C:\\Users\\alice\\.headroom,target=/tmp/headroom-home/.headroom");
    expect(run).not.toContain("--user");
  });
});

describe("--os darwin on Linux", () => {
  test("the plist runs ~/.local/bin/headroom under /Users/<name>; files there too", async () => {
    const { plan: p, raw } = await plan(["--os", "darwin"]);
    expect(p.manifest.binPath).toBe("/Users/alice/.local/bin/headroom");
    expect(p.manifest.workspaceDir).toBe("/Users/alice/.headroom");
    const file = p.files.find((f) => f.path.endsWith(".plist"))!;
    expect(file.path).toBe("/Users/alice/Library/LaunchAgents/com.headroom.default.plist");
    const job = parsePlist(file.content) as { ProgramArguments: string[]; EnvironmentVariables?: Record<string, string> };
    expect(job.ProgramArguments[0]).toBe("/Users/alice/.local/bin/headroom");
    expect(JSON.stringify(job)).not.toContain(home);
    for (const f of p.files) expect(f.path).toStartWith("/Users/alice/");
    noHostPaths(raw);
  });
});

describe("this machine's own OS", () => {
  test("--os linux on Linux keeps this machine's paths and variables", async () => {
    const { plan: p } = await plan(["--os", "linux"]);
    expect(p.manifest.workspaceDir).toBe(join(home, ".headroom"));
    expect(p.manifest.binPath).toBe(binPath);
  });
});

describe("the preview helpers", () => {
  test("previewEnv drops this host's path variables and lays out the target's home; the host's own OS is left alone", () => {
    const host = { HOME: "/home/bob", USER: "bob", XDG_CONFIG_HOME: "/home/bob/.config", CODEX_HOME: "/home/bob/.codex", ANTHROPIC_API_KEY: "k", HEADROOM_PORT: "9000" };
    const w = previewEnv("windows", host, "linux");
    expect(w).toMatchObject({ USERPROFILE: "C:\\Users\\bob", LOCALAPPDATA: "C:\\Users\\bob\\AppData\\Local", APPDATA: "C:\\Users\\bob\\AppData\\Roaming", USERNAME: "bob", ANTHROPIC_API_KEY: "k", HEADROOM_PORT: "9000" });
    expect(w.HOME).toBeUndefined();
    expect(w.XDG_CONFIG_HOME).toBeUndefined();
    expect(w.CODEX_HOME).toBeUndefined();
    expect(previewEnv("darwin", host, "linux")).toMatchObject({ HOME: "/Users/bob", USER: "bob" });
    expect(previewEnv("linux", host, "linux")).toBe(host);
    expect(workspaceDirFor("windows", w)).toBe("C:\\Users\\bob\\.headroom");
    expect(previewBinPath("windows", w)).toBe("C:\\Users\\bob\\AppData\\Local\\headroom\\bin\\headroom.exe");
    expect(previewBinPath("darwin", previewEnv("darwin", host, "linux"))).toBe("/Users/bob/.local/bin/headroom");
  });
});
