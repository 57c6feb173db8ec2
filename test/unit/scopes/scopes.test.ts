// User and system scopes: which files get the marker-fenced block, that real shells read
// it, root checks, and Windows environment variables as recorded PowerShell commands.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadroomError } from "../../../src/errors.ts";
import type { CommandRunner } from "../../../src/host/exec.ts";
import { applyWiring, planWiring, revertWiring, wiringDrift, type WiringRequest } from "../../../src/install/wiring.ts";
import { psQuote } from "../../../src/install/scopes/windows-env.ts";
import { shellBlockLines } from "../../../src/install/scopes/shell-env.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const PORT = 42345;
const BASE = `http://127.0.0.1:${PORT}`;

function request(over: Partial<WiringRequest> = {}): WiringRequest {
  const home = mkdtempSync(join(tmpdir(), "headroom-scope-"));
  roots.push(home);
  return {
    scope: "user",
    providers: "manual",
    // cursor, not codex: Codex ignores OPENAI_BASE_URL, so these scopes refuse it.
    targets: ["claude", "cursor", "copilot"],
    port: PORT,
    host: "127.0.0.1",
    os: "linux",
    home,
    env: { HOME: home, PATH: "/nonexistent" },
    profileDir: join(home, ".headroom", "deploy", "default"),
    isRoot: false,
    ...over,
  };
}

const read = (p: string) => readFileSync(p, "utf8");

function sourced(shell: string, file: string, names: string[]): string {
  const out = Bun.spawnSync([shell, "-c", `. '${file}'; printf '%s|' ${names.map((n) => `"$${n}"`).join(" ")}`]);
  return out.stdout.toString();
}

describe("user scope (Linux, macOS)", () => {
  test("existing ~/.bashrc and ~/.zshrc get the block, ~/.profile is created, fish gets conf.d/headroom.fish", async () => {
    const req = request();
    const { home } = req;
    writeFileSync(join(home, ".bashrc"), "# my bashrc\nalias l=ls\n");
    writeFileSync(join(home, ".zshrc"), "setopt autocd\n");
    mkdirSync(join(home, ".config", "fish"), { recursive: true });
    const plan = await planWiring(req);
    expect(plan.files.map((f) => f.path).sort()).toEqual(
      [".bashrc", ".config/fish/conf.d/headroom.fish", ".profile", ".zshrc"].map((f) => join(home, f)).sort(),
    );
    const records = await applyWiring(req, async () => {});
    for (const f of [".bashrc", ".zshrc", ".profile"]) {
      const text = read(join(home, f));
      expect(text).toContain("# >>> headroom persistent env >>>\n");
      expect(text).toContain("# <<< headroom persistent env <<<\n");
      expect(sourced("sh", join(home, f), ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "COPILOT_PROVIDER_BASE_URL", "HEADROOM_HOST"])).toBe(
        `${BASE}|${BASE}/v1|${BASE}/v1|127.0.0.1|`,
      );
    }
    expect(read(join(home, ".bashrc")).startsWith("# my bashrc\nalias l=ls\n")).toBe(true);
    const fish = read(join(home, ".config/fish/conf.d/headroom.fish"));
    expect(fish).toContain(`set -gx ANTHROPIC_BASE_URL '${BASE}'`);
    expect(fish).toContain(`set -gx HEADROOM_PORT '${PORT}'`);
    expect(fish).not.toContain("export ");
    // Re-apply: still one block per file.
    await applyWiring(req, async () => {});
    expect(read(join(home, ".bashrc")).match(/>>> headroom persistent env >>>/g)?.length).toBe(1);
    await revertWiring(records);
    expect(read(join(home, ".bashrc"))).toBe("# my bashrc\nalias l=ls\n");
    expect(read(join(home, ".zshrc"))).toBe("setopt autocd\n");
    expect(existsSync(join(home, ".profile"))).toBe(false);
    expect(existsSync(join(home, ".config/fish/conf.d/headroom.fish"))).toBe(false);
  });

  test("macOS: ~/.zshrc is the file created; zsh reads it", async () => {
    const req = request({ os: "darwin" });
    const plan = await planWiring(req);
    expect(plan.files.map((f) => f.path)).toEqual([join(req.home, ".zshrc")]);
    await applyWiring(req, async () => {});
    const zsh = Bun.which("zsh") ? "zsh" : "sh";
    expect(sourced(zsh, join(req.home, ".zshrc"), ["ANTHROPIC_BASE_URL"])).toBe(`${BASE}|`);
  });

  test("values with quotes, dollars and backticks survive shell quoting", () => {
    const value = "it's $HOME `id` \\ \"q\"";
    const file = join(request().home, "block.sh");
    writeFileSync(file, shellBlockLines({ TRICKY: value }).join("\n") + "\n");
    expect(sourced("sh", file, ["TRICKY"])).toBe(`${value}|`);
    expect(sourced("bash", file, ["TRICKY"])).toBe(`${value}|`);
  });

  test("drift: a removed block is reported", async () => {
    const req = request();
    writeFileSync(join(req.home, ".bashrc"), "x=1\n");
    const records = await applyWiring(req, async () => {});
    writeFileSync(join(req.home, ".bashrc"), "x=1\n");
    const drift = await wiringDrift(records);
    expect(drift).toEqual([`${join(req.home, ".bashrc")}: the headroom block was removed since headroom added it.`]);
  });
});

