// Table-driven over real-world configs (test/fixtures/wiring): for each one, apply,
// re-apply (no duplicates), remove (byte-exact); and apply, user edit, remove (the edit
// stays, headroom's routing goes). Results are checked by parsing with the real parsers
// (smol-toml, JSON, json5) and by byte comparison.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import JSON5 from "json5";
import { parse as parseToml } from "smol-toml";
import { applyWiring, planWiring, revertWiring, wiringDrift, type WiringRequest } from "../../../src/install/wiring.ts";
import type { ChangeRecord } from "../../../src/edits/record.ts";
import { HeadroomError } from "../../../src/errors.ts";

const FIX = resolve(import.meta.dir, "../../fixtures/wiring");
const fixture = (name: string) => readFileSync(join(FIX, name), "utf8");
const PORT = 41234;
const BASE = `http://127.0.0.1:${PORT}`;

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function sandbox(): { home: string; req: (over: Partial<WiringRequest>) => WiringRequest } {
  const home = mkdtempSync(join(tmpdir(), "headroom-wiring-"));
  roots.push(home);
  const profileDir = join(home, ".headroom", "deploy", "default");
  mkdirSync(profileDir, { recursive: true });
  return {
    home,
    req: (over) => ({
      scope: "provider",
      providers: "manual",
      targets: [],
      port: PORT,
      host: "127.0.0.1",
      os: "linux",
      home,
      env: { HOME: home, PATH: "/nonexistent" },
      profileDir,
      isRoot: false,
      ...over,
    }),
  };
}

function jwt(payload: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none" })}.${b64(payload)}.sig`;
}

interface Case {
  name: string;
  /** Places the fixture; returns the request and the files to compare byte for byte. */
  setup(home: string, req: (o: Partial<WiringRequest>) => WiringRequest): { request: WiringRequest; files: string[] };
  /** Semantics of the applied file(s). */
  applied(files: string[]): void;
  /** A user's edit made after apply. */
  userEdit(files: string[]): void;
  /** After remove following a user edit: the edit kept, routing gone. */
  afterEditRemoved(files: string[]): void;
}

const read = (p: string) => readFileSync(p, "utf8");

