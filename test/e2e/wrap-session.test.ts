// The per-session config edits of `wrap codex|opencode` and `unwrap`, against the
// compiled binary: the tool sees the edit while it runs, and the user's file comes back
// byte for byte after a normal exit, after SIGTERM, and (through unwrap) after a SIGKILLed wrap.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binPath, runBin } from "../support/bin.ts";
import { type WrapSandbox, freePort, makeWrapSandbox, pidAlive, readRuns, spawnInOwnGroup, until } from "../support/fake-tool.ts";

// A user's Codex config: comments, their own model_provider, and a table at the end.
const CODEX_CONFIG = `# my codex settings
model = "gpt-5-codex"
model_provider = "openai"

[features]
web_search = true
`;

const OPENCODE_CONFIG = `{
  // my opencode config
  "$schema": "https://opencode.ai/config.json",
  "theme": "dark", /* trailing comment */
}
`;

let sb: WrapSandbox;
let codexConfig: string;
let opencodeConfig: string;
const orphans: number[] = [];

beforeAll(() => {
  sb = makeWrapSandbox("headroom-wrap-session-");
  codexConfig = join(sb.home, ".codex", "config.toml");
  opencodeConfig = join(sb.home, ".config", "opencode", "opencode.json");
  mkdirSync(join(sb.home, ".codex"), { recursive: true });
  mkdirSync(join(sb.home, ".config", "opencode"), { recursive: true });
});

afterAll(async () => {
  for (const pid of orphans) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  await sb.cleanup();
}, 30_000);

function resetConfigs(): void {
  writeFileSync(codexConfig, CODEX_CONFIG);
  writeFileSync(opencodeConfig, OPENCODE_CONFIG);
}

function freshOut(name: string, extra: Record<string, string> = {}) {
  const out = join(sb.root, `out-${name}`);
  mkdirSync(out, { recursive: true });
  return { out, env: { ...sb.env, FAKE_TOOL_OUT: out, ...extra } };
}

