// Copilot CLI's variables: the fixed ones (provider type, base URL) and the rules that
// keep the user's own wire API, model and key and fill in only what is missing — in the
// wrapped process's environment, in the shell block as real shells read it, and on Windows.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planWiring, type WiringRequest } from "../../../src/install/wiring.ts";
import { shellBlockLines } from "../../../src/install/scopes/shell-env.ts";
import { COPILOT_DEFAULT_MODEL } from "../../../src/tools/copilot.ts";
import { envForTools, envRulesForTools, sessionEnvForTool } from "../../../src/tools/registry.ts";

const PORT = 42346;
const BASE = `http://127.0.0.1:${PORT}`;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("wrap copilot: the session environment", () => {
  const session = (userEnv: Record<string, string | undefined>) => sessionEnvForTool("copilot", PORT, "127.0.0.1", { PATH: "/usr/bin", ...userEnv });

  test("routes to the proxy's /v1 as an OpenAI-compatible provider, with the wire API and a model Copilot accepts", () => {
    const env = session({});
    expect(env).toMatchObject({
      COPILOT_PROVIDER_TYPE: "openai",
      COPILOT_PROVIDER_BASE_URL: `${BASE}/v1`,
      COPILOT_PROVIDER_WIRE_API: "completions",
      COPILOT_MODEL: COPILOT_DEFAULT_MODEL,
      HEADROOM_PORT: String(PORT),
      PATH: "/usr/bin",
    });
    // No key of the user's: headroom invents none.
    expect(env.COPILOT_PROVIDER_API_KEY).toBeUndefined();
  });

  test("the user's own wire API and model win; a model id or wire model of theirs suppresses the default model", () => {
    expect(session({ COPILOT_PROVIDER_WIRE_API: "responses", COPILOT_MODEL: "gpt-5" })).toMatchObject({ COPILOT_PROVIDER_WIRE_API: "responses", COPILOT_MODEL: "gpt-5" });
    expect(session({ COPILOT_PROVIDER_MODEL_ID: "claude-sonnet-4" }).COPILOT_MODEL).toBeUndefined();
    expect(session({ COPILOT_PROVIDER_WIRE_MODEL: "my-deployment" }).COPILOT_MODEL).toBeUndefined();
    // An empty variable counts as unset, as it does for Copilot.
    expect(session({ COPILOT_MODEL: "" }).COPILOT_MODEL).toBe(COPILOT_DEFAULT_MODEL);
  });

  test("the key: the user's Copilot provider key as it is; else a copy of OPENAI_API_KEY; never both", () => {
    expect(session({ COPILOT_PROVIDER_API_KEY: "sk-copilot", OPENAI_API_KEY: "sk-openai" }).COPILOT_PROVIDER_API_KEY).toBe("sk-copilot");
    expect(session({ OPENAI_API_KEY: "sk-openai" }).COPILOT_PROVIDER_API_KEY).toBe("sk-openai");
    // A bearer token or key command of the user's takes precedence in Copilot: no copy then.
    expect(session({ COPILOT_PROVIDER_BEARER_TOKEN: "tok", OPENAI_API_KEY: "sk-openai" }).COPILOT_PROVIDER_API_KEY).toBeUndefined();
    expect(session({ COPILOT_PROVIDER_API_KEY_COMMAND: "pass show k", OPENAI_API_KEY: "sk-openai" }).COPILOT_PROVIDER_API_KEY).toBeUndefined();
  });

  test("the user's own provider URL and type are replaced (that is the routing)", () => {
    expect(session({ COPILOT_PROVIDER_BASE_URL: "https://api.openai.com/v1", COPILOT_PROVIDER_TYPE: "azure" })).toMatchObject({ COPILOT_PROVIDER_BASE_URL: `${BASE}/v1`, COPILOT_PROVIDER_TYPE: "openai" });
  });

  test("other tools get no rules", () => {
    expect(sessionEnvForTool("codex", PORT, "127.0.0.1", { COPILOT_MODEL: undefined }).COPILOT_MODEL).toBeUndefined();
    expect(envRulesForTools(["claude", "codex", "aider", "cursor"])).toEqual([]);
  });
});

