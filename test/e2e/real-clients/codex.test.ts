// Codex CLI (the real client, pinned in scripts/ci/clients.txt) through headroom, one shot
// (`codex exec`), in a loopback-only network namespace, with a dummy API-key login
// (`codex login --with-api-key`). The OpenAI stand-in is test/support/responses-ws-upstream.ts
// on UPSTREAM_PORT: it speaks the Responses WebSocket (Codex's default transport) and
// HTTP, and records every handshake and frame; the harness's HTTP stub moves to
// STUB_PORT, where the user's own second provider points.
//
// Scopes: provider (install apply, the user's model, profile file, other provider and
// [features] still in effect, install remove), user (refused in one sentence: Codex
// ignores OPENAI_BASE_URL), system (the plan's /etc/codex/config.toml, written inside a
// private mount namespace over /etc, read by Codex), and `wrap codex`. Each asserts what
// the upstream received (the WebSocket on /v1/responses, the user's key, the model, the
// prompt), that Codex printed the stand-in's reply, that it made no failed transport
// attempt (no reconnect or HTTPS fallback lines; /stats errors 0), and that the user's
// files come back byte for byte with nothing left behind.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DUMMY_OPENAI_KEY,
  PROXY_PORT,
  PROXY_URL,
  UPSTREAM_PORT,
  UPSTREAM_URL,
  type NetnsResult,
  type Step,
  binPath,
  configComplaints,
  locateClient,
  makeHome,
  printed,
  repoRoot,
  requestsDuring,
  restoreProblems,
  runInNetns,
  snapText,
  step,
} from "../../support/real-clients.ts";
import type { Frame, Handshake, HttpRecord } from "../../support/responses-ws-upstream.ts";
import { PROFILE, WRAP_UPSTREAM_ENV, applyArgv } from "./flow.ts";

const codex = locateClient("codex");

const STUB_PORT = UPSTREAM_PORT + 1;
const STUB_URL = `http://127.0.0.1:${STUB_PORT}`;
const REPLY = "Codex reached the WebSocket stand-in through headroom.";
const OTHER_REPLY = "This came from the user's own provider.";
const OTHER_KEY = "sk-mine-headroom-test-0000";

/** Telemetry and update checks off for every run (Codex's own config keys, given as overrides). */
const QUIET = ["-c", "check_for_update_on_startup=false", "-c", "analytics.enabled=false"];
/** What tells a failed transport attempt in Codex's output (as printed when the relay was missing). */
const TRANSPORT_TROUBLE = /Reconnecting\.\.\.|Falling back from WebSockets|failed to connect to Responses WebSocket|stream disconnected/i;

/** The user's own Codex config: a model, a second provider of their own, a feature switch. */
const USER_CONFIG = [
  "# my codex settings",
  'model = "gpt-user-model"',
  'approval_policy = "never"',
  "",
  "[model_providers.mine]",
  'name = "Mine"',
  `base_url = "${STUB_URL}/v1"`,
  'env_key = "MINE_API_KEY"',
  'wire_api = "responses"',
  "",
  "[features]",
  "apps = false",
  "",
].join("\n");
/** A profile file (`codex exec -p fast` layers it over config.toml). */
const FAST_PROFILE = 'model = "gpt-fast-profile"\n';

const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function seedHome(name: string): string {
  const home = makeHome(`codex-${name}`);
  homes.push(home);
  mkdirSync(join(home, ".codex"), { recursive: true });
  writeFileSync(join(home, ".codex/config.toml"), USER_CONFIG);
  writeFileSync(join(home, ".codex/fast.config.toml"), FAST_PROFILE);
  writeFileSync(join(home, ".bashrc"), "# my bashrc\n");
  return home;
}

const login = (bin: string): Step => ({ name: "login", argv: [bin, "login", "--with-api-key"], stdin: `${DUMMY_OPENAI_KEY}\n`, stopOnFailure: true });
const exec = (bin: string, prompt: string, extra: string[] = []) => [bin, "exec", "--skip-git-repo-check", ...QUIET, ...extra, prompt];
const statsStep = (name: string, url = PROXY_URL): Step => ({ name, argv: ["bun", "-e", `console.log(await (await fetch(${JSON.stringify(`${url}/stats`)})).text())`] });

function wsStandIn() {
  return { name: "ws", module: join(repoRoot, "test/support/responses-ws-upstream.ts"), export: "startResponsesWsUpstream", port: UPSTREAM_PORT, options: { reply: { text: REPLY } } };
}