const cases: Case[] = [
  {
    name: "codex config ending in a [features] table (CODEX_HOME honoured)",
    setup(home, req) {
      const dir = join(home, "codex-home");
      mkdirSync(dir);
      writeFileSync(join(dir, "config.toml"), fixture("codex-features.toml"));
      return { request: req({ targets: ["codex"], env: { HOME: home, PATH: "/nonexistent", CODEX_HOME: dir } }), files: [join(dir, "config.toml")] };
    },
    applied([f]) {
      const text = read(f!);
      const doc = parseToml(text) as any;
      expect(doc.model_provider).toBe("headroom");
      expect(doc.openai_base_url).toBe(`${BASE}/v1`);
      expect(doc.model_providers.headroom).toEqual({ name: "Headroom", base_url: `${BASE}/v1`, wire_api: "responses", requires_openai_auth: true, supports_websockets: true });
      expect(doc.features).toEqual({ web_search_request: true, unified_exec: false });
      expect(doc.notify).toEqual(["notify-send", "Codex"]);
      // Root keys sit before the first table header, never after [features].
      const firstHeader = text.indexOf("\n[");
      expect(text.indexOf('model_provider = "headroom"')).toBeGreaterThan(0);
      expect(text.indexOf('model_provider = "headroom"')).toBeLessThan(firstHeader);
      expect(text.indexOf("openai_base_url")).toBeLessThan(firstHeader);
      // Everything of the original is still there, in order, byte for byte.
      const stripped = text.replace(/^model_provider = "headroom"\n|^openai_base_url = .*\n/gm, "").replace(/\n\[model_providers\.headroom\][\s\S]*$/, "");
      expect(stripped).toBe(fixture("codex-features.toml"));
    },
    userEdit([f]) {
      writeFileSync(f!, read(f!).replace('model = "gpt-5-codex"', 'model = "o3"') + '\n[tui]\nnotifications = true\n');
    },
    afterEditRemoved([f]) {
      const doc = parseToml(read(f!)) as any;
      expect(doc.model).toBe("o3");
      expect(doc.tui).toEqual({ notifications: true });
      expect(doc.model_provider).toBeUndefined();
      expect(doc.openai_base_url).toBeUndefined();
      expect(doc.model_providers).toBeUndefined();
      expect(read(f!)).toContain("# Codex CLI configuration");
    },
  },
  {
    name: "codex config with its own model_provider and provider table, ChatGPT sign-in",
    setup(home, req) {
      const dir = join(home, ".codex");
      mkdirSync(dir);
      writeFileSync(join(dir, "config.toml"), fixture("codex-own-provider.toml"));
      writeFileSync(join(dir, "auth.json"), JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: jwt({ "https://api.openai.com/auth": { chatgpt_account_id: "acc-1" } }) } }));
      return { request: req({ targets: ["codex"] }), files: [join(dir, "config.toml")] };
    },
    applied([f]) {
      const text = read(f!);
      const doc = parseToml(text) as any;
      expect(doc.model_provider).toBe("headroom");
      expect(text.match(/^model_provider\s*=/gm)?.length).toBe(1);
      expect(doc.model_providers.azure.base_url).toBe("https://example.openai.azure.com/openai");
      expect(doc.model_providers.headroom.requires_openai_auth).toBe(true);
      expect(doc.profiles.fast.model).toBe("gpt-5-mini");
      // Replaced in place: still the second line.
      expect(text.split("\n")[1]).toBe('model_provider = "headroom"');
    },
    userEdit([f]) {
      writeFileSync(f!, read(f!).replace('model = "gpt-5"\n', 'model = "o3"\n'));
    },
    afterEditRemoved([f]) {
      const text = read(f!);
      const doc = parseToml(text) as any;
      expect(doc.model).toBe("o3");
      expect(doc.model_provider).toBe("azure");
      expect(text).toContain('model_provider = "azure"   # company endpoint');
      expect(doc.model_providers.headroom).toBeUndefined();
      expect(doc.openai_base_url).toBeUndefined();
    },
  },
  {
    name: "Claude settings.json with permissions, hooks and 4-space indentation (CLAUDE_CONFIG_DIR honoured)",
    setup(home, req) {
      const dir = join(home, "claude-cfg");
      mkdirSync(dir);
      writeFileSync(join(dir, "settings.json"), fixture("claude-settings.json"));
      return { request: req({ targets: ["claude"], env: { HOME: home, PATH: "/nonexistent", CLAUDE_CONFIG_DIR: dir } }), files: [join(dir, "settings.json")] };
    },
    applied([f]) {
      const text = read(f!);
      const doc = JSON.parse(text);
      const orig = JSON.parse(fixture("claude-settings.json"));
      expect(doc.env).toEqual({ ANTHROPIC_BASE_URL: BASE, CLAUDE_CODE_ENABLE_TELEMETRY: "0", ENABLE_TOOL_SEARCH: "true" });
      expect(Object.keys(doc)).toEqual(Object.keys(orig));
      expect(doc.hooks).toEqual(orig.hooks);
      expect(doc.permissions).toEqual(orig.permissions);
      expect(text).toContain('\n        "ENABLE_TOOL_SEARCH": "true"\n');
      // Only the env lines differ from the original.
      const changed = text.split("\n").filter((l) => !fixture("claude-settings.json").split("\n").includes(l));
      expect(changed.map((l) => l.trim())).toEqual([`"ANTHROPIC_BASE_URL": "${BASE}",`, `"CLAUDE_CODE_ENABLE_TELEMETRY": "0",`, `"ENABLE_TOOL_SEARCH": "true"`]);
    },
    userEdit([f]) {
      writeFileSync(f!, read(f!).replace('"Read(~/.zshrc)"', '"Read(~/.zshrc)",\n            "Bash(make test)"'));
    },
    afterEditRemoved([f]) {
      const doc = JSON.parse(read(f!));
      expect(doc.permissions.allow).toContain("Bash(make test)");
      expect(doc.env).toEqual({ ANTHROPIC_BASE_URL: "https://gateway.example.com", CLAUDE_CODE_ENABLE_TELEMETRY: "0" });
    },
  },
  {
    name: "commented JSONC OpenCode config (OPENCODE_CONFIG honoured)",
    setup(home, req) {
      const f = join(home, "dotfiles", "opencode.jsonc");
      mkdirSync(dirname(f));
      writeFileSync(f, fixture("opencode.jsonc"));
      return { request: req({ targets: ["opencode"], env: { HOME: home, PATH: "/nonexistent", OPENCODE_CONFIG: f } }), files: [f] };
    },
    applied([f]) {
      const text = read(f!);
      const doc = JSON5.parse(text);
      expect(doc.provider.headroom.npm).toBe("@ai-sdk/openai-compatible");
      expect(doc.provider.headroom.name).toBeString();
      expect(doc.provider.headroom.options.baseURL).toBe(`${BASE}/v1`);
      expect(Object.keys(doc.provider.headroom.models).length).toBeGreaterThan(0);
      expect(doc.provider.anthropic.options.timeout).toBe(600000);
      for (const c of ["// The theme I like", "/* Providers I use directly */", "// ten minutes", "// pinned by my dotfiles"]) expect(text).toContain(c);
    },
    userEdit([f]) {
      writeFileSync(f!, read(f!).replace('"tokyonight"', '"gruvbox"'));
    },
    afterEditRemoved([f]) {
      const text = read(f!);
      const doc = JSON5.parse(text);
      expect(doc.theme).toBe("gruvbox");
      expect(doc.provider.headroom).toBeUndefined();
      expect(doc.provider.anthropic.options.timeout).toBe(600000);
      expect(text).toContain("// The theme I like");
    },
  },
  {
    name: "OpenClaw JSON5 with comments and trailing commas",
    setup(home, req) {
      const dir = join(home, ".openclaw");
      mkdirSync(dir);
      writeFileSync(join(dir, "openclaw.json"), fixture("openclaw.json5"));
      return { request: req({ targets: ["openclaw"] }), files: [join(dir, "openclaw.json")] };
    },
    applied([f]) {
      const text = read(f!);
      const doc = JSON5.parse(text);
      expect(doc.models.providers.anthropic).toEqual({ baseUrl: BASE, api: "anthropic-messages", models: [] });
      expect(doc.models.providers.openai).toEqual({ apiKey: "${OPENAI_API_KEY}", baseUrl: `${BASE}/v1` });
      expect(doc.models.providers["custom-proxy"].baseUrl).toBe("http://localhost:4000/v1");
      expect(doc.models.mode).toBe("merge");
      for (const c of ["// keep the built-in catalog", "// no baseUrl: default endpoint", "gateway: { port: 18789, },"]) expect(text).toContain(c);
    },
    userEdit([f]) {
      writeFileSync(f!, read(f!).replace("port: 18789", "port: 18800"));
    },
    afterEditRemoved([f]) {
      const doc = JSON5.parse(read(f!));
      expect(doc.gateway.port).toBe(18800);
      expect(doc.models.providers.anthropic).toBeUndefined();
      expect(doc.models.providers.openai).toEqual({ apiKey: "${OPENAI_API_KEY}" });
    },
  },
  {
    name: "user scope: a CRLF .bashrc with no trailing newline, ~/.profile created",
    setup(home, req) {
      writeFileSync(join(home, ".bashrc"), readFileSync(join(FIX, "bashrc-crlf-no-newline")));
      return { request: req({ scope: "user", targets: ["claude", "cursor"] }), files: [join(home, ".bashrc"), join(home, ".profile"), join(home, ".zshrc")] };
    },
    applied([bashrc, profile, zshrc]) {
      expect(fixture("bashrc-crlf-no-newline")).toContain("\r\n");
      const text = read(bashrc!);
      expect(text.startsWith(fixture("bashrc-crlf-no-newline"))).toBe(true);
      expect(text.replace(/\r\n/g, "")).not.toContain("\n");
      expect(text).toContain("# >>> headroom persistent env >>>\r\n");
      expect(text.match(/headroom persistent env >>>/g)?.length).toBe(1);
      expect(existsSync(zshrc!)).toBe(false);
      // A real shell reads the created ~/.profile.
      const out = Bun.spawnSync(["sh", "-c", `. '${profile}'; printf '%s|%s|%s' "$ANTHROPIC_BASE_URL" "$OPENAI_BASE_URL" "$HEADROOM_PORT"`]);
      expect(out.stdout.toString()).toBe(`${BASE}|${BASE}/v1|${PORT}`);
    },
    userEdit([bashrc]) {
      writeFileSync(bashrc!, read(bashrc!) + "export FOO=1\r\n");
    },
    afterEditRemoved([bashrc, profile]) {
      const text = read(bashrc!);
      expect(text).toContain("export FOO=1");
      expect(text).not.toContain("headroom");
      expect(text.startsWith(fixture("bashrc-crlf-no-newline"))).toBe(true);
      expect(existsSync(profile!)).toBe(false);
    },
  },
];

