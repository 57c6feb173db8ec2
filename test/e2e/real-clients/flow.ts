// Step builders shared by the real-client tests: the three ways a user routes a tool
// through headroom, each as a list of netns steps (see test/support/real-clients.ts) with
// snapshots of the user's files before, after the wiring, after the client ran, and after
// the undo, so a test can assert that every byte came back.
//
// - provider scope: `headroom install apply --scope provider --providers manual --target
//   <tool>` under a real supervisor: the default persistent-service preset on a systemd
//   user manager that runs inside the namespace (so the supervised proxy sees only
//   loopback, and its upstream URLs point at the recording stand-in); then the client,
//   reading its own, now wired config; then `install remove`.
// - user scope: the same with `--scope user`; the client runs in `bash -lc`, which reads
//   ~/.profile, where the shell block is.
// - wrap: `headroom wrap <tool> -- <args>` starts an ephemeral proxy (upstreams from
//   ANTHROPIC_TARGET_API_URL / OPENAI_TARGET_API_URL), makes the session edit, runs the
//   client, and restores on exit.
import type { Step } from "../../support/real-clients.ts";
import { binPath, PROXY_PORT, UPSTREAM_URL } from "../../support/real-clients.ts";

export const PROFILE = "rc";

export type Scope = "provider" | "user" | "system";

/**
 * The system scope's block goes to /etc/profile.d and, with no system systemd here, its
 * supervisor is the persistent-task preset's /etc/cron.d file: a run of it needs both as
 * private copies (NetnsSpec.privateDirs). apply starts the runtime itself; the host's cron
 * never sees the private /etc/cron.d.
 */
export const SYSTEM_DIRS = ["/etc/profile.d", "/etc/cron.d"];

export function applyArgv(scope: Scope, targets: string[], extra: string[] = []): string[] {
  return [
    binPath, "install", "apply", "--profile", PROFILE, "--scope", scope, "--providers", "manual",
    ...targets.flatMap((t) => ["--target", t]),
    "--port", String(PROXY_PORT), "--anthropic-api-url", UPSTREAM_URL, "--openai-api-url", UPSTREAM_URL, ...extra,
  ];
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The client command run by a login bash, after the user's profile (and headroom's block)
 * is read. Debian's /etc/profile resets PATH, so the clients' folders (HEADROOM_RC_PATH,
 * set by the harness) are put back first, as a user's own profile would.
 */
export function loginShell(argv: string[]): string[] {
  return ["bash", "-lc", `PATH="$HEADROOM_RC_PATH:$PATH"; ${argv.map(sh).join(" ")}`];
}

/**
 * snapshot before → apply → snapshot wired → client steps → snapshot ran → remove →
 * snapshot after. `watch` lists the files and folders to snapshot.
 */
export function installFlow(opts: { scope: Scope; targets: string[]; watch: string[]; client: Step[]; applyExtra?: string[]; afterApply?: Step[] }): Step[] {
  return [
    { name: "before", snapshot: opts.watch },
    {
      name: "apply",
      argv: applyArgv(opts.scope, opts.targets, [...(opts.scope === "system" ? ["--preset", "persistent-task"] : []), ...(opts.applyExtra ?? [])]),
      env: opts.scope === "system" ? { HEADROOM_TASK_BACKEND: "cron" } : {},
      timeoutMs: 90_000,
      stopOnFailure: true,
    },
    { name: "wired", snapshot: opts.watch },
    ...(opts.afterApply ?? []),
    ...opts.client,
    { name: "ran", snapshot: opts.watch },
    { name: "remove", argv: [binPath, "install", "remove", "--profile", PROFILE], env: opts.scope === "system" ? { HEADROOM_TASK_BACKEND: "cron" } : {}, timeoutMs: 60_000 },
    { name: "after", snapshot: opts.watch },
  ];
}

/** The variables wrap's ephemeral proxy reads for its upstreams. */
export const WRAP_UPSTREAM_ENV = { ANTHROPIC_TARGET_API_URL: UPSTREAM_URL, OPENAI_TARGET_API_URL: UPSTREAM_URL };

/** snapshot before → `headroom wrap <tool> -- args` → snapshot after (plus unwrap when asked). */
export function wrapFlow(opts: { tool: string; args: string[]; watch: string[]; env?: Record<string, string | null>; timeoutMs?: number; during?: Step[] }): Step[] {
  return [
    { name: "before", snapshot: opts.watch },
    { name: "client", argv: [binPath, "wrap", opts.tool, "--", ...opts.args], env: { ...WRAP_UPSTREAM_ENV, ...opts.env }, timeoutMs: opts.timeoutMs ?? 60_000 },
    { name: "after", snapshot: opts.watch },
  ];
}

/**
 * A wrap that dies mid-session: `headroom wrap <tool>` runs in the background until the
 * session edit is in `config` (it names the proxy's port), is SIGKILLed, and then
 * `headroom unwrap <tool>` must put everything back. snapshot before → crash → unwrap →
 * snapshot after. The orphaned client is ended by the harness.
 */
export function crashedWrapFlow(opts: { tool: string; args: string[]; config: string; watch: string[] }): Step[] {
  const wrap = [binPath, "wrap", opts.tool, "--", ...opts.args].map(sh).join(" ");
  const script = [
    `${wrap} >/dev/null 2>&1 & w=$!`,
    `for i in $(seq 1 300); do grep -q ':${PROXY_PORT}' ${sh(opts.config)} 2>/dev/null && break; sleep 0.1; done`,
    `grep -q ':${PROXY_PORT}' ${sh(opts.config)} || { echo "the session edit never appeared"; exit 3; }`,
    `kill -9 $w; wait $w 2>/dev/null; echo killed`,
  ].join("\n");
  return [
    { name: "before", snapshot: opts.watch },
    { name: "crash", argv: ["bash", "-c", script], env: WRAP_UPSTREAM_ENV, timeoutMs: 60_000 },
    { name: "unwrap", argv: [binPath, "unwrap", opts.tool], timeoutMs: 30_000 },
    { name: "after", snapshot: opts.watch },
  ];
}