interface WsRecord {
  handshakes: Handshake[];
  frames: Frame[];
  http: HttpRecord[];
}
const wsOf = (r: NetnsResult) => r.servers.ws as WsRecord;

/** The connection whose response.create carried the prompt: its handshake and creates. */
function exchange(r: NetnsResult, prompt: string) {
  const ws = wsOf(r);
  const create = ws.frames.find((f) => f.dir === "in" && f.json?.type === "response.create" && f.text.includes(prompt));
  expect(create, `no response.create carried "${prompt}"; the stand-in saw ${ws.handshakes.length} handshakes and ${ws.http.length} HTTP requests`).toBeDefined();
  const handshake = ws.handshakes.find((h) => h.id === create!.conn)!;
  const creates = ws.frames.filter((f) => f.conn === create!.conn && f.dir === "in" && f.json?.type === "response.create");
  return { handshake, create: create!, creates };
}

/** One clean `codex exec` through headroom: the reply printed, no config complaint, no transport trouble. */
function expectCleanRun(s: ReturnType<typeof step>, reply = REPLY) {
  expect(s.code, printed(s)).toBe(0);
  expect(s.stdout).toContain(reply);
  expect(configComplaints(printed(s))).toEqual([]);
  expect(printed(s)).not.toMatch(TRANSPORT_TROUBLE);
  expect(printed(s)).not.toMatch(/\b401\b|Unauthorized|Missing environment variable/);
}

/** What reached the upstream for one prompt: the WebSocket on /v1/responses with the user's key and the model. */
function expectThroughHeadroom(r: NetnsResult, prompt: string, model: string) {
  const { handshake, create } = exchange(r, prompt);
  expect(handshake.path).toBe("/v1/responses");
  expect(handshake.headers.authorization).toBe(`Bearer ${DUMMY_OPENAI_KEY}`);
  expect(handshake.headers.upgrade?.toLowerCase()).toBe("websocket");
  expect(create.json!.model).toBe(model);
  // Every handshake became a socket that carried a request (no failed attempt), and no HTTP fallback.
  const ws = wsOf(r);
  for (const h of ws.handshakes) expect(ws.frames.some((f) => f.conn === h.id && f.dir === "in"), `handshake ${h.id} carried nothing`).toBe(true);
  expect(ws.http.filter((q) => q.method === "POST" && q.path.endsWith("/responses"))).toEqual([]);
}

function statsOf(r: NetnsResult, name: string): Record<string, any> {
  const s = step(r, name);
  expect(s.code, printed(s)).toBe(0);
  return JSON.parse(s.stdout);
}

function watch(home: string): string[] {
  return [join(home, ".codex/config.toml"), join(home, ".codex/fast.config.toml"), join(home, ".codex/auth.json"), join(home, ".bashrc"), join(home, ".profile"), join(home, ".config/systemd")];
}

