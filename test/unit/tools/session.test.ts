// The wrap session edit: applied for codex/opencode/openclaw, restored byte for byte on
// exit, shared by nested wraps (first applies, last restores), and undone by unwrap.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { applyToolSession, revertToolSession, sessionStateDir } from "../../../src/tools/session.ts";

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function sandbox() {
  const home = mkdtempSync(join(tmpdir(), "headroom-session-"));
  roots.push(home);
  const env = { HOME: home, PATH: "/nonexistent", HEADROOM_WORKSPACE_DIR: join(home, ".headroom") };
  return { home, env };
}

const CODEX = `# my codex config\nmodel = "gpt-5"\n\n[features]\nweb_search = true\n`;

describe("wrap session edit", () => {
  test("codex: applied, then restored byte for byte", async () => {
    const { home, env } = sandbox();
    mkdirSync(join(home, ".codex"));
    const cfg = join(home, ".codex", "config.toml");
    writeFileSync(cfg, CODEX);
    await applyToolSession("codex", { port: 40123, host: "127.0.0.1", env });
    const doc = parseToml(readFileSync(cfg, "utf8")) as any;
    expect(doc.model_provider).toBe("headroom");
    expect(doc.model_providers.headroom.base_url).toBe("http://127.0.0.1:40123/v1");
    expect(doc.features.web_search).toBe(true);
    expect(await revertToolSession("codex", { env })).toBe(true);
    expect(readFileSync(cfg, "utf8")).toBe(CODEX);
    expect(await revertToolSession("codex", { env })).toBe(false);
  });

  test("nested wraps: the first applies, the last to exit restores", async () => {
    const { home, env } = sandbox();
    const cfgDir = join(home, ".config", "opencode");
    mkdirSync(cfgDir, { recursive: true });
    const cfg = join(cfgDir, "opencode.json");
    const original = `{\n  // mine\n  "theme": "dark"\n}\n`;
    writeFileSync(cfg, original);
    const a = Bun.spawn(["sleep", "60"]);
    const b = Bun.spawn(["sleep", "60"]);
    try {
      await applyToolSession("opencode", { port: 40124, env, pid: a.pid });
      const once = readFileSync(cfg, "utf8");
      await applyToolSession("opencode", { port: 40124, env, pid: b.pid });
      expect(readFileSync(cfg, "utf8")).toBe(once);
      expect(await revertToolSession("opencode", { env, pid: a.pid })).toBe(false);
      expect(readFileSync(cfg, "utf8")).toBe(once);
      expect(await revertToolSession("opencode", { env, pid: b.pid })).toBe(true);
      expect(readFileSync(cfg, "utf8")).toBe(original);
    } finally {
      a.kill();
      b.kill();
    }
  });

  test("a crashed wrap's edit is undone by unwrap, and by the next wrap", async () => {
    const { home, env } = sandbox();
    const cfg = join(home, ".openclaw", "openclaw.json");
    mkdirSync(join(home, ".openclaw"));
    const original = `// openclaw\n{\n  agents: { defaults: { model: { primary: 'anthropic/claude-sonnet-4-5' } } },\n}\n`;
    writeFileSync(cfg, original);
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    await applyToolSession("openclaw", { port: 40125, env, pid: dead.pid });
    expect(readFileSync(cfg, "utf8")).toContain("http://127.0.0.1:40125/v1");
    // Next wrap finds a stale session (its client is dead): undoes it, applies its own.
    const live = Bun.spawn(["sleep", "60"]);
    try {
      await applyToolSession("openclaw", { port: 40126, env, pid: live.pid });
      const text = readFileSync(cfg, "utf8");
      expect(text).toContain("40126");
      expect(text).not.toContain("40125");
      // unwrap (not a registered client) restores at once.
      expect(await revertToolSession("openclaw", { env })).toBe(true);
      expect(readFileSync(cfg, "utf8")).toBe(original);
      expect(existsSync(join(sessionStateDir("openclaw", env), "session.json"))).toBe(false);
    } finally {
      live.kill();
    }
  });

  test("a SIGKILLed wrap process: unwrap restores the config byte for byte", async () => {
    const { home, env } = sandbox();
    mkdirSync(join(home, ".codex"));
    const cfg = join(home, ".codex", "config.toml");
    writeFileSync(cfg, CODEX);
    const session = join(import.meta.dir, "../../../src/tools/session.ts");
    const script = `const { applyToolSession } = await import(${JSON.stringify(session)});
await applyToolSession("codex", { port: 40128, env: ${JSON.stringify(env)} });
console.log("applied");
await Bun.sleep(120000);`;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
    try {
      const reader = child.stdout.getReader();
      const { value } = await reader.read();
      expect(new TextDecoder().decode(value)).toContain("applied");
      expect(readFileSync(cfg, "utf8")).toContain('model_provider = "headroom"');
      expect(existsSync(join(sessionStateDir("codex", env), "clients", String(child.pid)))).toBe(true);
    } finally {
      child.kill(9);
    }
    await child.exited;
    expect(await revertToolSession("codex", { env })).toBe(true);
    expect(readFileSync(cfg, "utf8")).toBe(CODEX);
  });

  test("tools without a session edit are a no-op", async () => {
    const { env } = sandbox();
    await applyToolSession("claude", { port: 40127, env });
    expect(await revertToolSession("claude", { env })).toBe(false);
  });
});
