// OpenClaw (pinned in scripts/ci/clients.txt; Node 24 from the node24 folder), run one
// shot (`openclaw agent exec`, its headless entry point) inside a loopback-only network
// namespace against headroom and the recording upstream: provider scope (openclaw.json
// edited under a systemd-supervised proxy) and `headroom wrap openclaw`. The user scope is
// refused: OpenClaw's Anthropic provider ignores ANTHROPIC_BASE_URL.
// Proves: the user's primary Anthropic model (POST /v1/messages, thanks to api
// "anthropic-messages") and an OpenAI fallback model reach the upstream through headroom
// with the user's keys; the user's provider header and models still take effect;
// `openclaw config validate` accepts the wired file; the JSON5 keeps its comments while
// wired; and remove / the end of wrap put every byte back with no .bak, journal key or
// state database left by the wiring.
import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";
import {
  configComplaints, credentialOf, DUMMY_ANTHROPIC_KEY, DUMMY_OPENAI_KEY, locateClient, makeHome, printed, PROXY_URL, requestsDuring,
  restoreProblems, runInNetns, snapshotDiff, snapText, step, type NetnsResult,
} from "../../support/real-clients.ts";
import { applyArgv, crashedWrapFlow, installFlow, SYSTEM_DIRS, wrapFlow } from "./flow.ts";

const openclaw = locateClient("openclaw");
const TEXT = "OpenClaw through headroom: reply from the recording upstream.";
const PROMPT = "Which providers does headroom route for OpenClaw?";
const env = { ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY, OPENAI_API_KEY: DUMMY_OPENAI_KEY, OPENCLAW_NO_AUTO_UPDATE: "1", OPENCLAW_DISABLE_BONJOUR: "1" };

const USER_CONFIG = `// My OpenClaw settings (JSON5).
{
  agents: {
    defaults: {
      model: { primary: 'anthropic/claude-sonnet-4-6', fallbacks: ['openai/gpt-5.6',], },
      modelPolicy: { allow: ['anthropic/*', 'openai/*'], },
    },
  },
  models: {
    mode: 'merge', // keep the built-in catalog
    providers: {
      anthropic: {
        // my own header, which must still reach the API
        headers: { 'x-rc-user-header': 'kept' },
      },
    },
  },
  update: { checkOnStart: false, },
}
`;

function setup(prefix: string) {
  const home = makeHome(prefix);
  mkdirSync(join(home, ".openclaw"), { recursive: true });
  const config = join(home, ".openclaw", "openclaw.json");
  writeFileSync(config, USER_CONFIG);
  return { home, config, watch: [join(home, ".openclaw"), join(home, ".profile"), join(home, ".bashrc"), join(home, ".config")] };
}

const exec = (name: string, extra: string[] = []) => ({ name, argv: ["openclaw", "agent", "exec", ...extra, PROMPT], timeoutMs: 90_000 });

function turn(r: NetnsResult, stepName: string, path: string, model: string) {
  const s = step(r, stepName);
  expect(s.code, printed(s)).toBe(0);
  expect(s.stdout).toContain(TEXT);
  expect(configComplaints(printed(s))).toEqual([]);
  const all = requestsDuring(r, stepName);
  expect(all.filter((q) => !q.path.startsWith("/v1/")), "every route OpenClaw called was served").toEqual([]);
  const hit = all.find((q) => q.path === path && (q.json as { model?: string }).model === model && JSON.stringify(q.json).includes(PROMPT));
  expect(hit, `${path} ${model} with the prompt; got ${JSON.stringify(all.map((q) => [q.path, (q.json as { model?: string })?.model]))}`).toBeDefined();
  return hit!;
}

function anthropicTurn(r: NetnsResult, stepName: string) {
  const q = turn(r, stepName, "/v1/messages", "claude-sonnet-4-6");
  expect(credentialOf(q.headers)).toBe(DUMMY_ANTHROPIC_KEY);
  expect(q.headers["x-rc-user-header"]).toBe("kept");
}

/** Files the wiring must never leave: what `openclaw config set` used to. */
const CLI_LEFTOVERS = /openclaw\.json\.bak|config-journal-fingerprint\.key/;

