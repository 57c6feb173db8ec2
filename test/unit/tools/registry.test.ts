// Target selection (--providers auto|all|manual, --target), detection, per-tool variables,
// ChatGPT sign-in detection for Codex, and OpenClaw through its own CLI.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import JSON5 from "json5";
import { UsageError } from "../../../src/errors.ts";
import { applyWiring, planWiring, resolveTargets, revertWiring, type WiringRequest } from "../../../src/install/wiring.ts";
import type { ChangeRecord } from "../../../src/edits/record.ts";
import { usesChatGptAuth } from "../../../src/tools/codex.ts";
import { detectTools, envForTools, PROVIDER_TOOLS, TOOL_NAMES } from "../../../src/tools/registry.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function req(over: Partial<WiringRequest> = {}): WiringRequest {
  const home = mkdtempSync(join(tmpdir(), "headroom-targets-"));
  roots.push(home);
  return {
    scope: "provider", providers: "auto", targets: [], port: 43456, host: "127.0.0.1", os: "linux",
    home, env: { HOME: home, PATH: join(home, "bin") }, profileDir: join(home, "profile"), isRoot: false, ...over,
  };
}

function fakeBinary(home: string, name: string, script = "#!/bin/sh\nexit 0\n"): void {
  mkdirSync(join(home, "bin"), { recursive: true });
  writeFileSync(join(home, "bin", name), script);
  chmodSync(join(home, "bin", name), 0o755);
}

describe("target selection", () => {
  test("manual: deduplicated, in order", () => {
    expect(resolveTargets(req({ providers: "manual", targets: ["codex", "claude", "codex"] }))).toEqual(["codex", "claude"]);
  });
  test("manual: an unknown name is a usage error naming the supported ones", () => {
    expect(() => resolveTargets(req({ providers: "manual", targets: ["claude", "vim"] }))).toThrow(UsageError);
    expect(() => resolveTargets(req({ providers: "manual", targets: ["vim"] }))).toThrow("claude, codex, opencode, openclaw");
  });
  test("provider scope refuses tools it has no adapter for", () => {
    expect(() => resolveTargets(req({ providers: "manual", targets: ["aider"] }))).toThrow(/--scope provider does not support target "aider"; it supports claude, codex, opencode, openclaw/);
    expect(resolveTargets(req({ scope: "user", providers: "manual", targets: ["aider", "copilot"] }))).toEqual(["aider", "copilot"]);
  });
  test("manual with no target is a usage error", () => {
    expect(() => resolveTargets(req({ providers: "manual" }))).toThrow(UsageError);
  });
  test("all: every target the scope supports", () => {
    expect(resolveTargets(req({ providers: "all" }))).toEqual(["claude", "codex", "opencode", "openclaw"]);
    expect(PROVIDER_TOOLS).toEqual(["claude", "codex", "opencode", "openclaw"]);
    // Codex ignores OPENAI_BASE_URL and OpenClaw ANTHROPIC_BASE_URL: the user scope cannot wire them.
    expect(resolveTargets(req({ scope: "user", providers: "all" }))).toEqual(TOOL_NAMES.filter((t) => t !== "codex" && t !== "openclaw"));
  });
  test("auto with nothing installed falls back to claude and codex", () => {
    expect(resolveTargets(req())).toEqual(["claude", "codex"]);
  });
  test("auto: binaries on PATH and config folders count as installed", () => {
    const r = req({ scope: "user" });
    fakeBinary(r.home, "opencode");
    mkdirSync(join(r.home, ".cursor"));
    mkdirSync(join(r.home, ".openclaw"));
    expect(detectTools(r.home, r.env)).toEqual(["cursor", "opencode", "openclaw"]);
    // The user scope leaves out openclaw (it ignores ANTHROPIC_BASE_URL); the provider scope keeps only the ones it has adapters for.
    expect(resolveTargets(r)).toEqual(["cursor", "opencode"]);
    expect(resolveTargets({ ...r, scope: "provider" })).toEqual(["opencode", "openclaw"]);
  });
  test("auto: CODEX_HOME and CLAUDE_CONFIG_DIR are where detection looks", () => {
    const r = req();
    mkdirSync(join(r.home, "c1"));
    expect(resolveTargets({ ...r, env: { ...r.env, CLAUDE_CONFIG_DIR: join(r.home, "c1") } })).toEqual(["claude"]);
  });
});