function snapshot(files: string[]): (Buffer | null)[] {
  return files.map((f) => (existsSync(f) ? readFileSync(f) : null));
}

function expectSame(files: string[], before: (Buffer | null)[]): void {
  files.forEach((f, i) => {
    const now = existsSync(f) ? readFileSync(f) : null;
    if (before[i] === null) expect(now).toBeNull();
    else expect(now?.equals(before[i]!)).toBe(true);
  });
}

describe.each(cases)("$name", (c) => {
  test("apply, re-apply (no duplicates), remove (byte-exact)", async () => {
    const { home, req } = sandbox();
    const { request, files } = c.setup(home, req);
    const original = snapshot(files);
    const persisted: ChangeRecord[][] = [];
    const records = await applyWiring(request, async (r) => void persisted.push(r));
    expect(records.length).toBeGreaterThan(0);
    // Write-ahead: the record of each file is persisted before it is written.
    expect(persisted[0]!.length).toBe(1);
    expect(persisted.at(-1)).toEqual(records);
    c.applied(files);
    const once = snapshot(files);
    const again = await applyWiring(request, async () => {});
    expectSame(files, once);
    expect(await wiringDrift(again)).toEqual([]);
    const { failed } = await revertWiring(again);
    expect(failed).toEqual([]);
    expectSame(files, original);
  });

  test("apply, user edit, remove: the edit stays, the routing goes", async () => {
    const { home, req } = sandbox();
    const { request, files } = c.setup(home, req);
    const records = await applyWiring(request, async () => {});
    c.userEdit(files);
    const { failed } = await revertWiring(records);
    expect(failed).toEqual([]);
    c.afterEditRemoved(files);
  });
});

