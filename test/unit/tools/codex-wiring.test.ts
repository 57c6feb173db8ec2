// Codex's wiring in each scope: the provider table that makes Codex send the user's own
// login (requires_openai_auth) and use the Responses WebSocket the proxy relays; the user
// scope refused in one sentence naming the scopes that work (Codex ignores
// OPENAI_BASE_URL); the system scope writing /etc/codex/config.toml (under a temp root),
// readable by every user, and taking it out again byte for byte with no folder left.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { UsageError } from "../../../src/errors.ts";
import { applyWiring, planWiring, resolveTargets, revertWiring, supportedTargets, wiringDrift, type WiringRequest } from "../../../src/install/wiring.ts";
import { codexProviderTable, codexScopeRefusal } from "../../../src/tools/codex.ts";
import { TOOL_NAMES } from "../../../src/tools/registry.ts";

const PORT = 41777;
const BASE = `http://127.0.0.1:${PORT}`;
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function request(over: Partial<WiringRequest> = {}): WiringRequest {
  const home = mkdtempSync(join(tmpdir(), "headroom-codex-wiring-"));
  roots.push(home);
  const profileDir = join(home, ".headroom", "deploy", "default");
  mkdirSync(profileDir, { recursive: true });
  return {
    scope: "provider", providers: "manual", targets: ["codex"], port: PORT, host: "127.0.0.1", os: "linux",
    home, env: { HOME: home, PATH: "/nonexistent" }, profileDir, isRoot: true, systemRoot: join(home, "sysroot"), ...over,
  };
}

const HEADROOM_TABLE = { name: "Headroom", base_url: `${BASE}/v1`, wire_api: "responses", requires_openai_auth: true, supports_websockets: true };

describe("the provider table", () => {
  test("requires_openai_auth and supports_websockets whatever the login (API key, ChatGPT, none)", async () => {
    for (const auth of [null, '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-x"}', '{"auth_mode":"chatgpt","tokens":{"account_id":"a"}}']) {
      const req = request();
      if (auth) {
        mkdirSync(join(req.home, ".codex"), { recursive: true });
        writeFileSync(join(req.home, ".codex/auth.json"), auth);
      }
      const plan = await planWiring(req);
      const doc = parseToml(plan.files[0]!.after) as Record<string, any>;
      expect(doc.model_providers.headroom).toEqual(HEADROOM_TABLE);
      // headroom never writes a key.
      expect(plan.files[0]!.after).not.toContain("sk-x");
    }
    expect(codexProviderTable(BASE)).toContain("requires_openai_auth = true");
  });
});

describe("user scope", () => {
  test("--target codex is a usage error naming the scopes that work", () => {
    const sentence = codexScopeRefusal("user", "linux")!;
    expect(sentence).toMatch(/OPENAI_BASE_URL.*--scope provider/);
    expect(sentence.split(/\.\s/).length).toBe(1); // one sentence
    for (const targets of [["codex"], ["claude", "codex"]]) {
      let err: unknown;
      try {
        resolveTargets(request({ scope: "user", targets }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toBe(sentence);
    }
  });

  test("all and auto leave codex out instead of writing a variable it ignores", () => {
    expect(supportedTargets("user", "linux")).toEqual(TOOL_NAMES.filter((t) => t !== "codex" && t !== "openclaw"));
    expect(resolveTargets(request({ scope: "user", providers: "all", targets: [] }))).not.toContain("codex");
    // Nothing detected: the fallback pair loses codex too.
    expect(resolveTargets(request({ scope: "user", providers: "auto", targets: [] }))).toEqual(["claude"]);
    // The provider scope is not affected.
    expect(resolveTargets(request({ scope: "provider", targets: ["codex"] }))).toEqual(["codex"]);
  });
});

describe("system scope", () => {
  test("a new /etc/codex/config.toml (folder 0755, file 0644), removed with its folder", async () => {
    const req = request({ scope: "system", targets: ["claude", "codex"] });
    const sys = join(req.systemRoot!, "etc/codex/config.toml");
    const plan = await planWiring(req);
    expect(plan.files.map((f) => f.path)).toEqual([join(req.systemRoot!, "etc/profile.d/headroom.sh"), sys]);
    mkdirSync(join(req.systemRoot!, "etc/profile.d"), { recursive: true });
    const records = await applyWiring(req, async () => {});
    const doc = parseToml(readFileSync(sys, "utf8")) as Record<string, any>;
    expect(doc.model_provider).toBe("headroom");
    expect(doc.model_providers.headroom).toEqual(HEADROOM_TABLE);
    expect(statSync(join(req.systemRoot!, "etc/codex")).mode & 0o777).toBe(0o755);
    expect(statSync(sys).mode & 0o777).toBe(0o644);
    expect(await wiringDrift(records)).toEqual([]);
    const { failed } = await revertWiring(records);
    expect(failed).toEqual([]);
    expect(existsSync(join(req.systemRoot!, "etc/codex"))).toBe(false);
    expect(existsSync(join(req.systemRoot!, "etc/profile.d/headroom.sh"))).toBe(false);
  });

  test("an admin's own /etc/codex/config.toml comes back byte for byte", async () => {
    const req = request({ scope: "system" });
    const dir = join(req.systemRoot!, "etc/codex");
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(req.systemRoot!, "etc/profile.d"), { recursive: true });
    const original = '# site policy\nmodel = "gpt-5.5"\nmodel_provider = "corp"\n\n[model_providers.corp]\nname = "Corp"\nbase_url = "https://llm.corp.example/v1"\n';
    writeFileSync(join(dir, "config.toml"), original);
    const records = await applyWiring(req, async () => {});
    const doc = parseToml(readFileSync(join(dir, "config.toml"), "utf8")) as Record<string, any>;
    expect(doc.model).toBe("gpt-5.5");
    expect(doc.model_provider).toBe("headroom");
    expect(doc.model_providers.corp.base_url).toBe("https://llm.corp.example/v1");
    await revertWiring(records);
    expect(readFileSync(join(dir, "config.toml"), "utf8")).toBe(original);
  });

  test("without root nothing is planned; on Windows the pair is refused naming the provider scope", async () => {
    await expect(planWiring(request({ scope: "system", isRoot: false }))).rejects.toThrow(/needs root/);
    let err: unknown;
    try {
      resolveTargets(request({ scope: "system", os: "windows" }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain("--scope provider");
  });
});