describe("per-tool variables", () => {
  test("SPEC 4.3 table", () => {
    const base = "http://127.0.0.1:8787";
    expect(envForTools(["claude"], 8787)).toEqual({ ANTHROPIC_BASE_URL: base, HEADROOM_PORT: "8787", HEADROOM_HOST: "127.0.0.1" });
    expect(envForTools(["codex"], 8787).OPENAI_BASE_URL).toBe(`${base}/v1`);
    expect(envForTools(["aider"], 8787)).toMatchObject({ OPENAI_API_BASE: `${base}/v1`, ANTHROPIC_BASE_URL: base });
    expect(envForTools(["cursor"], 8787)).toMatchObject({ OPENAI_BASE_URL: `${base}/v1`, ANTHROPIC_BASE_URL: base });
    // Copilot's wire API, model and key are rules that keep the user's own (test/unit/tools/copilot.test.ts).
    expect(envForTools(["copilot"], 8787)).toMatchObject({ COPILOT_PROVIDER_TYPE: "openai", COPILOT_PROVIDER_BASE_URL: `${base}/v1` });
  });
});

describe("codex ChatGPT sign-in", () => {
  const jwt = (p: object) => `e30.${Buffer.from(JSON.stringify(p)).toString("base64url")}.x`;
  test.each([
    ["auth_mode chatgpt", { auth_mode: "chatgpt" }, true],
    ["tokens.account_id", { tokens: { account_id: "a-1" } }, true],
    ["id_token claim", { tokens: { id_token: jwt({ "https://api.openai.com/auth": { chatgpt_account_id: "a-2" } }) } }, true],
    ["API key only", { OPENAI_API_KEY: "sk-x", tokens: null }, false],
    ["id_token without the claim", { tokens: { id_token: jwt({ email: "a@b" }) } }, false],
  ])("%s", (_n, auth, expected) => {
    expect(usesChatGptAuth(JSON.stringify(auth))).toBe(expected);
  });
  test("missing or broken auth.json means no ChatGPT sign-in", () => {
    expect(usesChatGptAuth(null)).toBe(false);
    expect(usesChatGptAuth("{")).toBe(false);
  });
});

describe("OpenClaw with its CLI on PATH", () => {
  // `openclaw config set` rewrites the whole JSON5 file and leaves .bak files, a journal key
  // and a state database behind; headroom edits the text and never runs the CLI.
  const FAKE = resolve(import.meta.dir, "../../support/fake-openclaw.ts");
  const original = readFileSync(resolve(import.meta.dir, "../../fixtures/wiring/openclaw.json5"), "utf8");

  test("apply runs no openclaw command and keeps the comments; remove restores the file byte for byte", async () => {
    const r = req({ providers: "manual", targets: ["openclaw"] });
    const log = join(r.home, "openclaw.log");
    fakeBinary(r.home, "openclaw", `#!/bin/sh\nexec '${process.execPath}' '${FAKE}' "$@"\n`);
    mkdirSync(join(r.home, ".openclaw"));
    const file = join(r.home, ".openclaw", "openclaw.json");
    writeFileSync(file, original);
    r.env = { ...r.env, FAKE_OPENCLAW_LOG: log };
    const plan = await planWiring(r);
    expect(plan.commands).toEqual([]);
    const records = await applyWiring(r, async () => {});
    const text = readFileSync(file, "utf8");
    expect(text).toContain("mode: 'merge', // keep the built-in catalog");
    const doc = JSON5.parse(text);
    expect(doc.models.providers.anthropic).toEqual({ baseUrl: "http://127.0.0.1:43456", api: "anthropic-messages", models: [] });
    expect(doc.models.providers.openai.baseUrl).toBe("http://127.0.0.1:43456/v1");
    await revertWiring(records);
    expect(readFileSync(file, "utf8")).toBe(original);
    expect(() => readFileSync(log, "utf8")).toThrow();
  });
});