describe("refusals", () => {
  const bad: [string, string, string, string][] = [
    ["claude", ".claude/settings.json", '{ "env": { "A": 1, } }', "claude"],
    ["codex", ".codex/config.toml", 'model = "gpt-5"\n[features\n', "codex"],
    ["openclaw", ".openclaw/openclaw.json", "{ models: { providers: { openai: { baseUrl: 'x' } }", "openclaw"],
    ["opencode", ".config/opencode/opencode.json", '{ "provider": { "a": } }', "opencode"],
  ];
  test.each(bad)("an unparsable %s config is refused, naming the file, with nothing written", async (tool, rel, content) => {
    const { home, req } = sandbox();
    // A valid claude config that would be edited first proves nothing else is written.
    mkdirSync(join(home, ".claude"), { recursive: true });
    const good = '{\n  "model": "x"\n}\n';
    if (tool !== "claude") writeFileSync(join(home, ".claude/settings.json"), good);
    const p = join(home, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    const request = req({ targets: tool === "claude" ? ["claude"] : ["claude", tool] });
    await expect(planWiring(request)).rejects.toThrow(p);
    let persisted = 0;
    const err = await applyWiring(request, async () => void persisted++).catch((e) => e);
    expect(err).toBeInstanceOf(HeadroomError);
    expect(err.message).toContain(`Cannot parse ${p}`);
    expect(persisted).toBe(0);
    expect(read(p)).toBe(content);
    if (tool !== "claude") expect(read(join(home, ".claude/settings.json"))).toBe(good);
  });
});

describe("symlinks and drift", () => {
  test("a symlinked config stays a symlink; its target is edited and restored", async () => {
    const { home, req } = sandbox();
    const real = join(home, "dotfiles", "claude-settings.json");
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, fixture("claude-settings.json"));
    mkdirSync(join(home, ".claude"));
    const link = join(home, ".claude", "settings.json");
    symlinkSync("../dotfiles/claude-settings.json", link);
    const records = await applyWiring(req({ targets: ["claude"] }), async () => {});
    expect(records[0]!.path).toBe(real);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("../dotfiles/claude-settings.json");
    expect(JSON.parse(read(real)).env.ANTHROPIC_BASE_URL).toBe(BASE);
    await revertWiring(records);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(read(real)).toBe(fixture("claude-settings.json"));
  });

  test("drift: one line per managed edit the user changed or reverted", async () => {
    const { home, req } = sandbox();
    mkdirSync(join(home, ".codex"));
    writeFileSync(join(home, ".codex", "config.toml"), fixture("codex-features.toml"));
    const records = await applyWiring(req({ targets: ["claude", "codex"] }), async () => {});
    expect(await wiringDrift(records)).toEqual([]);
    const settings = join(home, ".claude", "settings.json");
    writeFileSync(settings, read(settings).replace(BASE, "https://elsewhere.example.com"));
    const cfg = join(home, ".codex", "config.toml");
    writeFileSync(cfg, read(cfg).replace(/^model_provider = "headroom"\n/m, ""));
    const drift = await wiringDrift(records);
    expect(drift.length).toBe(2);
    expect(drift[0]).toContain("env.ANTHROPIC_BASE_URL");
    expect(drift[1]).toContain("model_provider");
  });

  test("a new file is created, and removed again on undo with the folder made for it", async () => {
    const { home, req } = sandbox();
    await applyWiring(req({ targets: ["claude"] }), async () => {});
    const records = await applyWiring(req({ targets: ["claude"] }), async () => {});
    const settings = join(home, ".claude", "settings.json");
    expect(JSON.parse(read(settings))).toEqual({ env: { ANTHROPIC_BASE_URL: BASE, ENABLE_TOOL_SEARCH: "true" } });
    expect(records[0]!.existed).toBe(false);
    await revertWiring(records);
    expect(existsSync(settings)).toBe(false);
    expect(existsSync(join(home, ".claude"))).toBe(false);
  });

  test("a config path that cannot be read is a clear error", async () => {
    const { home, req } = sandbox();
    mkdirSync(join(home, ".claude", "settings.json"), { recursive: true });
    await expect(planWiring(req({ targets: ["claude"] }))).rejects.toThrow(`${join(home, ".claude", "settings.json")} is a folder, not a file.`);
  });

  test("backups are private (0600)", async () => {
    const { home, req } = sandbox();
    mkdirSync(join(home, ".codex"));
    writeFileSync(join(home, ".codex", "config.toml"), fixture("codex-features.toml"));
    const [rec] = await applyWiring(req({ targets: ["codex"] }), async () => {});
    expect(rec!.backup).toBeString();
    expect(lstatSync(rec!.backup!).mode & 0o777).toBe(0o600);
    expect(readFileSync(rec!.backup!, "utf8")).toBe(fixture("codex-features.toml"));
  });
});