describe.skipIf(!openclaw)(`OpenClaw ${openclaw?.version} through headroom`, () => {
  test("provider scope: config validate accepts the text-level edit; the primary Anthropic model and an OpenAI model go through headroom; remove restores openclaw.json", async () => {
    const { home, config, watch } = setup("openclaw-provider");
    try {
      const r = await runInNetns({
        home, systemd: true, clients: ["openclaw"], reply: { text: TEXT }, env, timeoutMs: 300_000,
        steps: installFlow({
          scope: "provider", targets: ["openclaw"], watch,
          afterApply: [{ name: "validate", argv: ["openclaw", "config", "validate", "--json"], timeoutMs: 60_000 }],
          client: [exec("client"), exec("openai-model", ["--model", "openai/gpt-5.6"])],
        }),
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      const wired = snapText(step(r, "wired").snapshot!, config)!;
      expect(wired).toContain("// my own header, which must still reach the API");
      expect(wired).toContain("mode: 'merge', // keep the built-in catalog");
      const doc = JSON5.parse(wired);
      expect(doc.models.providers.anthropic).toEqual({ headers: { "x-rc-user-header": "kept" }, baseUrl: PROXY_URL, api: "anthropic-messages" });
      expect(doc.models.providers.openai).toEqual({ baseUrl: `${PROXY_URL}/v1`, models: [] });
      expect(doc.meta).toBeUndefined();
      // apply changed openclaw.json and nothing else under ~/.openclaw.
      const applied = snapshotDiff(step(r, "before").snapshot!, step(r, "wired").snapshot!);
      expect(applied.added.filter((p) => p.includes("/.openclaw/"))).toEqual([]);
      expect(applied.changed).toEqual([config]);
      const validate = step(r, "validate");
      expect(validate.code, printed(validate)).toBe(0);
      expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, warnings: [] });
      anthropicTurn(r, "client");
      // OpenClaw's openai provider speaks the Responses API over HTTP (no WebSocket upgrade was attempted).
      const o = turn(r, "openai-model", "/v1/responses", "gpt-5.6");
      expect(requestsDuring(r, "openai-model").filter((q) => q.method === "GET" && q.path === "/v1/responses")).toEqual([]);
      expect(o.headers.authorization).toBe(`Bearer ${DUMMY_OPENAI_KEY}`);
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(snapText(step(r, "after").snapshot!, config)).toBe(USER_CONFIG);
      expect(restoreProblems({ before: step(r, "before").snapshot!, wired: step(r, "wired").snapshot!, ran: step(r, "ran").snapshot!, after: step(r, "after").snapshot! })).toEqual([]);
      expect(Object.keys(step(r, "after").snapshot!).filter((p) => CLI_LEFTOVERS.test(p))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 320_000);

  for (const scope of ["user", "system"] as const) {
    test(`${scope} scope is refused in one sentence naming the scope that works, and nothing is written`, async () => {
      const { home, watch } = setup(`openclaw-${scope}`);
      const all = [...watch, ...SYSTEM_DIRS];
      try {
        const r = await runInNetns({
          home, systemd: scope === "user", privateDirs: scope === "system" ? SYSTEM_DIRS : undefined, clients: ["openclaw"], env,
          steps: [
            { name: "before", snapshot: all },
            { name: "apply", argv: applyArgv(scope, ["openclaw"], scope === "system" ? ["--preset", "persistent-task"] : []), env: { HEADROOM_TASK_BACKEND: "cron" } },
            { name: "after", snapshot: all },
          ],
        });
        const a = step(r, "apply");
        expect(a.code, printed(a)).toBe(2);
        const message = printed(a).trim();
        expect(message).toContain("OpenClaw ignores ANTHROPIC_BASE_URL");
        expect(message).toContain("--scope provider");
        expect(message.split("\n").filter((l) => l.trim()).length).toBe(1);
        expect(step(r, "after").snapshot).toEqual(step(r, "before").snapshot!);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }, 60_000);
  }

  test("wrap: `headroom wrap openclaw -- agent exec` goes through headroom; openclaw.json is back byte for byte when it ends", async () => {
    const { home, config, watch } = setup("openclaw-wrap");
    try {
      const r = await runInNetns({
        home, clients: ["openclaw"], reply: { text: TEXT }, env, timeoutMs: 200_000,
        steps: wrapFlow({ tool: "openclaw", args: ["agent", "exec", PROMPT], watch, timeoutMs: 90_000 }),
      });
      anthropicTurn(r, "client");
      const before = step(r, "before").snapshot!;
      const after = step(r, "after").snapshot!;
      expect(snapText(after, config)).toBe(USER_CONFIG);
      for (const p of Object.keys(before)) expect(after[p], p).toBe(before[p]);
      expect(Object.keys(after).filter((p) => CLI_LEFTOVERS.test(p))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 220_000);
  test("unwrap: a wrap SIGKILLed mid-session leaves the session edit; `headroom unwrap openclaw` restores every byte", async () => {
    const { home, config, watch } = setup("openclaw-unwrap");
    try {
      const r = await runInNetns({
        home, clients: ["openclaw"], reply: { text: TEXT, delayMs: 20_000 }, env,
        steps: crashedWrapFlow({ tool: "openclaw", args: ["agent", "exec", PROMPT], config, watch }),
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
