// Every bad input, against the compiled binary and a real systemd user manager: one
// sentence (a hint line may follow) with no stack and no raw errno, exit 2 for usage, 1
// for a refusal (3 for a profile that does not exist), and nothing changed on disk: a
// hash of every file and the list of every folder under HOME (the workspace is inside
// it) are the same before and after, and no headroom unit is left with the manager.
// With the real manager an input that slipped through validation would really install,
// so a missing check shows up as a changed tree, not as a lucky refusal elsewhere.
//
// Then `remove` after a real `apply`: it leaves nothing headroom created, folders and
// the blank line it put before its shell block included.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, hr } from "./install-support.ts";
import { hashTree, treeDiff } from "./trust-support.ts";

const isRoot = process.getuid?.() === 0;

/**
 * Why `stderr` is not one clear sentence, or null when it is: "headroom: " and the
 * problem as one sentence, optionally a second line with the next step; no stack trace,
 * no "unexpected error", no raw errno or spawn message.
 */
export function notOneSentence(stderr: string): string | null {
  const text = stderr.trimEnd();
  if (text === "") return "nothing on stderr";
  const lines = text.split("\n");
  if (!lines[0]!.startsWith("headroom: ")) return "the first line does not start with \"headroom: \"";
  if (lines.length > 2) return `${lines.length} lines`;
  if (/^\s+at\s/m.test(text)) return "a stack trace";
  if (/unexpected error/i.test(text)) return "an unexpected error";
  if (/\bE[A-Z]{3,}\b/.test(text) || /Executable not found/.test(text)) return "a raw system error";
  // citty's usage errors carry their next step on the same line.
  const message = lines[0]!.slice("headroom: ".length).replace(/ Run with --help for usage\.$/, "");
  for (const [i, line] of [message, lines[1]].entries()) {
    if (line === undefined) continue;
    if (!/[.)]$/.test(line)) return `line ${i + 1} does not end a sentence`;
    // A sentence boundary: a full stop, then a capital letter (paths and "e.g." do not match).
    if (/[a-z0-9")'`][.!?]\s+[A-Z]/.test(line)) return `line ${i + 1} holds more than one sentence`;
  }
  return null;
}

interface Ctx {
  home: string;
  ws: string;
  /** A free port for this case; HEADROOM_PORT is another one, so a port that silently means "the default" installs there, not on 8787. */
  port: number;
  /** A folder outside HOME for scratch (empty PATH folders...). */
  scratch: string;
}

interface Case {
  name: string;
  argv: (c: Ctx) => string[];
  code: 1 | 2 | 3;
  message: RegExp;
  env?: (c: Ctx) => Record<string, string | undefined>;
  /** Puts the bad input in place (before the "before" snapshot); returns what undoes it after the "after" one. */
  setup?: (c: Ctx) => (() => void) | void;
  /** Also run with --json: one JSON object with the error on stdout, nothing on stderr. */
  json?: boolean;
  /** A reason to skip this case here. */
  skip?: () => string | null;
}

const apply = (c: Ctx, ...extra: string[]) => ["install", "apply", "--profile", "bad", "--port", String(c.port), ...extra];
const provider = (c: Ctx, tool: string, ...extra: string[]) => apply(c, "--scope", "provider", "--providers", "manual", "--target", tool, ...extra);
const longName = "a".repeat(300);

/** A folder the current user cannot write: chattr +i for root (who ignores modes), 0555 otherwise. */
function makeReadOnly(dir: string): () => void {
  if (isRoot) {
    const r = Bun.spawnSync(["chattr", "+i", dir]);
    if (r.exitCode !== 0) throw new Error(`chattr +i ${dir} failed: ${r.stderr.toString()}`);
    return () => void Bun.spawnSync(["chattr", "-i", dir]);
  }
  chmodSync(dir, 0o555);
  return () => chmodSync(dir, 0o755);
}

function readOnlySkip(): string | null {
  if (!isRoot) return null;
  const probe = mkdtempSync("/tmp/headroom-chattr-");
  try {
    const r = Bun.spawnSync(["chattr", "+i", probe]);
    if (r.exitCode !== 0) return "chattr +i is not available here (root ignores folder modes)";
    Bun.spawnSync(["chattr", "-i", probe]);
    return null;
  } catch {
    return "chattr is not installed (root ignores folder modes)";
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A listener on the port that never answers HTTP (raw TCP). */
function rawListener(port: number): () => void {
  const s = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
  return () => s.stop(true);
}

/** Back to the manager's bare HOME: every headroom unit disabled, and the files the cases and apply make taken out. */
async function resetHome(sd: UserManager): Promise<void> {
  const units = (await sd.systemctl(["list-unit-files", "headroom-*", "--no-legend"])).stdout.trim();
  if (units) {
    await sd.systemctl(["disable", "--now", ...units.split("\n").map((l) => l.split(/\s+/)[0]!)]);
    rmSync(join(sd.home, ".config"), { recursive: true, force: true });
    await sd.systemctl(["daemon-reload"]);
  }
  for (const p of ["afile", "locked", ".config", ".claude", ".codex", ".bashrc", ".profile", ".headroom"]) rmSync(join(sd.home, p), { recursive: true, force: true });
}

const CASES: Case[] = [
  // ---- usage errors (exit 2) ----------------------------------------------------------
  { name: "--port '' does not mean the default port", argv: (c) => [...apply(c), "--port", ""], code: 2, message: /^headroom: --port needs a value/, json: true },
  { name: "--port= does not mean the default port", argv: (c) => [...apply(c), "--port="], code: 2, message: /^headroom: --port needs a value/ },
  { name: "--port at the end, without a value", argv: (c) => [...apply(c), "--port"], code: 2, message: /^headroom: --port needs a value/ },
  { name: "--port followed by another option", argv: (c) => [...apply(c), "--port", "--dry-run"], code: 2, message: /^headroom: --port needs a value/ },
  { name: "--port -1 is a value, not an option", argv: (c) => [...apply(c), "--port", "-1"], code: 2, message: /--port must be a port number between 1 and 65535, not "-1"/, json: true },
  { name: "--port=-1", argv: (c) => [...apply(c), "--port=-1"], code: 2, message: /--port must be a port number between 1 and 65535, not "-1"/ },
  { name: "--port 0", argv: (c) => [...apply(c), "--port", "0"], code: 2, message: /--port must be a port number/ },
  { name: "--port 70000", argv: (c) => [...apply(c), "--port", "70000"], code: 2, message: /--port must be a port number/ },
  { name: "--port 12ab", argv: (c) => [...apply(c), "--port", "12ab"], code: 2, message: /--port must be a port number/ },
  { name: "HEADROOM_PORT=abc", argv: () => ["install", "apply", "--profile", "bad"], env: () => ({ HEADROOM_PORT: "abc" }), code: 2, message: /HEADROOM_PORT must be a port number between 1 and 65535, not "abc"/ },
  { name: "--interval -5 is a value, not an option", argv: (c) => apply(c, "--preset", "persistent-task", "--interval", "-5"), code: 2, message: /--interval must be a whole number of minutes between 1 and 1440, not "-5"/ },
  { name: "--interval 0", argv: (c) => apply(c, "--preset", "persistent-task", "--interval", "0"), code: 2, message: /--interval must be a whole number/ },
  { name: "--interval 1.5", argv: (c) => apply(c, "--preset", "persistent-task", "--interval", "1.5"), code: 2, message: /--interval must be a whole number/ },
  { name: "a 300-character profile name", argv: (c) => ["install", "apply", "--profile", longName, "--port", String(c.port)], code: 2, message: /profile name "a{20}\.\.\." is 300 characters long; use at most 64/, json: true },
  { name: "status of a 300-character profile name", argv: () => ["install", "status", "--profile", longName], code: 2, message: /is 300 characters long/ },
  { name: "--profile ../x", argv: (c) => ["install", "apply", "--profile", "../x", "--port", String(c.port)], code: 2, message: /"\.\.\/x" is not a valid profile name/ },
  { name: "--profile ../evil", argv: (c) => ["install", "apply", "--profile", "../evil", "--port", String(c.port)], code: 2, message: /not a valid profile name/ },
  { name: "--profile ..", argv: (c) => ["install", "apply", "--profile", "..", "--port", String(c.port)], code: 2, message: /not a valid profile name/ },
  { name: "--profile a/b", argv: (c) => ["install", "apply", "--profile", "a/b", "--port", String(c.port)], code: 2, message: /not a valid profile name/ },
  { name: "--profile ''", argv: (c) => ["install", "apply", "--profile", "", "--port", String(c.port)], code: 2, message: /--profile needs a value/ },
  { name: "status --profile 'bad name'", argv: () => ["install", "status", "--profile", "bad name"], code: 2, message: /not a valid profile name/, json: true },
  { name: "status --profile ''", argv: () => ["install", "status", "--profile", ""], code: 2, message: /--profile needs a value/ },
  { name: "status --all --profile x", argv: () => ["install", "status", "--all", "--profile", "x"], code: 2, message: /Use either --profile or --all/ },
  { name: "an unknown --scope", argv: (c) => apply(c, "--scope", "galaxy"), code: 2, message: /--scope must be one of provider, user, system, not "galaxy"/, json: true },
  { name: "an unknown --preset", argv: (c) => apply(c, "--preset", "forever"), code: 2, message: /--preset must be one of/ },
  { name: "an unknown --runtime", argv: (c) => apply(c, "--runtime", "jvm"), code: 2, message: /--runtime must be one of/ },
  { name: "an unknown --providers", argv: (c) => apply(c, "--providers", "some"), code: 2, message: /--providers must be one of/ },
  { name: "--mode bogus", argv: (c) => apply(c, "--mode", "bogus"), code: 2, message: /--mode must be auto, token or cache, not "bogus"/ },
  { name: "--log-level loud", argv: (c) => apply(c, "--log-level", "loud"), code: 2, message: /--log-level must be debug, info, warn or error/ },
  { name: "--anthropic-api-url that is not a URL", argv: (c) => apply(c, "--anthropic-api-url", "not a url"), code: 2, message: /--anthropic-api-url must be an http\(s\) URL/ },
  { name: "--openai-api-url ftp://", argv: (c) => apply(c, "--openai-api-url", "ftp://x"), code: 2, message: /--openai-api-url must be an http\(s\) URL/ },
  { name: "--env without =", argv: (c) => apply(c, "--env", "NOEQUALS"), code: 2, message: /--env takes NAME=VALUE/ },
  { name: "--env =x", argv: (c) => apply(c, "--env", "=x"), code: 2, message: /--env takes NAME=VALUE/ },
  { name: "--image ''", argv: (c) => apply(c, "--preset", "persistent-docker", "--image", ""), code: 2, message: /--image needs a value/, json: true },
  { name: "--backend ''", argv: (c) => apply(c, "--backend", ""), code: 2, message: /--backend needs a value/ },
  { name: "an unknown --target", argv: (c) => apply(c, "--providers", "manual", "--target", "bogus"), code: 2, message: /Unknown target "bogus"/ },
  { name: "--target without a value", argv: (c) => apply(c, "--providers", "manual", "--target", "claude", "--target", "--dry-run"), code: 2, message: /--target needs a value/ },
  { name: "--target without --providers manual", argv: (c) => apply(c, "--providers", "all", "--target", "claude"), code: 2, message: /--target/ },
  { name: "--os bogus", argv: (c) => apply(c, "--os", "bogus", "--dry-run"), code: 2, message: /--os must be one of linux, darwin, windows/ },
  { name: "--os windows without --dry-run", argv: (c) => apply(c, "--os", "windows"), code: 2, message: /--os windows only works with --dry-run/ },
  { name: "an unknown option", argv: (c) => apply(c, "--bogus"), code: 2, message: /Unknown option --bogus/, json: true },
  { name: "status with an unknown option", argv: () => ["install", "status", "--bogus"], code: 2, message: /^headroom: Unknown option --bogus\.$/m },
  { name: "stop --pause of a profile that does not exist", argv: () => ["install", "stop", "--pause", "--profile", "nope"], code: 3, message: /No deployment profile "nope"/ },
  { name: "an unknown install action", argv: () => ["install", "frobnicate"], code: 2, message: /frobnicate/ },
  { name: "an unknown command", argv: () => ["frobnicate"], code: 2, message: /frobnicate/ },
  { name: "proxy --mode fast", argv: () => ["proxy", "--mode", "fast"], code: 2, message: /--mode must be auto, token or cache/ },
  { name: "proxy --port 99999", argv: () => ["proxy", "--port", "99999"], code: 2, message: /--port must be a port number/ },
  { name: "proxy --port ''", argv: () => ["proxy", "--port", ""], code: 2, message: /--port needs a value/ },
  { name: "proxy --port -1", argv: () => ["proxy", "--port", "-1"], code: 2, message: /--port must be a port number between 1 and 65535, not "-1"/ },
  { name: "wrap with --port ''", argv: () => ["wrap", "claude", "--port", ""], code: 2, message: /--port needs a value/ },
  { name: "wrap of an unknown tool", argv: () => ["wrap", "emacs"], code: 2, message: /Unknown tool "emacs"/ },
  { name: "unwrap of an unknown tool", argv: () => ["unwrap", "vim"], code: 2, message: /vim/ },

  // ---- refusals (exit 1) and missing profiles (exit 3) -----------------------------------
  {
    name: "HEADROOM_WORKSPACE_DIR pointing at a file (apply)",
    argv: (c) => apply(c),
    env: (c) => ({ HEADROOM_WORKSPACE_DIR: join(c.home, "afile") }),
    setup: (c) => writeFileSync(join(c.home, "afile"), "mine\n"),
    code: 1,
    message: /afile \(\$HEADROOM_WORKSPACE_DIR\) is a file, not a folder/,
    json: true,
  },
  {
    name: "HEADROOM_WORKSPACE_DIR pointing at a file (status)",
    argv: () => ["install", "status", "--profile", "bad"],
    env: (c) => ({ HEADROOM_WORKSPACE_DIR: join(c.home, "afile") }),
    setup: (c) => writeFileSync(join(c.home, "afile"), "mine\n"),
    code: 1,
    message: /is a file, not a folder/,
  },
  {
    name: "HEADROOM_WORKSPACE_DIR under a file",
    argv: (c) => apply(c),
    env: (c) => ({ HEADROOM_WORKSPACE_DIR: join(c.home, "afile", "ws") }),
    setup: (c) => writeFileSync(join(c.home, "afile"), "mine\n"),
    code: 1,
    message: /afile is a file, not a folder/,
  },
  {
    name: "CODEX_HOME pointing at a file",
    argv: (c) => provider(c, "codex"),
    env: (c) => ({ CODEX_HOME: join(c.home, "afile") }),
    setup: (c) => writeFileSync(join(c.home, "afile"), "mine\n"),
    code: 1,
    message: /afile \(\$CODEX_HOME\) is a file, not a folder/,
    json: true,
  },
  ...(["apply", "status", "start", "stop", "restart", "remove"] as const).map((action): Case => ({
    name: `a manifest.json that is a folder (${action})`,
    argv: (c) => (action === "apply" ? apply(c) : ["install", action, "--profile", "bad"]),
    setup: (c) => void mkdirSync(join(c.ws, "deploy", "bad", "manifest.json"), { recursive: true }),
    code: 1,
    message: /deploy\/bad\/manifest\.json is a folder, not a file/,
    json: action === "status",
  })),
  ...(["apply", "status", "start", "remove"] as const).map((action): Case => ({
    name: `a corrupt manifest (${action})`,
    argv: (c) => (action === "apply" ? apply(c) : ["install", action, "--profile", "bad"]),
    setup: (c) => {
      mkdirSync(join(c.ws, "deploy", "bad"), { recursive: true });
      writeFileSync(join(c.ws, "deploy", "bad", "manifest.json"), '{"schemaVersion": 1, "profile": ');
    },
    code: 1,
    message: /The manifest .*deploy\/bad\/manifest\.json is not valid/,
  })),
  ...(["start", "stop", "restart", "remove"] as const).map((action): Case => ({
    name: `${action} of a profile that does not exist`,
    argv: () => ["install", action, "--profile", "nope"],
    code: 3,
    message: /No deployment profile "nope"/,
    json: action === "remove",
  })),
  {
    name: "the task preset with neither systemctl nor crontab",
    argv: (c) => apply(c, "--preset", "persistent-task"),
    env: (c) => ({ PATH: c.scratch }),
    code: 1,
    message: /Neither a systemd user manager nor `crontab` is available/,
    json: true,
  },
  { name: "the service preset without systemctl", argv: (c) => apply(c), env: (c) => ({ PATH: c.scratch }), code: 1, message: /systemctl was not found/ },
  { name: "the docker preset without docker", argv: (c) => apply(c, "--preset", "persistent-docker"), env: (c) => ({ PATH: c.scratch }), code: 1, message: /The docker command was not found/ },
  {
    name: "a Claude settings.json that is not JSON",
    argv: (c) => provider(c, "claude"),
    setup: (c) => {
      mkdirSync(join(c.home, ".claude"), { recursive: true });
      writeFileSync(join(c.home, ".claude", "settings.json"), "{not json");
    },
    code: 1,
    message: /Cannot parse .*\.claude\/settings\.json \(.+\); headroom changed nothing\./,
    json: true,
  },
  {
    name: "a Claude settings.json that is a JSON array",
    argv: (c) => provider(c, "claude"),
    setup: (c) => {
      mkdirSync(join(c.home, ".claude"), { recursive: true });
      writeFileSync(join(c.home, ".claude", "settings.json"), "[1, 2]\n");
    },
    code: 1,
    message: /top level is not an object/,
  },
  {
    name: "a Codex config.toml that is not TOML",
    argv: (c) => provider(c, "codex"),
    setup: (c) => {
      mkdirSync(join(c.home, ".codex"), { recursive: true });
      writeFileSync(join(c.home, ".codex", "config.toml"), "a = \n");
    },
    code: 1,
    message: /Cannot parse .*\.codex\/config\.toml/,
  },
  {
    name: "a Claude settings.json that is a folder",
    argv: (c) => provider(c, "claude"),
    setup: (c) => void mkdirSync(join(c.home, ".claude", "settings.json"), { recursive: true }),
    code: 1,
    message: /\.claude\/settings\.json is a folder, not a file/,
  },
  {
    name: "a .bashrc that is a folder (user scope)",
    argv: (c) => apply(c, "--scope", "user"),
    setup: (c) => void mkdirSync(join(c.home, ".bashrc")),
    code: 1,
    message: /\.bashrc is a folder, not a file/,
  },
  {
    name: "a .profile with a broken headroom fence",
    argv: (c) => apply(c, "--scope", "user"),
    setup: (c) => writeFileSync(join(c.home, ".profile"), "# >>> headroom persistent env >>>\nexport MINE=1\n"),
    code: 1,
    message: /\.profile has 1 "# >>> headroom persistent env >>>" and 0/,
  },
  {
    name: "a read-only Claude config folder",
    argv: (c) => provider(c, "claude"),
    skip: readOnlySkip,
    setup: (c) => {
      mkdirSync(join(c.home, ".claude"), { recursive: true });
      writeFileSync(join(c.home, ".claude", "settings.json"), "{}\n");
      return makeReadOnly(join(c.home, ".claude"));
    },
    code: 1,
    message: /\.claude is read-only, so .*settings\.json cannot be written/,
    json: true,
  },
  {
    name: "a read-only folder for the workspace",
    argv: (c) => provider(c, "claude"),
    skip: readOnlySkip,
    env: (c) => ({ HEADROOM_WORKSPACE_DIR: join(c.home, "locked", "ws") }),
    setup: (c) => {
      mkdirSync(join(c.home, "locked"));
      return makeReadOnly(join(c.home, "locked"));
    },
    code: 1,
    message: /locked is read-only, so .*manifest\.json cannot be written/,
  },
  {
    name: "a port held by a process that does not answer HTTP",
    argv: (c) => apply(c),
    setup: (c) => rawListener(c.port),
    code: 1,
    message: /Port \d+ is held by a process that does not answer HTTP, not by this deployment/,
    json: true,
  },
  {
    name: "a port held by a foreign HTTP server answering /readyz",
    argv: (c) => apply(c),
    setup: (c) => {
      const s = Bun.serve({ hostname: "127.0.0.1", port: c.port, fetch: (req) => (new URL(req.url).pathname === "/readyz" ? Response.json({ ready: true }) : Response.json({ status: "healthy", pid: 1 })) });
      return () => void s.stop(true);
    },
    code: 1,
    message: /Port \d+ is held by/,
  },
];

describe.skipIf(systemdSkipReason() !== null)("bad inputs: one sentence, the right exit code, nothing changed on disk", () => {
  let sd: UserManager;
  let scratch: string;
  // The manager's own files: its runtime folder and log.
  const skip = (rel: string) => rel === "run" || rel === "systemd.log";

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-bad-", timeoutMs: 60_000 });
    scratch = mkdtempSync("/tmp/headroom-bad-path-");
  }, 90_000);

  afterAll(async () => {
    await sd?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  const ctx = async (): Promise<Ctx> => ({ home: sd.home, ws: sd.env.HEADROOM_WORKSPACE_DIR!, port: await freePort(), scratch });

  /** Runs one case and checks the contract; returns the run for case-specific checks. */
  async function check(c: Case, json: boolean) {
    const x = await ctx();
    const undo = c.setup?.(x);
    try {
      const before = hashTree(sd.home, skip);
      const env = { ...sd.env, HEADROOM_PORT: String(await freePort()), HEADROOM_DEBUG: undefined, NO_COLOR: "1", ...c.env?.(x) };
      const argv = [...c.argv(x), ...(json ? ["--json"] : [])];
      const r = await hr(argv, env, 60_000);
      const after = hashTree(sd.home, skip);
      const printed = `argv: ${JSON.stringify(argv)}\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.code, printed).toBe(c.code);
      if (json) {
        expect(r.stderr, printed).toBe("");
        const lines = r.stdout.trim().split("\n");
        expect(lines, printed).toHaveLength(1);
        const doc = JSON.parse(lines[0]!);
        expect(doc, printed).toMatchObject({ ok: false, code: c.code });
        expect(`headroom: ${doc.error}`, printed).toMatch(c.message);
      } else {
        expect(r.stderr, printed).toMatch(c.message);
        expect(notOneSentence(r.stderr), printed).toBeNull();
        expect(r.stdout, printed).toBe("");
      }
      expect(treeDiff(before, after), printed).toEqual([]);
      const units = await sd.systemctl(["list-unit-files", "headroom-*", "--no-legend"]);
      expect(units.stdout.trim(), printed).toBe("");
    } finally {
      if (typeof undo === "function") undo();
      // Each case starts from the same HOME: take out what its set-up put there, and
      // whatever a case that failed installed, so that one failure does not cascade.
      await resetHome(sd);
    }
  }

  for (const c of CASES) {
    const why = c.skip?.() ?? null;
    test.skipIf(why !== null)(`${c.name} (exit ${c.code})`, () => check(c, false), 90_000);
    if (c.json) test.skipIf(why !== null)(`${c.name}, --json: one object with the error on stdout`, () => check(c, true), 90_000);
  }
});

describe("notOneSentence", () => {
  test("accepts a message with a hint line, refuses stacks, raw errors and run-on messages", () => {
    expect(notOneSentence("headroom: --port needs a value (--port VALUE or --port=VALUE).\n")).toBeNull();
    expect(notOneSentence("headroom: /a/.b is a folder, not a file.\nMove that folder away, and run the command again.\n")).toBeNull();
    expect(notOneSentence("headroom: Unknown command x. Run with --help for usage.\n")).toBeNull();
    expect(notOneSentence("headroom: unexpected error: ENOTDIR: not a directory, open '/x'\n")).not.toBeNull();
    expect(notOneSentence("headroom: Cannot parse /x: Expected '}'. Fix the file and try again.\n")).not.toBeNull();
    expect(notOneSentence("headroom: boom.\n    at main (x.ts:1:1)\n")).not.toBeNull();
    expect(notOneSentence("")).not.toBeNull();
  });
});

describe.skipIf(systemdSkipReason() !== null)("remove leaves nothing headroom created", () => {
  let sd: UserManager;
  const skip = (rel: string) => rel === "run" || rel === "systemd.log";

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-remove-", timeoutMs: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await sd?.stop();
  }, 60_000);

  // Each test starts from the bare HOME, whatever the one before left.
  afterEach(() => resetHome(sd), 60_000);

  test("user scope: the folders apply created and the blank line before the .bashrc block go, the user's later line stays", async () => {
    const bashrc = join(sd.home, ".bashrc");
    const original = 'alias ll="ls -l"\n';
    writeFileSync(bashrc, original);
    const before = hashTree(sd.home, skip);
    const port = await freePort();
    const env = { ...sd.env, HEADROOM_PORT: undefined };
    const a = await hr(["install", "apply", "--profile", "mine", "--port", String(port)], env);
    expect(a.code, a.stderr).toBe(0);
    expect(readFileSync(bashrc, "utf8")).toContain(`${original}\n# >>> headroom persistent env >>>`);
    // The user writes on after headroom's block, so remove cannot just put the old bytes back.
    appendFileSync(bashrc, "export MINE=1\n");
    const r = await hr(["install", "remove", "--profile", "mine"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(bashrc, "utf8")).toBe(`${original}export MINE=1\n`);
    const after = hashTree(sd.home, skip);
    expect(treeDiff(before, after)).toEqual(["changed .bashrc"]);
  }, 120_000);

  test("two profiles sharing the folders apply created: they go with the last one removed, whichever it is", async () => {
    const before = hashTree(sd.home, skip);
    const env = { ...sd.env, HEADROOM_PORT: undefined };
    const p1 = await freePort();
    const first = await hr(["install", "apply", "--profile", "one", "--port", String(p1), "--scope", "provider", "--providers", "manual", "--target", "claude"], env);
    expect(first.code, first.stderr).toBe(0);
    const p2 = await freePort();
    const second = await hr(["install", "apply", "--profile", "two", "--port", String(p2), "--scope", "provider", "--providers", "manual", "--target", "codex"], env);
    expect(second.code, second.stderr).toBe(0);
    // The first one goes first: the folders still hold the second one's files.
    expect((await hr(["install", "remove", "--profile", "one"], env)).code).toBe(0);
    expect(hashTree(sd.home, skip).has(".headroom/deploy/two/")).toBe(true);
    expect((await hr(["install", "remove", "--profile", "two"], env)).code).toBe(0);
    expect(treeDiff(before, hashTree(sd.home, skip))).toEqual([]);
  }, 180_000);

  test("a folder the user put something in since stays, with what they put there", async () => {
    const env = { ...sd.env, HEADROOM_PORT: undefined };
    const port = await freePort();
    const a = await hr(["install", "apply", "--profile", "kept", "--port", String(port), "--scope", "provider", "--providers", "manual", "--target", "claude"], env);
    expect(a.code, a.stderr).toBe(0);
    writeFileSync(join(sd.home, ".headroom", "notes.txt"), "mine\n");
    expect((await hr(["install", "remove", "--profile", "kept"], env)).code).toBe(0);
    const left = [...hashTree(sd.home, skip).keys()];
    expect(left).toContain(".headroom/notes.txt");
    expect(left).not.toContain(".headroom/deploy/");
    expect(left).not.toContain(".claude/");
  }, 120_000);
});
