// Target selection (--providers auto|all|manual, --target), detection, per-tool variables,
// ChatGPT sign-in detection for Codex, and OpenClaw through its own CLI.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import JSON5 from "json5";
import { UsageError } from "../../../src/errors.ts";
import { applyWiring, planWiring, resolveTargets, revertWiring, type WiringRequest } from "../../../src/install/wiring.ts";
import type { ChangeRecord } from "../../../src/install/manifest.ts";
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
    // Codex ignores OPENAI_BASE_URL: the user scope cannot wire it.
    expect(resolveTargets(req({ scope: "user", providers: "all" }))).toEqual(TOOL_NAMES.filter((t) => t !== "codex"));
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
    expect(resolveTargets(r)).toEqual(["cursor", "opencode", "openclaw"]);
    // The provider scope keeps only the ones it supports.
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

describe("OpenClaw through its CLI when it is on PATH", () => {
  const FAKE = resolve(import.meta.dir, "../../support/fake-openclaw.ts");
  const original = readFileSync(resolve(import.meta.dir, "../../fixtures/wiring/openclaw.json5"), "utf8");

  function setup() {
    const r = req({ providers: "manual", targets: ["openclaw"] });
    const log = join(r.home, "openclaw.log");
    fakeBinary(r.home, "openclaw", `#!/bin/sh\nexec '${process.execPath}' '${FAKE}' "$@"\n`);
    mkdirSync(join(r.home, ".openclaw"));
    const file = join(r.home, ".openclaw", "openclaw.json");
    writeFileSync(file, original);
    r.env = { ...r.env, FAKE_OPENCLAW_LOG: log };
    const logged = () => readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    return { r, file, logged };
  }

  test("apply runs `openclaw config set`; remove of an untouched file restores it byte for byte", async () => {
    const { r, file, logged } = setup();
    process.env.FAKE_OPENCLAW_LOG = r.env.FAKE_OPENCLAW_LOG;
    try {
      const plan = await planWiring(r);
      const bin = join(r.home, "bin", "openclaw");
      expect(plan.commands).toEqual([
        [bin, "config", "set", "models.providers.anthropic", JSON.stringify({ baseUrl: "http://127.0.0.1:43456", models: [] }), "--strict-json"],
        [bin, "config", "set", "models.providers.openai.baseUrl", JSON.stringify("http://127.0.0.1:43456/v1"), "--strict-json"],
      ]);
      const records = await applyWiring(r, async () => {});
      expect(logged().map((a) => a.slice(0, 3).join(" "))).toEqual(["config set models.providers.anthropic", "config set models.providers.openai.baseUrl"]);
      const doc = JSON5.parse(readFileSync(file, "utf8"));
      expect(doc.models.providers.anthropic.baseUrl).toBe("http://127.0.0.1:43456");
      expect(doc.models.providers.openai.baseUrl).toBe("http://127.0.0.1:43456/v1");
      expect(records[0]!.backup).toBeString();
      await revertWiring(records);
      expect(readFileSync(file, "utf8")).toBe(original);
    } finally {
      delete process.env.FAKE_OPENCLAW_LOG;
    }
  });

  test("remove after a user edit goes through `openclaw config unset`, keeping the edit", async () => {
    const { r, file, logged } = setup();
    process.env.FAKE_OPENCLAW_LOG = r.env.FAKE_OPENCLAW_LOG;
    try {
      const records = await applyWiring(r, async () => {});
      const doc = JSON5.parse(readFileSync(file, "utf8"));
      doc.gateway.port = 19999;
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const { failed } = await revertWiring(records);
      expect(failed).toEqual([]);
      expect(logged().slice(2).map((a) => a.slice(0, 3).join(" "))).toEqual(["config unset models.providers.openai.baseUrl", "config unset models.providers.anthropic"]);
      const after = JSON5.parse(readFileSync(file, "utf8"));
      expect(after.gateway.port).toBe(19999);
      expect(after.models.providers.anthropic).toBeUndefined();
      expect(after.models.providers.openai).toEqual({ apiKey: "${OPENAI_API_KEY}" });
    } finally {
      delete process.env.FAKE_OPENCLAW_LOG;
    }
  });

  test("a CLI command that fails stops the apply with its message; the persisted record undoes the half-made change", async () => {
    const { r, file } = setup();
    r.env = { ...r.env, FAKE_OPENCLAW_FAIL_MATCH: "openai" };
    let persisted: ChangeRecord[] = [];
    const err = await applyWiring(r, async (recs) => void (persisted = recs)).catch((e) => e);
    expect(String(err.message)).toContain("config set models.providers.openai.baseUrl");
    expect(String(err.message)).toContain("Config validation failed");
    // The first command went through: the file is half-changed.
    expect(JSON5.parse(readFileSync(file, "utf8")).models.providers.anthropic).toBeDefined();
    expect(persisted.length).toBe(1);
    const { failed } = await revertWiring(persisted);
    expect(failed).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(original);
  });
});