describe.skipIf(codex === null)(`Codex CLI ${codex?.version ?? ""} through headroom`, () => {
  test("provider scope: install apply --target codex; the user's model, profile, own provider and features still work; remove restores every byte", async () => {
    const bin = codex!.bin;
    const home = seedHome("provider");
    const files = watch(home);
    const r = await runInNetns({
      home,
      clients: ["codex"],
      systemd: true,
      upstreamPort: STUB_PORT,
      reply: { text: OTHER_REPLY },
      servers: [wsStandIn()],
      env: { MINE_API_KEY: OTHER_KEY },
      steps: [
        login(bin),
        { name: "before", snapshot: files },
        { name: "apply", argv: applyArgv("provider", ["codex"]), timeoutMs: 90_000, stopOnFailure: true },
        { name: "wired", snapshot: files },
        { name: "features", argv: [bin, "features", "list", ...QUIET] },
        { name: "codex", argv: exec(bin, "Say the word marmalade.", ["--strict-config"]), timeoutMs: 60_000 },
        { name: "codex-profile", argv: exec(bin, "Say the word quince.", ["-p", "fast"]), timeoutMs: 60_000 },
        { name: "codex-mine", argv: exec(bin, "Say the word medlar.", ["-c", 'model_provider="mine"']), timeoutMs: 60_000 },
        statsStep("stats"),
        { name: "ran", snapshot: files },
        { name: "remove", argv: [binPath, "install", "remove", "--profile", PROFILE], timeoutMs: 60_000 },
        { name: "after", snapshot: files },
      ],
      timeoutMs: 300_000,
    });
    const apply = step(r, "apply");
    expect(apply.code, printed(apply)).toBe(0);
    const wired = snapText(step(r, "wired").snapshot!, join(home, ".codex/config.toml"))!;
    expect(wired).toContain('model_provider = "headroom"');
    expect(wired).toContain("requires_openai_auth = true");
    expect(wired).toContain("supports_websockets = true");
    expect(wired).not.toContain(DUMMY_OPENAI_KEY);

    // The user's feature switch is still in effect.
    expect(step(r, "features").stdout).toMatch(/^apps\s+\S+\s+false$/m);

    expectCleanRun(step(r, "codex"));
    expectThroughHeadroom(r, "Say the word marmalade.", "gpt-user-model");
    expectCleanRun(step(r, "codex-profile"));
    expectThroughHeadroom(r, "Say the word quince.", "gpt-fast-profile");

    // The user's own provider goes where the user pointed it, with the user's key, not through headroom.
    expectCleanRun(step(r, "codex-mine"), OTHER_REPLY);
    const mine = requestsDuring(r, "codex-mine").filter((q) => q.method === "POST");
    expect(mine.map((q) => q.path)).toEqual(["/v1/responses"]);
    expect(mine[0]!.headers.authorization).toBe(`Bearer ${OTHER_KEY}`);
    expect(mine[0]!.text).toContain("medlar");

    const stats = statsOf(r, "stats");
    expect(stats.requests.errors).toBe(0);
    expect(stats.requests.total).toBeGreaterThanOrEqual(2);
    expect(stats.requests.by_model["gpt-user-model"].requests).toBeGreaterThanOrEqual(1);

    const rm = step(r, "remove");
    expect(rm.code, printed(rm)).toBe(0);
    expect(snapText(step(r, "after").snapshot!, join(home, ".codex/config.toml"))).toBe(USER_CONFIG);
    expect(restoreProblems({ before: step(r, "before").snapshot!, wired: step(r, "wired").snapshot!, ran: step(r, "ran").snapshot!, after: step(r, "after").snapshot! })).toEqual([]);
  }, 320_000);

  test("user scope: refused in one sentence naming the scopes that work; nothing is written", async () => {
    const home = seedHome("user");
    const files = watch(home);
    const r = await runInNetns({
      home,
      clients: ["codex"],
      systemd: true,
      servers: [wsStandIn()],
      upstreamPort: STUB_PORT,
      steps: [
        { name: "before", snapshot: files },
        { name: "apply", argv: applyArgv("user", ["claude", "codex"]), timeoutMs: 60_000 },
        { name: "after", snapshot: files },
      ],
    });
    const apply = step(r, "apply");
    expect(apply.code, printed(apply)).toBe(2);
    expect(apply.stderr.trim().split("\n")).toHaveLength(1);
    expect(apply.stderr).toContain("Codex ignores OPENAI_BASE_URL, so --scope user cannot route it; use --scope provider");
    expect(step(r, "after").snapshot).toEqual(step(r, "before").snapshot!);
  }, 120_000);

  test("system scope: Codex reads the plan's /etc/codex/config.toml (in a private mount namespace) and goes through headroom", async () => {
    const bin = codex!.bin;
    const home = seedHome("system");
    const port = PROXY_PORT + 2;
    const plan = join(home, "tmp/plan.json");
    const upper = join(home, "tmp/etc-upper");
    const work = join(home, "tmp/etc-work");
    const extract = `const p = await Bun.file(${JSON.stringify(plan)}).json(); const f = p.files.find((x) => x.path === "/etc/codex/config.toml"); if (!f) throw new Error("no /etc/codex/config.toml in the plan"); await Bun.write("/etc/codex/config.toml", f.content);`;
    // /etc is an overlay in this mount namespace only: the machine's /etc is never written.
    const script = [
      "set -eu",
      `mkdir -p ${upper} ${work}`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc`,
      `${binPath} install apply --profile sys --scope system --providers manual --target codex --port ${port} --dry-run --json > ${plan}`,
      "mkdir -p /etc/codex",
      `bun -e '${extract.replace(/'/g, `'\\''`)}'`,
      `${binPath} proxy --port ${port} --openai-api-url ${UPSTREAM_URL} > ${join(home, "tmp/proxy.log")} 2>&1 &`,
      `until (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; do sleep 0.05; done`,
      // The user's own config.toml (a model, no provider) stays beneath: the system layer routes.
      `${exec(bin, "Say the word damson.").map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ")}`,
      `cat /etc/codex/config.toml > ${join(home, "tmp/system-config.toml")}`,
      `bun -e 'console.error("STATS " + await (await fetch("http://127.0.0.1:${port}/stats")).text())'`,
    ].join("\n");
    const r = await runInNetns({
      home,
      clients: ["codex"],
      servers: [wsStandIn()],
      upstreamPort: STUB_PORT,
      steps: [login(bin), { name: "codex", argv: ["unshare", "-m", "bash", "-c", script], timeoutMs: 90_000 }, { name: "files", snapshot: [join(home, "tmp/system-config.toml")] }],
      timeoutMs: 200_000,
    });
    const s = step(r, "codex");
    expectCleanRun(s);
    expectThroughHeadroom(r, "Say the word damson.", "gpt-user-model");
    const system = snapText(step(r, "files").snapshot!, join(home, "tmp/system-config.toml"))!;
    expect(system).toContain(`base_url = "http://127.0.0.1:${port}/v1"`);
    expect(system).toContain("requires_openai_auth = true");
    const stats = JSON.parse(/STATS (.*)/.exec(s.stderr)![1]!);
    expect(stats.requests.errors).toBe(0);
  }, 220_000);

  test("wrap codex -- exec: through headroom for the session; config.toml restored byte for byte, nothing left behind", async () => {
    const bin = codex!.bin;
    const home = seedHome("wrap");
    const files = watch(home);
    const r = await runInNetns({
      home,
      clients: ["codex"],
      servers: [wsStandIn()],
      upstreamPort: STUB_PORT,
      steps: [
        login(bin),
        { name: "before", snapshot: files },
        { name: "wrap", argv: [binPath, "wrap", "codex", "--port", String(PROXY_PORT), "--", ...exec(bin, "Say the word loquat.").slice(1)], env: WRAP_UPSTREAM_ENV, timeoutMs: 90_000 },
        { name: "after", snapshot: files },
        { name: "unwrap", argv: [binPath, "unwrap", "codex"] },
        { name: "after-unwrap", snapshot: files },
      ],
      timeoutMs: 200_000,
    });
    expectCleanRun(step(r, "wrap"));
    expectThroughHeadroom(r, "Say the word loquat.", "gpt-user-model");
    const before = step(r, "before").snapshot!;
    expect(snapText(step(r, "after").snapshot!, join(home, ".codex/config.toml"))).toBe(USER_CONFIG);
    expect(restoreProblems({ before, wired: before, ran: before, after: step(r, "after").snapshot! })).toEqual([]);
    // Nothing was left for unwrap to undo.
    expect(step(r, "after-unwrap").snapshot).toEqual(step(r, "after").snapshot!);
  }, 220_000);

  test("ChatGPT sign-in (wrap): the user's ChatGPT token and account id reach the ChatGPT backend through headroom", async () => {
    const bin = codex!.bin;
    const home = seedHome("chatgpt");
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const claims = { "https://api.openai.com/auth": { chatgpt_account_id: "acct-headroom-test", chatgpt_plan_type: "plus" }, exp: Math.floor(Date.now() / 1000) + 86_400 };
    const access = `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2ln`;
    const auth = { auth_mode: "chatgpt", OPENAI_API_KEY: null, tokens: { id_token: access, access_token: access, refresh_token: "rt-headroom-test", account_id: "acct-headroom-test" }, last_refresh: new Date().toISOString() };
    writeFileSync(join(home, ".codex/auth.json"), JSON.stringify(auth));
    const files = watch(home);
    const r = await runInNetns({
      home,
      clients: ["codex"],
      servers: [wsStandIn()],
      upstreamPort: STUB_PORT,
      steps: [
        { name: "before", snapshot: files },
        {
          name: "wrap",
          argv: [binPath, "wrap", "codex", "--port", String(PROXY_PORT), "--", ...exec(bin, "Say the word sloe.", ["-c", "features.apps=false"]).slice(1)],
          env: { ...WRAP_UPSTREAM_ENV, HEADROOM_CHATGPT_API_URL: `${UPSTREAM_URL}/backend-api/codex` },
          timeoutMs: 120_000,
        },
        { name: "after", snapshot: files },
      ],
      timeoutMs: 200_000,
    });
    expectCleanRun(step(r, "wrap"));
    const { handshake } = exchange(r, "Say the word sloe.");
    expect(handshake.path).toBe("/backend-api/codex/responses");
    expect(handshake.headers.authorization).toBe(`Bearer ${access}`);
    expect(handshake.headers["chatgpt-account-id"]).toBe("acct-headroom-test");
    // Nothing went to the API-key endpoints.
    expect(wsOf(r).handshakes.filter((h) => h.path === "/v1/responses")).toEqual([]);
    const before = step(r, "before").snapshot!;
    expect(restoreProblems({ before, wired: before, ran: before, after: step(r, "after").snapshot! })).toEqual([]);
  }, 220_000);
});