describe("user and system scope: the shell block", () => {
  const vars = envForTools(["copilot"], PORT);
  const rules = envRulesForTools(["copilot"]);
  const file = (() => {
    const d = mkdtempSync(join(tmpdir(), "headroom-copilot-"));
    dirs.push(d);
    const p = join(d, "block.sh");
    writeFileSync(p, `${shellBlockLines(vars, rules).join("\n")}\n`);
    return p;
  })();
  const NAMES = ["COPILOT_PROVIDER_TYPE", "COPILOT_PROVIDER_BASE_URL", "COPILOT_PROVIDER_WIRE_API", "COPILOT_MODEL", "COPILOT_PROVIDER_API_KEY"];

  /** Sources the block in `shell` (with nounset and errexit) under `env`; the variables as exported to a child. */
  function sourced(shell: string, env: Record<string, string>): Record<string, string | null> {
    const script = `set -eu; . '${file}'; env`;
    const r = Bun.spawnSync([shell, "-c", script], { env: { PATH: "/usr/bin:/bin", ...env } });
    expect(r.exitCode).toBe(0);
    const seen = new Map(r.stdout.toString().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const));
    return Object.fromEntries(NAMES.map((n) => [n, seen.get(n) ?? null]));
  }

  for (const shell of ["sh", "dash", "bash"].filter((s) => Bun.which(s))) {
    test(`${shell}: fills in the defaults and copies OPENAI_API_KEY by reference`, () => {
      expect(sourced(shell, { OPENAI_API_KEY: "sk-openai-1" })).toEqual({
        COPILOT_PROVIDER_TYPE: "openai",
        COPILOT_PROVIDER_BASE_URL: `${BASE}/v1`,
        COPILOT_PROVIDER_WIRE_API: "completions",
        COPILOT_MODEL: COPILOT_DEFAULT_MODEL,
        COPILOT_PROVIDER_API_KEY: "sk-openai-1",
      });
    });

    test(`${shell}: keeps the user's own wire API, model and key; no key at all stays no key`, () => {
      expect(sourced(shell, { COPILOT_PROVIDER_WIRE_API: "responses", COPILOT_MODEL: "gpt-5", COPILOT_PROVIDER_API_KEY: "sk-mine", OPENAI_API_KEY: "sk-other" })).toMatchObject({
        COPILOT_PROVIDER_WIRE_API: "responses",
        COPILOT_MODEL: "gpt-5",
        COPILOT_PROVIDER_API_KEY: "sk-mine",
      });
      expect(sourced(shell, { COPILOT_PROVIDER_MODEL_ID: "claude-sonnet-4" }).COPILOT_MODEL).toBeNull();
      expect(sourced(shell, {}).COPILOT_PROVIDER_API_KEY).toBeNull();
    });
  }

  test("the key is a reference in the file, never a value", () => {
    const text = readFileSync(file, "utf8");
    expect(text).toContain('export COPILOT_PROVIDER_API_KEY="$OPENAI_API_KEY"');
    expect(text).not.toContain("sk-");
    expect(text).not.toContain("chat'");
  });

  test("fish lines mirror the sh ones", async () => {
    const home = mkdtempSync(join(tmpdir(), "headroom-copilot-fish-"));
    dirs.push(home);
    const req: WiringRequest = {
      scope: "user", providers: "manual", targets: ["copilot"], port: PORT, host: "127.0.0.1", os: "linux", home,
      env: { HOME: home, PATH: "/nonexistent", XDG_CONFIG_HOME: join(home, "cfg") }, profileDir: join(home, "p"), isRoot: false,
    };
    mkdirSync(join(home, "cfg", "fish"), { recursive: true });
    const plan = await planWiring(req);
    const fish = plan.files.find((f) => f.path.endsWith("headroom.fish"))!.after;
    expect(fish).toContain(`set -gx COPILOT_PROVIDER_BASE_URL '${BASE}/v1'`);
    expect(fish).toContain(`test -n "$COPILOT_MODEL$COPILOT_PROVIDER_MODEL_ID$COPILOT_PROVIDER_WIRE_MODEL"; or set -gx COPILOT_MODEL '${COPILOT_DEFAULT_MODEL}'`);
    expect(fish).toContain('test -n "$COPILOT_PROVIDER_API_KEY$COPILOT_PROVIDER_BEARER_TOKEN$COPILOT_PROVIDER_API_KEY_COMMAND"; or test -z "$OPENAI_API_KEY"; or set -gx COPILOT_PROVIDER_API_KEY $OPENAI_API_KEY');
  });
});

describe("Windows variables", () => {
  test("the defaults are set as values, the key copy is left out", async () => {
    const home = mkdtempSync(join(tmpdir(), "headroom-copilot-win-"));
    dirs.push(home);
    const req: WiringRequest = {
      scope: "user", providers: "manual", targets: ["copilot"], port: PORT, host: "127.0.0.1", os: "windows", home,
      env: { HOME: home, PATH: "/nonexistent" }, profileDir: join(home, "p"), isRoot: false,
    };
    const plan = await planWiring(req);
    const set = plan.commands.at(-1)!.at(-1)!;
    expect(set).toContain(`[Environment]::SetEnvironmentVariable('COPILOT_PROVIDER_BASE_URL', '${BASE}/v1', 'User')`);
    expect(set).toContain("[Environment]::SetEnvironmentVariable('COPILOT_PROVIDER_WIRE_API', 'completions', 'User')");
    expect(set).toContain(`[Environment]::SetEnvironmentVariable('COPILOT_MODEL', '${COPILOT_DEFAULT_MODEL}', 'User')`);
    expect(set).not.toContain("COPILOT_PROVIDER_API_KEY");
  });
});
