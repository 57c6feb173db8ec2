// GitHub Copilot CLI (the real client, pinned in scripts/ci/clients.txt) through headroom,
// one shot (`copilot -p ... --allow-all-tools`), in a loopback-only network namespace
// against the recording upstream: user scope (install apply, the written shell block
// sourced by bash, remove), the system scope's block (from the dry-run plan: writing
// /etc/profile.d for real would change this machine), and `wrap copilot`, with Copilot's
// defaults and with the user's own model, wire API and key. Asserts on what the upstream
// got (path, key, model, the prompt) and what Copilot printed, and that every file comes
// back byte for byte with nothing new left behind.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
  DUMMY_OPENAI_KEY,
  PROXY_PORT,
  PROXY_URL,
  UPSTREAM_URL,
  type NetnsResult,
  type RecordedJson,
  type SnapshotJson,
  binPath,
  configComplaints,
  locateClient,
  makeHome,
  printed,
  requestsDuring,
  runInNetns,
  snapshotDiff,
  snapText,
  step,
} from "../../support/real-clients.ts";
import { COPILOT_DEFAULT_MODEL } from "../../../src/tools/copilot.ts";

const copilot = locateClient("copilot");

const REPLY = "Copilot reached the stand-in through headroom.";
const PROMPT = "Say the word marmalade and nothing else.";
/** A second key, so a test can tell which of the user's variables Copilot sent. */
const SYSTEM_PORT = PROXY_PORT + 1;
const COPILOT_KEY = "sk-copilot-provider-headroom-test-0000";
const USER_BASHRC = "# my bashrc\nalias ll='ls -l'\nexport EDITOR=vi\n";
const USER_SETTINGS = '{\n  "theme": "dark"\n}\n';

/**
 * Copilot's own switches: offline mode (no GitHub sign-in, telemetry, web tools or
 * auto-update; `copilot help environment`), auto-update off, and its unpacked package
 * kept outside HOME (it unpacks about 230 MB on first run; COPILOT_PKG_CACHE_HOME).
 */
const COPILOT_QUIET = {
  COPILOT_OFFLINE: "true",
  COPILOT_AUTO_UPDATE: "false",
  COPILOT_PKG_CACHE_HOME: "/tmp/headroom-copilot-pkg-cache",
};

const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function seedHome(name: string): string {
  const home = makeHome(`copilot-${name}`);
  homes.push(home);
  Bun.write(join(home, ".bashrc"), USER_BASHRC);
  Bun.write(join(home, ".copilot/settings.json"), USER_SETTINGS);
  return home;
}

/**
 * Files Copilot itself keeps (its session state, logs, device id), headroom's own
 * workspace (~/.headroom: the proxy's savings ledger, an ephemeral proxy's log), and the
 * harness's files.
 */
function ownedByOthers(home: string, path: string): boolean {
  if (path === join(home, ".copilot/settings.json")) return false;
  return [".copilot/", ".cache/Microsoft/", ".headroom/", "tmp/", ".headroom-test-proxy.log"].some((p) => path.startsWith(join(home, p)));
}

/** Headroom's footprint between two snapshots of HOME: every file added, removed or changed outside Copilot's own state. */
function footprint(home: string, before: SnapshotJson, after: SnapshotJson) {
  const d = snapshotDiff(before, after);
  const keep = (ps: string[]) => ps.filter((p) => !ownedByOthers(home, p));
  return { added: keep(d.added), removed: keep(d.removed), changed: keep(d.changed) };
}

function chat(r: NetnsResult, stepName: string): RecordedJson[] {
  return requestsDuring(r, stepName).filter((q) => q.method === "POST");
}

/** The inference request: the right path, the model, the key, and the user's prompt in the body. */
function expectInference(reqs: RecordedJson[], want: { path: string; model: string; key: string }) {
  expect(reqs.map((q) => q.path)).toContain(want.path);
  const q = reqs.find((x) => x.path === want.path)!;
  expect((q.json as { model?: string }).model).toBe(want.model);
  expect(q.headers.authorization).toBe(`Bearer ${want.key}`);
  expect(q.text).toContain(PROMPT);
  // Only API routes: nothing for headroom to answer with its own 404.
  for (const x of reqs) expect(x.path.startsWith("/v1/")).toBe(true);
}

