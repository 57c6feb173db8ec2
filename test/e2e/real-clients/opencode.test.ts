// OpenCode (pinned in scripts/ci/clients.txt), run one shot (`opencode run`) inside a
// loopback-only network namespace against headroom and the recording upstream: provider
// scope (opencode.jsonc edited under a systemd-supervised proxy), user scope (the shell
// block, read by a login bash), and `headroom wrap opencode`.
// Proves: the user's default Anthropic model and `headroom/<model>` reach the upstream
// through headroom (never a headroom 404: OpenCode appends /messages to a bare
// ANTHROPIC_BASE_URL, which the proxy answers) with the user's own keys; the user's
// provider options (a custom header) and default model still take effect; OpenCode prints
// the upstream's reply and no config error; and remove / the end of wrap put every byte of
// the config back and leave no file behind (OpenCode's own data folder aside).
import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  configComplaints, credentialOf, DUMMY_ANTHROPIC_KEY, DUMMY_OPENAI_KEY, locateClient, makeHome, printed, PROXY_URL, requestsDuring, restoreProblems,
  runInNetns, snapText, step, type NetnsResult, type Step,
} from "../../support/real-clients.ts";
import { crashedWrapFlow, installFlow, loginShell, SYSTEM_DIRS, wrapFlow } from "./flow.ts";

const opencode = locateClient("opencode");
const TEXT = "OpenCode through headroom: reply from the recording upstream.";
const PROMPT = "List the files headroom wires for OpenCode.";
const keys = { ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY, OPENAI_API_KEY: DUMMY_OPENAI_KEY };

const USER_CONFIG = `// My OpenCode settings.
{
  "$schema": "https://opencode.ai/config.json",
  // the model I use every day
  "model": "anthropic/claude-sonnet-4-5",
  "small_model": "anthropic/claude-haiku-4-5",
  "autoupdate": false,
  "share": "disabled",
  "provider": {
    "anthropic": {
      "options": {
        // my own header, which must still reach the API
        "headers": { "x-rc-user-header": "kept" },
      },
    },
  },
}
`;

function setup(prefix: string) {
  const home = makeHome(prefix);
  const dir = join(home, ".config", "opencode");
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "opencode.jsonc");
  writeFileSync(config, USER_CONFIG);
  return { home, config, watch: [join(home, ".config"), join(home, ".profile"), join(home, ".bashrc"), join(home, ".local"), join(home, ".cache")] };
}

function turn(r: NetnsResult, stepName: string, path: string, model: string) {
  const s = step(r, stepName);
  expect(s.code, printed(s)).toBe(0);
  expect(s.stdout).toContain(TEXT);
  expect(configComplaints(printed(s))).toEqual([]);
  const all = requestsDuring(r, stepName);
  expect(all.filter((q) => !q.path.startsWith("/v1/")), "every route OpenCode called was served").toEqual([]);
  const hit = all.find((q) => q.path === path && (q.json as { model?: string }).model === model && JSON.stringify(q.json).includes(PROMPT));
  expect(hit, `${path} with the prompt; got ${JSON.stringify(all.map((q) => q.path))}; proxy log: ${r.proxyLog}`).toBeDefined();
  return hit!;
}

function anthropicTurn(r: NetnsResult, stepName: string) {
  // The user's default model answers the prompt; their small_model writes the title.
  const q = turn(r, stepName, "/v1/messages", "claude-sonnet-4-5");
  const title = requestsDuring(r, stepName).find((x) => x.path === "/v1/messages" && (x.json as { model?: string }).model === "claude-haiku-4-5");
  expect(title, "the title request with the user's small_model").toBeDefined();
  for (const x of [q, title!]) {
    expect(credentialOf(x.headers)).toBe(DUMMY_ANTHROPIC_KEY);
    expect(x.headers["x-rc-user-header"]).toBe("kept");
  }
}

function headroomTurn(r: NetnsResult, stepName: string) {
  const q = turn(r, stepName, "/v1/chat/completions", "gpt-5");
  expect(q.headers.authorization).toBe(`Bearer ${DUMMY_OPENAI_KEY}`);
}

/** A user who has run OpenCode before: it writes a .gitignore into its config folder on first use. */
const PRIME = { name: "prime", argv: ["opencode", "debug", "config"], timeoutMs: 30_000 };

const snaps = (r: NetnsResult) => ({ before: step(r, "before").snapshot!, wired: step(r, "wired").snapshot!, ran: step(r, "ran").snapshot!, after: step(r, "after").snapshot! });

