// Repeatable options of `install apply` against the compiled binary: several --target and
// --env values, in both spellings and mixed, reach the plan in order (targets
// deduplicated) in every scope; and one real apply of two tools in provider scope edits
// both files, and remove gives both back byte for byte.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, health, hr } from "./install-support.ts";

interface DryRun {
  manifest: { scope: string; targets: string[]; env: Record<string, string> };
  files: { path: string; content: string }[];
  commands: string[][];
}

function isolatedHome(prefix: string): { home: string; env: Record<string, string | undefined> } {
  const home = mkdtempSync(join("/tmp", prefix));
  return { home, env: { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), XDG_CONFIG_HOME: undefined, CODEX_HOME: undefined, CLAUDE_CONFIG_DIR: undefined, OPENCODE_CONFIG: undefined, OPENCLAW_CONFIG_PATH: undefined, OPENCLAW_STATE_DIR: undefined, COPILOT_HOME: undefined } };
}

/** Every regular file under dir with its bytes (paths relative to dir). */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(relative(dir, p), readFileSync(p, "latin1"));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe("install apply --dry-run --json with repeated options, in every scope", () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  async function dryRun(args: string[]): Promise<{ plan: DryRun; home: string }> {
    const { home, env } = isolatedHome("headroom-repeat-");
    homes.push(home);
    const r = await hr(["install", "apply", "--profile", "rep", "--port", "18787", "--providers", "manual", ...args, "--dry-run", "--json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as DryRun;
    // Nothing is written by a dry run.
    expect(tree(home).size).toBe(0);
    return { plan, home };
  }

  test("provider scope: the README's two targets, then four in both spellings with a repeat", async () => {
    const two = await dryRun(["--scope", "provider", "--target", "claude", "--target", "codex"]);
    expect(two.plan.manifest.targets).toEqual(["claude", "codex"]);
    const paths = two.plan.files.map((f) => f.path);
    expect(paths).toContain(join(two.home, ".claude/settings.json"));
    expect(paths).toContain(join(two.home, ".codex/config.toml"));

    const four = await dryRun(["--scope", "provider", "--target=opencode", "--target", "claude", "--target=openclaw", "--target", "codex", "--target", "claude"]);
    expect(four.plan.manifest.targets).toEqual(["opencode", "claude", "openclaw", "codex"]);
    const edited = four.plan.files.map((f) => relative(four.home, f.path)).filter((p) => !p.startsWith(".config/systemd"));
    expect(edited.sort()).toEqual([".claude/settings.json", ".codex/config.toml", ".config/opencode/opencode.json", ".openclaw/openclaw.json"]);
  });

  test("user scope: the tools routed by variables, mixed spellings with a repeat; the shell block routes every one of them", async () => {
    const { plan, home } = await dryRun(["--scope", "user", "--target", "claude", "--target=aider", "--target", "copilot", "--target=cursor", "--target", "aider"]);
    expect(plan.manifest.targets).toEqual(["claude", "aider", "copilot", "cursor"]);
    const profile = plan.files.find((f) => f.path === join(home, ".profile"));
    expect(profile).toBeDefined();
    for (const line of [
      "export ANTHROPIC_BASE_URL='http://127.0.0.1:18787'",
      "export OPENAI_BASE_URL='http://127.0.0.1:18787/v1'",
      "export OPENAI_API_BASE='http://127.0.0.1:18787/v1'",
      "export COPILOT_PROVIDER_BASE_URL='http://127.0.0.1:18787/v1'",
    ]) expect(profile!.content).toContain(line);
  });

  test("system scope: five targets (the case that used to give only the last one)", async () => {
    const { plan } = await dryRun(["--scope", "system", "--target", "claude", "--target", "codex", "--target", "aider", "--target", "cursor", "--target", "copilot"]);
    expect(plan.manifest.scope).toBe("system");
    expect(plan.manifest.targets).toEqual(["claude", "codex", "aider", "cursor", "copilot"]);
    const block = plan.files.find((f) => f.path === "/etc/profile.d/headroom.sh");
    expect(block?.content).toContain("export OPENAI_API_BASE='http://127.0.0.1:18787/v1'");
    expect(block?.content).toContain("export COPILOT_PROVIDER_BASE_URL='http://127.0.0.1:18787/v1'");
  });

  test("--env: every value lands in the manifest, in order", async () => {
    const { plan } = await dryRun(["--scope", "user", "--target", "claude", "--env", "ZED=1", "--env=ALPHA=two words", "--env", "MID=a=b"]);
    // Names only: the printed plan may mask the values (the real apply below checks them on disk).
    expect(Object.keys(plan.manifest.env)).toEqual(["ZED", "ALPHA", "MID"]);
  });

  test("a repeatable option without a value is a usage error, not a silent no-op", async () => {
    const { env, home } = isolatedHome("headroom-repeat-");
    homes.push(home);
    const r = await hr(["install", "apply", "--providers", "manual", "--target", "claude", "--target", "--dry-run"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--target needs a value");
  });
});

describe.skipIf(systemdSkipReason() !== null)("install apply: two targets in provider scope, for real", () => {
  let sd: UserManager;
  let port: number;
  const profile = "pair";
  const claudeOriginal = '{\n    "model": "opus",\n    "permissions": { "allow": ["Bash(ls:*)"] }\n}\n';
  const codexOriginal = '# my codex\nmodel = "gpt-5"\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n';

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-repeat-real-" });
    port = await freePort();
    mkdirSync(join(sd.home, ".claude"));
    mkdirSync(join(sd.home, ".codex"));
    writeFileSync(join(sd.home, ".claude/settings.json"), claudeOriginal);
    writeFileSync(join(sd.home, ".codex/config.toml"), codexOriginal);
  }, 30_000);

  afterAll(async () => {
    if (!sd) return;
    await hr(["install", "remove", "--profile", profile], sd.env).catch(() => {});
    await sd.stop();
  }, 60_000);

  test("apply edits both files and records both --env values; remove restores both byte for byte", async () => {
    const before = tree(sd.home);
    const r = await hr(["install", "apply", "--profile", profile, "--scope", "provider", "--providers", "manual", "--target", "claude", "--target=codex", "--port", String(port), "--env", "HR_FIRST=1", "--env=HR_SECOND=2", "--json"], sd.env);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.manifest.targets).toEqual(["claude", "codex"]);
    expect((await health(port))?.deployment?.profile).toBe(profile);

    const claude = readFileSync(join(sd.home, ".claude/settings.json"), "utf8");
    const codex = readFileSync(join(sd.home, ".codex/config.toml"), "utf8");
    expect(JSON.parse(claude).env.ANTHROPIC_BASE_URL).toBe(`http://127.0.0.1:${port}`);
    expect(JSON.parse(claude).model).toBe("opus");
    expect(codex).toContain('model_provider = "headroom"');
    expect(codex).toContain(`base_url = "http://127.0.0.1:${port}/v1"`);
    expect(codex).toContain("[profiles.fast]");

    const manifest = JSON.parse(readFileSync(join(sd.home, ".headroom/deploy", profile, "manifest.json"), "utf8"));
    expect(Object.entries(manifest.env)).toEqual([["HR_FIRST", "1"], ["HR_SECOND", "2"]]);
    expect(manifest.changes.map((c: { path: string }) => relative(sd.home, c.path)).sort()).toEqual([".claude/settings.json", ".codex/config.toml"]);

    const rm = await hr(["install", "remove", "--profile", profile], sd.env);
    expect(rm.code).toBe(0);
    expect(readFileSync(join(sd.home, ".claude/settings.json"), "utf8")).toBe(claudeOriginal);
    expect(readFileSync(join(sd.home, ".codex/config.toml"), "utf8")).toBe(codexOriginal);
    // No file left behind in the tools' folders, and the unit is gone.
    const after = tree(sd.home);
    for (const dir of [".claude", ".codex", ".config/systemd"]) {
      const pick = (t: Map<string, string>) => [...t].filter(([p]) => p.startsWith(`${dir}/`));
      expect(pick(after)).toEqual(pick(before));
    }
  }, 90_000);
});
