// Claude Code (pinned in scripts/ci/clients.txt), run one shot (`claude -p`) inside a
// loopback-only network namespace against headroom and the recording upstream, in each
// way a user routes it: provider scope (settings.json `env` under a systemd-supervised
// proxy), user scope (the shell block, read by a login bash), and `headroom wrap claude`.
// Proves: the prompt reaches the upstream through headroom as POST /v1/messages with the
// user's own credential untouched (an API key, and a subscription OAuth token through wrap)
// and the model from the user's settings; Claude prints the upstream's reply and no
// settings error; the user's hook and own `env` entry still run; and remove / the end of
// wrap put every byte of ~/.claude back and leave no file behind.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  configComplaints, credentialOf, DUMMY_ANTHROPIC_KEY, locateClient, makeHome, printed, PROXY_URL, requestsDuring, restoreProblems, runInNetns,
  snapText, step, type NetnsResult,
} from "../../support/real-clients.ts";
import { installFlow, loginShell, SYSTEM_DIRS, wrapFlow } from "./flow.ts";

const claude = locateClient("claude");
const TEXT = "Claude through headroom: reply from the recording upstream.";
const PROMPT = "Summarise the headroom wiring test in one line.";
const OAUTH = "sk-ant-oat01-headroom-test-subscription-token";

/** A user's settings.json: their model, a hook that proves it ran, their own env entry, permissions. */
function userSettings(home: string): string {
  return `{
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "model": "claude-sonnet-4-5",
    "permissions": {
        "allow": ["Bash(git diff:*)"],
        "deny": ["Read(./.env)"]
    },
    "env": {
        "HEADROOM_RC_USER_VAR": "kept"
    },
    "hooks": {
        "UserPromptSubmit": [
            { "hooks": [ { "type": "command", "command": "echo \\"hook ran with $HEADROOM_RC_USER_VAR\\" >> ${home}/hook.log" } ] }
        ]
    },
    "includeCoAuthoredBy": false
}
`;
}

function setup(prefix: string) {
  const home = makeHome(prefix);
  mkdirSync(join(home, ".claude"), { recursive: true });
  const settings = join(home, ".claude", "settings.json");
  writeFileSync(settings, userSettings(home));
  // A user with a ~/.bashrc: the user scope edits it as well as ~/.profile.
  writeFileSync(join(home, ".bashrc"), "# my bashrc\nalias ll='ls -l'\n");
  return { home, settings, watch: [join(home, ".claude"), join(home, ".claude.json"), join(home, ".profile"), join(home, ".bashrc"), join(home, ".config")] };
}

function checkTurn(r: NetnsResult, stepName: string, home: string, credential: string) {
  const s = step(r, stepName);
  expect(s.code, printed(s)).toBe(0);
  expect(s.stdout).toContain(TEXT);
  expect(configComplaints(printed(s))).toEqual([]);
  const reqs = requestsDuring(r, stepName).filter((q) => q.path === "/v1/messages");
  expect(reqs.length, JSON.stringify(r.upstream.requests.map((q) => [q.step, q.method, q.path]))).toBeGreaterThan(0);
  // Headroom serves every route Claude called: nothing reached the upstream outside /v1/.
  expect(requestsDuring(r, stepName).filter((q) => !q.path.startsWith("/v1/"))).toEqual([]);
  const turn = reqs.find((q) => JSON.stringify(q.json).includes(PROMPT));
  expect(turn, "the prompt reached the upstream").toBeDefined();
  expect(credentialOf(turn!.headers)).toBe(credential);
  expect((turn!.json as { model: string }).model).toBe("claude-sonnet-4-5");
  // The user's hook ran, with the user's own env entry from settings.json.
  expect(readFileSync(join(home, "hook.log"), "utf8")).toContain("hook ran with kept");
}

function snaps(r: NetnsResult) {
  return { before: step(r, "before").snapshot!, wired: step(r, "wired").snapshot!, ran: step(r, "ran").snapshot!, after: step(r, "after").snapshot! };
}