describe.skipIf(!opencode)(`OpenCode ${opencode?.version} through headroom`, () => {
  test("provider scope: the user's Anthropic model and headroom/gpt-5 go through headroom with the user's keys; remove restores opencode.jsonc", async () => {
    const { home, config, watch } = setup("opencode-provider");
    try {
      const r = await runInNetns({
        home, systemd: true, clients: ["opencode"], reply: { text: TEXT }, env: keys,
        steps: [PRIME, ...installFlow({
          scope: "provider", targets: ["opencode"], watch,
          // OpenCode reads the wired config without complaint, and resolves headroom's provider.
          afterApply: [{ name: "validate", argv: ["opencode", "debug", "config"], timeoutMs: 30_000 }],
          client: [
            { name: "client", argv: ["opencode", "run", PROMPT], timeoutMs: 60_000 },
            { name: "headroom-model", argv: ["opencode", "run", "-m", "headroom/gpt-5", PROMPT], timeoutMs: 60_000 },
          ],
        })],
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      const wired = snapText(step(r, "wired").snapshot!, config)!;
      expect(wired).toContain("// my own header, which must still reach the API");
      expect(wired).toContain('"apiKey": "{env:OPENAI_API_KEY}"');
      expect(wired).not.toContain(DUMMY_OPENAI_KEY);
      const validate = step(r, "validate");
      expect(validate.code, printed(validate)).toBe(0);
      expect(configComplaints(printed(validate))).toEqual([]);
      const resolved = JSON.parse(validate.stdout);
      // OpenCode masks a resolved key as "***": set (the {env:} reference was substituted), not empty.
      expect(resolved.provider.headroom.options).toEqual({ baseURL: `${PROXY_URL}/v1`, apiKey: "***" });
      expect(resolved.provider.anthropic.options).toEqual({ headers: { "x-rc-user-header": "***" }, baseURL: `${PROXY_URL}/v1` });
      expect(resolved.model).toBe("anthropic/claude-sonnet-4-5");
      console.log("opencode provider scope, ms per step:", r.steps.map((x) => `${x.name}=${x.ms}`).join(" "));
      anthropicTurn(r, "client");
      headroomTurn(r, "headroom-model");
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(snapText(step(r, "after").snapshot!, config)).toBe(USER_CONFIG);
      expect(restoreProblems(snaps(r))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);

  test("user scope: the shell block's bare ANTHROPIC_BASE_URL works for OpenCode (the proxy answers /messages); remove restores the profile", async () => {
    const { home, watch } = setup("opencode-user");
    try {
      const r = await runInNetns({
        home, systemd: true, clients: ["opencode"], reply: { text: TEXT }, env: keys,
        steps: [PRIME, ...installFlow({ scope: "user", targets: ["opencode"], watch, client: [{ name: "client", argv: loginShell(["opencode", "run", PROMPT]), timeoutMs: 60_000 }] })],
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      expect(snapText(step(r, "wired").snapshot!, join(home, ".profile"))).toContain(`export ANTHROPIC_BASE_URL='${PROXY_URL}'`);
      anthropicTurn(r, "client");
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(restoreProblems(snaps(r))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 150_000);

  test("system scope: /etc/profile.d/headroom.sh (a private copy of /etc) routes OpenCode in a login shell; remove takes it out", async () => {
    const { home, watch } = setup("opencode-system");
    try {
      const r = await runInNetns({
        home, privateDirs: SYSTEM_DIRS, clients: ["opencode"], reply: { text: TEXT }, env: keys,
        steps: [PRIME, ...installFlow({ scope: "system", targets: ["opencode"], watch: [...watch, ...SYSTEM_DIRS], client: [{ name: "client", argv: loginShell(["opencode", "run", PROMPT]), timeoutMs: 60_000 }] })],
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      expect(snapText(step(r, "wired").snapshot!, "/etc/profile.d/headroom.sh")).toContain(`export ANTHROPIC_BASE_URL='${PROXY_URL}'`);
      anthropicTurn(r, "client");
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(restoreProblems(snaps(r))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 150_000);

  test("wrap: `headroom wrap opencode -- run` routes both kinds of model; the session edit is undone on exit", async () => {
    const { home, config, watch } = setup("opencode-wrap");
    try {
      const [snapBefore, client, snapAfter] = wrapFlow({ tool: "opencode", args: ["run", PROMPT], watch }) as [Step, Extract<Step, { argv: string[] }>, Step];
      const second = { ...client, name: "headroom-model", argv: [...client.argv.slice(0, -2), "run", "-m", "headroom/gpt-5", PROMPT] };
      const r = await runInNetns({ home, clients: ["opencode"], reply: { text: TEXT }, env: keys, steps: [PRIME, snapBefore, client, second, snapAfter] });
      anthropicTurn(r, "client");
      headroomTurn(r, "headroom-model");
      expect(snapText(step(r, "after").snapshot!, config)).toBe(USER_CONFIG);
      const before = step(r, "before").snapshot!;
      const after = step(r, "after").snapshot!;
      // Nothing new but OpenCode's own data (sessions, logs, locks); every file that was there is unchanged.
      const left = Object.keys(after).filter((p) => !(p in before) && !/\/\.(local\/share|local\/state|cache)\/opencode\//.test(p));
      expect(left).toEqual([]);
      for (const p of Object.keys(before).filter((p) => !/\/\.(local\/share|local\/state|cache)\/opencode\//.test(p))) expect(after[p], p).toBe(before[p]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
  test("unwrap: a wrap SIGKILLed mid-session leaves the session edit; `headroom unwrap opencode` restores every byte", async () => {
    const { home, config, watch } = setup("opencode-unwrap");
    try {
      const r = await runInNetns({
        home, clients: ["opencode"], reply: { text: TEXT, delayMs: 20_000 }, env: keys,
        steps: crashedWrapFlow({ tool: "opencode", args: ["run", PROMPT], config, watch }),
      });
      expect(step(r, "crash").stdout, printed(step(r, "crash"))).toContain("killed");
      const u = step(r, "unwrap");
      expect(u.code, printed(u)).toBe(0);
      expect(snapText(step(r, "after").snapshot!, config)).toBe(USER_CONFIG);
      const before = step(r, "before").snapshot!;
      const after = step(r, "after").snapshot!;
      for (const p of Object.keys(before)) expect(after[p], p).toBe(before[p]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);
});
