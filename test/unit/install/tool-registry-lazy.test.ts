// The tool registry (loaded by every `wrap`) does not load the tool adapters' config
// edits, nor the JSON5, JSONC and TOML parsers behind them, until an edit is asked for;
// the registry's API stays synchronous. Checked in a fresh bun process (module caches of
// this test process are shared with other files).
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const registry = resolve(import.meta.dir, "../../../src/tools/registry.ts");
const script = `
const heavy = () => Object.keys(require.cache).filter((k) => /node_modules\\/(json5|smol-toml|jsonc-parser)\\/|src\\/tools\\/(claude|codex|opencode|openclaw)\\.ts$/.test(k));
const r = await import(${JSON.stringify(registry)});
const atImport = heavy();
const env = r.envForTools(["claude", "codex"], 4321);
const afterEnv = heavy();
const ctx = { home: "/tmp/headroom-lazy-none", env: {}, port: 4321, host: "127.0.0.1", base: "http://127.0.0.1:4321" };
const edits = ["claude", "codex", "opencode", "openclaw"].map((t) => r.TOOLS[t].providerEdits(ctx).map((e) => e.path));
console.log(JSON.stringify({ atImport, afterEnv, env, provider: r.PROVIDER_TOOLS, edits, afterEdits: heavy() }));
`;

test("importing the registry and reading the variables loads no adapter or parser; an edit loads them", async () => {
  const p = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: "/tmp/headroom-lazy-none" } });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  const r = JSON.parse(out);
  expect(r.atImport).toEqual([]);
  expect(r.afterEnv).toEqual([]);
  expect(r.env).toMatchObject({ ANTHROPIC_BASE_URL: "http://127.0.0.1:4321", OPENAI_BASE_URL: "http://127.0.0.1:4321/v1", HEADROOM_PORT: "4321" });
  expect(r.provider).toEqual(["claude", "codex", "opencode", "openclaw"]);
  expect(r.edits[0]).toEqual(["/tmp/headroom-lazy-none/.claude/settings.json"]);
  expect(r.edits[1]).toEqual(["/tmp/headroom-lazy-none/.codex/config.toml"]);
  expect(r.afterEdits.some((k: string) => k.includes("node_modules/json5/"))).toBe(true);
  expect(r.afterEdits.some((k: string) => k.includes("node_modules/smol-toml/"))).toBe(true);
}, 30_000);