describe.skipIf(!claude)(`Claude Code ${claude?.version} through headroom`, () => {
  test("provider scope: settings.json env routes claude -p; remove restores ~/.claude byte for byte", async () => {
    const { home, settings, watch } = setup("claude-provider");
    try {
      const r = await runInNetns({
        home, systemd: true, clients: ["claude"], reply: { text: TEXT }, env: { ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY },
        steps: installFlow({ scope: "provider", targets: ["claude"], watch, client: [{ name: "client", argv: ["claude", "-p", PROMPT], timeoutMs: 60_000 }] }),
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      const wired = JSON.parse(snapText(step(r, "wired").snapshot!, settings)!);
      expect(wired.env).toEqual({ HEADROOM_RC_USER_VAR: "kept", ANTHROPIC_BASE_URL: PROXY_URL, ENABLE_TOOL_SEARCH: "true" });
      expect(wired.hooks).toEqual(JSON.parse(userSettings(home)).hooks);
      checkTurn(r, "client", home, DUMMY_ANTHROPIC_KEY);
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(snapText(step(r, "after").snapshot!, settings)).toBe(userSettings(home));
      expect(restoreProblems(snaps(r))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 150_000);

  test("user scope: the shell block in ~/.profile and ~/.bashrc routes claude -p in a login shell; remove restores them", async () => {
    const { home, watch } = setup("claude-user");
    try {
      const r = await runInNetns({
        home, systemd: true, clients: ["claude"], reply: { text: TEXT }, env: { ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY },
        steps: installFlow({ scope: "user", targets: ["claude"], watch, client: [{ name: "client", argv: loginShell(["claude", "-p", PROMPT]), timeoutMs: 60_000 }] }),
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      expect(snapText(step(r, "wired").snapshot!, join(home, ".profile"))).toContain(`export ANTHROPIC_BASE_URL='${PROXY_URL}'`);
      expect(snapText(step(r, "wired").snapshot!, join(home, ".bashrc"))).toContain(`export ANTHROPIC_BASE_URL='${PROXY_URL}'`);
      checkTurn(r, "client", home, DUMMY_ANTHROPIC_KEY);
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(restoreProblems(snaps(r))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 150_000);

  test("system scope: /etc/profile.d/headroom.sh (a private copy of /etc) routes claude -p in a login shell; remove takes it out", async () => {
    const { home, watch } = setup("claude-system");
    try {
      const r = await runInNetns({
        home, privateDirs: SYSTEM_DIRS, clients: ["claude"], reply: { text: TEXT }, env: { ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY },
        steps: installFlow({ scope: "system", targets: ["claude"], watch: [...watch, ...SYSTEM_DIRS], client: [{ name: "client", argv: loginShell(["claude", "-p", PROMPT]), timeoutMs: 60_000 }] }),
      });
      expect(step(r, "apply").code, printed(step(r, "apply"))).toBe(0);
      expect(snapText(step(r, "wired").snapshot!, "/etc/profile.d/headroom.sh")).toContain(`export ANTHROPIC_BASE_URL='${PROXY_URL}'`);
      checkTurn(r, "client", home, DUMMY_ANTHROPIC_KEY);
      expect(step(r, "remove").code, printed(step(r, "remove"))).toBe(0);
      expect(restoreProblems(snaps(r))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 150_000);

  test("wrap: `headroom wrap claude -- -p` with a subscription OAuth token; nothing of ~/.claude changes but Claude's own session files", async () => {
    const { home, watch } = setup("claude-wrap");
    try {
      const r = await runInNetns({
        home, clients: ["claude"], reply: { text: TEXT }, env: { CLAUDE_CODE_OAUTH_TOKEN: OAUTH },
        steps: wrapFlow({ tool: "claude", args: ["-p", PROMPT], watch }),
      });
      checkTurn(r, "client", home, OAUTH);
      const before = step(r, "before").snapshot!;
      const after = step(r, "after").snapshot!;
      // wrap edits no file for claude: settings.json and the shell files are as they were.
      for (const p of Object.keys(before)) expect(after[p], p).toBe(before[p]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