function expectCleanRun(s: ReturnType<typeof step>) {
  expect(s.code, printed(s)).toBe(0);
  expect(s.stdout).toContain(REPLY);
  expect(configComplaints(printed(s))).toEqual([]);
  // 401 as a word: the session id Copilot prints (a random UUID) can hold the digits.
  expect(printed(s)).not.toMatch(/Invalid wire API|BYOK providers require|Could not connect|\b401\b|Unauthorized/);
}

const oneShot = (bin: string) => `exec ${JSON.stringify(bin)} -p ${JSON.stringify(PROMPT)} --allow-all-tools`;

describe.skipIf(copilot === null)(`Copilot CLI ${copilot?.version ?? ""} through headroom`, () => {
  test("user scope: install apply --target copilot, the block sourced by bash, remove restores every file", async () => {
    const home = seedHome("user");
    const r = await runInNetns({
      home,
      clients: ["copilot"],
      systemd: true,
      reply: { text: REPLY },
      env: { ...COPILOT_QUIET, OPENAI_API_KEY: DUMMY_OPENAI_KEY },
      steps: [
        { name: "before", snapshot: [home] },
        {
          name: "apply",
          argv: [binPath, "install", "apply", "--profile", "cop", "--scope", "user", "--providers", "manual", "--target", "copilot", "--target", "claude", "--port", String(PROXY_PORT), "--openai-api-url", UPSTREAM_URL, "--anthropic-api-url", UPSTREAM_URL],
          stopOnFailure: true,
          timeoutMs: 60_000,
        },
        { name: "applied", snapshot: [home] },
        // A new interactive shell reads ~/.bashrc: the user's OPENAI_API_KEY is the key.
        { name: "copilot", argv: ["bash", "-c", `set -eu; . "$HOME/.bashrc"; ${oneShot(copilot!.bin)}`], timeoutMs: 90_000 },
        // The user's own choices, set before the block runs, are kept.
        {
          name: "copilot-own",
          argv: ["bash", "-c", `export COPILOT_MODEL=gpt-5-mini COPILOT_PROVIDER_WIRE_API=responses COPILOT_PROVIDER_API_KEY=${COPILOT_KEY}; . "$HOME/.bashrc"; ${oneShot(copilot!.bin)}`],
          timeoutMs: 90_000,
        },
        { name: "remove", argv: [binPath, "install", "remove", "--profile", "cop"], timeoutMs: 60_000 },
        { name: "after", snapshot: [home] },
      ],
      timeoutMs: 300_000,
    });
    const apply = step(r, "apply");
    expect(apply.code, printed(apply)).toBe(0);

    const applied = footprint(home, step(r, "before").snapshot!, step(r, "applied").snapshot!);
    expect(applied.changed).toContain(join(home, ".bashrc"));
    expect(applied.added).toContain(join(home, ".profile"));
    const block = snapText(step(r, "applied").snapshot!, join(home, ".bashrc"))!;
    expect(block.startsWith(USER_BASHRC)).toBe(true);
    expect(block).toContain(`export COPILOT_PROVIDER_BASE_URL='${PROXY_URL}/v1'`);
    expect(block).not.toContain(DUMMY_OPENAI_KEY);

    const plain = step(r, "copilot");
    expectCleanRun(plain);
    expectInference(chat(r, "copilot"), { path: "/v1/chat/completions", model: COPILOT_DEFAULT_MODEL, key: DUMMY_OPENAI_KEY });

    const own = step(r, "copilot-own");
    expectCleanRun(own);
    expectInference(chat(r, "copilot-own"), { path: "/v1/responses", model: "gpt-5-mini", key: COPILOT_KEY });

    const rm = step(r, "remove");
    expect(rm.code, printed(rm)).toBe(0);
    const after = step(r, "after").snapshot!;
    expect(snapText(after, join(home, ".bashrc"))).toBe(USER_BASHRC);
    expect(snapText(after, join(home, ".copilot/settings.json"))).toBe(USER_SETTINGS);
    expect(footprint(home, step(r, "before").snapshot!, after)).toEqual({ added: [], removed: [], changed: [] });
  }, 320_000);

  test("system scope: the /etc/profile.d block of the plan, sourced, routes Copilot through headroom", async () => {
    const home = seedHome("system");
    const block = join(home, "tmp/headroom.sh");
    const extract = `const p = await Bun.file(${JSON.stringify(join(home, "tmp/plan.json"))}).json(); await Bun.write(${JSON.stringify(block)}, p.files.find((f) => f.path === "/etc/profile.d/headroom.sh").content)`;
    // The plan first (apply refuses, even for a dry run, a port that a proxy already serves), then a proxy on that port.
    const script = [
      "set -eu",
      `${JSON.stringify(binPath)} install apply --profile sys --scope system --providers manual --target copilot --target codex --port ${SYSTEM_PORT} --dry-run --json > ${JSON.stringify(join(home, "tmp/plan.json"))}`,
      `${JSON.stringify(process.execPath)} -e ${JSON.stringify(extract)}`,
      `${JSON.stringify(binPath)} proxy --port ${SYSTEM_PORT} --openai-api-url ${UPSTREAM_URL} --anthropic-api-url ${UPSTREAM_URL} > ${JSON.stringify(join(home, "tmp/proxy.log"))} 2>&1 &`,
      `until (exec 3<>/dev/tcp/127.0.0.1/${SYSTEM_PORT}) 2>/dev/null; do sleep 0.05; done`,
      `. ${JSON.stringify(block)}`,
      oneShot(copilot!.bin),
    ].join("\n");
    const r = await runInNetns({
      home,
      clients: ["copilot"],
      reply: { text: REPLY },
      env: { ...COPILOT_QUIET, OPENAI_API_KEY: DUMMY_OPENAI_KEY },
      steps: [
        { name: "copilot", argv: ["bash", "-c", script], timeoutMs: 90_000 },
        { name: "block", snapshot: [block] },
      ],
      timeoutMs: 200_000,
    });
    const text = snapText(step(r, "block").snapshot!, block)!;
    expect(text).toContain(`export COPILOT_PROVIDER_BASE_URL='http://127.0.0.1:${SYSTEM_PORT}/v1'`);
    expect(text).not.toContain(DUMMY_OPENAI_KEY);
    expectCleanRun(step(r, "copilot"));
    expectInference(chat(r, "copilot"), { path: "/v1/chat/completions", model: COPILOT_DEFAULT_MODEL, key: DUMMY_OPENAI_KEY });
  }, 220_000);

  test("wrap copilot: defaults, then the user's own model, wire API and key; nothing left behind", async () => {
    const home = seedHome("wrap");
    const wrapEnv = { HEADROOM_OPENAI_API_URL: UPSTREAM_URL, HEADROOM_ANTHROPIC_API_URL: UPSTREAM_URL };
    const r = await runInNetns({
      home,
      clients: ["copilot"],
      reply: { text: REPLY },
      env: { ...COPILOT_QUIET, ...wrapEnv },
      steps: [
        { name: "before", snapshot: [home] },
        { name: "wrap", argv: [binPath, "wrap", "copilot", "--", "-p", PROMPT, "--allow-all-tools"], env: { OPENAI_API_KEY: DUMMY_OPENAI_KEY }, timeoutMs: 90_000 },
        {
          name: "wrap-own",
          argv: [binPath, "wrap", "copilot", "-p", PROMPT, "--allow-all-tools", "--model", "gpt-5-mini"],
          env: { COPILOT_PROVIDER_API_KEY: COPILOT_KEY, OPENAI_API_KEY: DUMMY_OPENAI_KEY, COPILOT_PROVIDER_WIRE_API: "responses" },
          timeoutMs: 90_000,
        },
        { name: "after", snapshot: [home] },
      ],
      timeoutMs: 240_000,
    });
    expectCleanRun(step(r, "wrap"));
    expectInference(chat(r, "wrap"), { path: "/v1/chat/completions", model: COPILOT_DEFAULT_MODEL, key: DUMMY_OPENAI_KEY });
    expectCleanRun(step(r, "wrap-own"));
    expectInference(chat(r, "wrap-own"), { path: "/v1/responses", model: "gpt-5-mini", key: COPILOT_KEY });

    const after = step(r, "after").snapshot!;
    expect(snapText(after, join(home, ".bashrc"))).toBe(USER_BASHRC);
    expect(snapText(after, join(home, ".copilot/settings.json"))).toBe(USER_SETTINGS);
    expect(footprint(home, step(r, "before").snapshot!, after)).toEqual({ added: [], removed: [], changed: [] });
  }, 260_000);
});