describe("system scope", () => {
  test("Linux without root: a clear error naming the file, nothing written", async () => {
    const root = mkdtempSync(join(tmpdir(), "headroom-sysroot-"));
    roots.push(root);
    const req = request({ scope: "system", isRoot: false, systemRoot: root });
    const err = await applyWiring(req, async () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(HeadroomError);
    expect(err.message).toContain(join(root, "etc/profile.d/headroom.sh"));
    expect(err.message).toContain("root");
    expect(existsSync(join(root, "etc"))).toBe(false);
  });

  test("Linux as root: /etc/profile.d/headroom.sh, read by sh, removed on undo", async () => {
    const root = mkdtempSync(join(tmpdir(), "headroom-sysroot-"));
    roots.push(root);
    const req = request({ scope: "system", isRoot: true, systemRoot: root });
    const records = await applyWiring(req, async () => {});
    const file = join(root, "etc/profile.d/headroom.sh");
    expect(sourced("sh", file, ["OPENAI_BASE_URL", "HEADROOM_PORT"])).toBe(`${BASE}/v1|${PORT}|`);
    await revertWiring(records);
    expect(existsSync(file)).toBe(false);
  });

  test("macOS: /etc/profile, /etc/zprofile, /etc/bashrc", async () => {
    const root = mkdtempSync(join(tmpdir(), "headroom-sysroot-"));
    roots.push(root);
    mkdirSync(join(root, "etc"));
    const profile = "# System-wide .profile for sh(1)\nif [ -x /usr/libexec/path_helper ]; then\n\teval `/usr/libexec/path_helper -s`\nfi\n";
    writeFileSync(join(root, "etc/profile"), profile);
    const req = request({ scope: "system", isRoot: true, os: "darwin", systemRoot: root });
    const plan = await planWiring(req);
    expect(plan.files.map((f) => f.path)).toEqual(["etc/profile", "etc/zprofile", "etc/bashrc"].map((p) => join(root, p)));
    const records = await applyWiring(req, async () => {});
    expect(read(join(root, "etc/profile")).startsWith(profile)).toBe(true);
    expect(read(join(root, "etc/zprofile"))).toContain(`export ANTHROPIC_BASE_URL='${BASE}'`);
    await revertWiring(records);
    expect(read(join(root, "etc/profile"))).toBe(profile);
    expect(existsSync(join(root, "etc/zprofile"))).toBe(false);
  });
});

describe("Windows environment variables", () => {
  function recorder(previous: Record<string, string | null>) {
    const calls: string[][] = [];
    const runner: CommandRunner = async (argv) => {
      calls.push(argv);
      const script = argv.at(-1)!;
      if (script.includes("GetEnvironmentVariable")) return { code: 0, stdout: JSON.stringify(previous) + "\r\n", stderr: "" };
      return { code: 0, stdout: "", stderr: "" };
    };
    return { calls, runner };
  }

  test("user scope: previous values read and recorded, each variable set, restored on remove", async () => {
    const { calls, runner } = recorder({ ANTHROPIC_BASE_URL: "https://corp.example.com/it's", OPENAI_BASE_URL: null });
    const req = request({ os: "windows", runner, targets: ["claude", "cursor"] });
    const plan = await planWiring(req);
    expect(plan.files).toEqual([]);
    expect(plan.commands.length).toBe(2);
    const persisted: unknown[] = [];
    const records = await applyWiring(req, async (r) => void persisted.push(r));
    expect(calls.length).toBe(2);
    expect(calls[0]!.slice(0, 2)).toEqual(["powershell.exe", "-NoProfile"]);
    expect(calls[0]!.at(-1)).toContain("[Environment]::GetEnvironmentVariable($n, 'User')");
    const set = calls[1]!.at(-1)!;
    expect(set).toContain(`[Environment]::SetEnvironmentVariable('ANTHROPIC_BASE_URL', '${BASE}', 'User')`);
    expect(set).toContain(`[Environment]::SetEnvironmentVariable('OPENAI_BASE_URL', '${BASE}/v1', 'User')`);
    expect(set).toContain(`[Environment]::SetEnvironmentVariable('HEADROOM_PORT', '${PORT}', 'User')`);
    // The record (with the previous values) is persisted before anything is set.
    expect(persisted.length).toBeGreaterThanOrEqual(1);
    expect(records[0]!.path).toBe("HKCU\\Environment");
    expect(records[0]!.data!.previous).toEqual({ ANTHROPIC_BASE_URL: "https://corp.example.com/it's", OPENAI_BASE_URL: null, HEADROOM_PORT: null, HEADROOM_HOST: null });
    calls.length = 0;
    const { failed } = await revertWiring(records, { runner });
    expect(failed).toEqual([]);
    const restore = calls[0]!.at(-1)!;
    expect(restore).toContain(`[Environment]::SetEnvironmentVariable('ANTHROPIC_BASE_URL', 'https://corp.example.com/it''s', 'User')`);
    expect(restore).toContain(`[Environment]::SetEnvironmentVariable('OPENAI_BASE_URL', $null, 'User')`);
  });

  test("machine scope needs an administrator", async () => {
    const { runner, calls } = recorder({});
    const err = await applyWiring(request({ os: "windows", scope: "system", isRoot: false, runner }), async () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(HeadroomError);
    expect(err.message).toContain("administrator");
    expect(calls).toEqual([]);
  });

  test("machine scope as administrator uses 'Machine'", async () => {
    const { runner, calls } = recorder({});
    const [rec] = await applyWiring(request({ os: "windows", scope: "system", isRoot: true, runner }), async () => {});
    expect(calls[1]!.at(-1)).toContain("'Machine')");
    expect(rec!.path).toContain("HKLM");
  });

  test("PowerShell single-quote escaping", () => {
    expect(psQuote("a'b")).toBe("'a''b'");
  });
});