describe("wrap codex, opencode and openclaw session edits", () => {
  test("codex sees the headroom provider while it runs; the config is restored byte for byte after", async () => {
    resetConfigs();
    const port = await freePort();
    const { out, env } = freshOut("codex", { FAKE_TOOL_COPY: codexConfig });
    const r = await runBin(["wrap", "codex", "--port", String(port), "exec", "hi"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    expect(run!.args).toEqual(["exec", "hi"]);
    expect(run!.env.OPENAI_BASE_URL).toBe(`http://127.0.0.1:${port}/v1`);
    expect(run!.copy).toContain(`model_provider = "headroom"`);
    expect(run!.copy).toContain(`http://127.0.0.1:${port}/v1`);
    expect(run!.copy).toContain("[model_providers.headroom]");
    expect(run!.copy).not.toContain(`model_provider = "openai"`);
    expect(readFileSync(codexConfig, "utf8")).toBe(CODEX_CONFIG);
  });

  test("opencode's JSONC config gets the provider for the session and comes back with its comments", async () => {
    resetConfigs();
    const port = await freePort();
    const { out, env } = freshOut("opencode", { FAKE_TOOL_COPY: opencodeConfig });
    const r = await runBin(["wrap", "opencode", "--port", String(port)], { env });
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    expect(run!.copy).toContain("headroom");
    expect(run!.copy).toContain(`http://127.0.0.1:${port}/v1`);
    expect(readFileSync(opencodeConfig, "utf8")).toBe(OPENCODE_CONFIG);
  });

  test("SIGTERM to wrap codex: the tool gets it, the config is restored, exit 143", async () => {
    resetConfigs();
    const port = await freePort();
    const { out, env } = freshOut("codex-term", { FAKE_TOOL_COPY: codexConfig, FAKE_TOOL_WAIT: join(sb.root, "never") });
    const w = spawnInOwnGroup([binPath, "wrap", "codex", "--port", String(port)], env);
    orphans.push(w.pid);
    const [run] = await until(() => { const r = readRuns(out); return r[0]?.started ? r : null; }, 30_000, "codex start");
    orphans.push(run!.pid);
    expect(readFileSync(codexConfig, "utf8")).toContain(`model_provider = "headroom"`);
    process.kill(w.pid, "SIGTERM");
    const res = await w.done;
    expect(res.code).toBe(143);
    expect(readFileSync(codexConfig, "utf8")).toBe(CODEX_CONFIG);
  });

  test("a SIGKILLed wrap leaves the edit; unwrap restores it without a proxy, and a second unwrap has nothing to do", async () => {
    resetConfigs();
    const port = await freePort();
    const gate = join(sb.root, "gate-kill");
    const { out, env } = freshOut("codex-kill", { FAKE_TOOL_WAIT: gate });
    const w = spawnInOwnGroup([binPath, "wrap", "codex", "--no-proxy", "--port", String(port)], env);
    orphans.push(w.pid);
    const [run] = await until(() => { const r = readRuns(out); return r[0]?.started ? r : null; }, 30_000, "codex start");
    process.kill(w.pid, "SIGKILL");
    writeFileSync(gate, ""); // let the orphaned fake tool finish (it holds wrap's output pipes)
    await w.done;
    await until(() => !pidAlive(run!.pid), 15_000, "orphaned tool to exit");
    expect(readFileSync(codexConfig, "utf8")).toContain(`model_provider = "headroom"`);

    const u = await runBin(["unwrap", "codex"], { env: sb.env });
    expect(u.code).toBe(0);
    expect(u.stdout).toContain("Restored");
    expect(readFileSync(codexConfig, "utf8")).toBe(CODEX_CONFIG);

    const again = await runBin(["unwrap", "codex"], { env: sb.env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to undo");
    expect(readFileSync(codexConfig, "utf8")).toBe(CODEX_CONFIG);
  });

  test("an unparsable codex config stops the wrap before the tool runs, changes nothing, and leaves no proxy", async () => {
    const broken = `model_provider = "openai"\n[features\n`;
    writeFileSync(codexConfig, broken);
    const port = await freePort();
    const { out, env } = freshOut("codex-broken");
    const r = await runBin(["wrap", "codex", "--port", String(port)], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(codexConfig);
    expect(r.stderr).not.toContain("    at ");
    expect(readRuns(out)).toEqual([]);
    expect(readFileSync(codexConfig, "utf8")).toBe(broken);
    const proxyAlive = await fetch(`http://127.0.0.1:${port}/livez`).then(() => true, () => false);
    expect(proxyAlive).toBe(false);
  });

  test("openclaw is routed through the proxy with its own config CLI for the session, and unwrap undoes a crashed session", async () => {
    const openclawConfig = join(sb.home, ".openclaw", "openclaw.json");
    const original = `{\n  // my gateway\n  agents: { defaults: { model: "anthropic/claude-sonnet-4" } },\n}\n`;
    mkdirSync(join(sb.home, ".openclaw"), { recursive: true });
    writeFileSync(openclawConfig, original);
    const cli = `${process.execPath} ${join(import.meta.dir, "../support/fake-openclaw.ts")}`;
    const port = await freePort();
    const { out, env } = freshOut("openclaw", { FAKE_TOOL_COPY: openclawConfig, FAKE_TOOL_CONFIG_CLI: cli });
    const r = await runBin(["wrap", "openclaw", "--port", String(port), "--", "gateway"], { env });
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    expect(run!.args).toEqual(["gateway"]);
    expect(run!.copy).toContain(`http://127.0.0.1:${port}`);
    expect(readFileSync(openclawConfig, "utf8")).not.toContain(`127.0.0.1:${port}`);

    // A wrap killed mid-session leaves the routing; unwrap takes it out.
    const gate = join(sb.root, "gate-openclaw");
    const k = freshOut("openclaw-kill", { FAKE_TOOL_WAIT: gate, FAKE_TOOL_CONFIG_CLI: cli });
    const w = spawnInOwnGroup([binPath, "wrap", "openclaw", "--no-proxy", "--port", String(port)], k.env);
    orphans.push(w.pid);
    await until(() => readRuns(k.out)[0]?.started, 30_000, "openclaw start");
    process.kill(w.pid, "SIGKILL");
    writeFileSync(gate, "");
    await w.done;
    expect(readFileSync(openclawConfig, "utf8")).toContain(`127.0.0.1:${port}`);
    const u = await runBin(["unwrap", "openclaw"], { env: { ...sb.env, FAKE_TOOL_CONFIG_CLI: cli } });
    expect(u.code).toBe(0);
    expect(u.stdout).toContain("Restored");
    expect(readFileSync(openclawConfig, "utf8")).not.toContain(`127.0.0.1:${port}`);
  });

  test("unwrap of a tool that wrap never edits says so; an unknown tool is a usage error", async () => {
    const r = await runBin(["unwrap", "claude"], { env: sb.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Nothing to undo");
    const bad = await runBin(["unwrap", "vim"], { env: sb.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("vim");
    expect(existsSync(codexConfig)).toBe(true);
  });
});
