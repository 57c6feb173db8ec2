// Fake coding tools for wrap tests and benchmarks: small bash scripts named like the
// real tools (claude, codex, ...) put on a temporary PATH. Each one, first thing, writes
// a timestamp; then records its arguments, environment, process group and what the
// proxy's /health says (read through bash's /dev/tcp, so no curl is needed); then
// behaves as the test asks through variables:
//   FAKE_TOOL_OUT     folder for the records (required)
//   FAKE_TOOL_COPY    a file to copy into the record while the tool runs (a config)
//   FAKE_TOOL_WAIT    a file to wait for before exiting (the test creates it)
//   FAKE_TOOL_SIGNAL  a signal to kill itself with (e.g. TERM, KILL)
//   FAKE_TOOL_EXIT    the exit code (default 0)
//   FAKE_TOOL_CONFIG_CLI  a command that answers `<tool> config ...` instead (openclaw's CLI)
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const FAKE_TOOL_NAMES = ["claude", "codex", "aider", "copilot", "cursor", "opencode", "openclaw"] as const;

const SCRIPT = String.raw`#!/bin/bash
t0=$EPOCHREALTIME
# openclaw's own "config set|unset" (what wrap's routing edit calls) goes to a stand-in CLI.
if [ -n "$FAKE_TOOL_CONFIG_CLI" ] && [ "$1" = config ]; then exec $FAKE_TOOL_CONFIG_CLI "$@"; fi
out="$FAKE_TOOL_OUT/\${0##*/}.$$"
printf '%s\n' "$t0" > "$out.t0"
[ -n "$FAKE_TOOL_ONLY_T0" ] && exit "\${FAKE_TOOL_EXIT:-0}"
printf '%s\0' "$@" > "$out.args"
env -0 > "$out.env"
read -r -a stat < /proc/$$/stat 2>/dev/null && printf '%s\n' "\${stat[4]}" > "$out.pgid"
if [ -n "$HEADROOM_PORT" ] && exec 3<>"/dev/tcp/127.0.0.1/$HEADROOM_PORT" 2>/dev/null; then
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  body=""
  while IFS= read -r -t 5 line <&3 || [ -n "$line" ]; do body+="$line"$'\n'; done
  exec 3<&-
  printf '%s' "$body" > "$out.health"
fi
[ -n "$FAKE_TOOL_COPY" ] && cp "$FAKE_TOOL_COPY" "$out.copy" 2>/dev/null
touch "$out.started"
if [ -n "$FAKE_TOOL_WAIT" ]; then
  while [ ! -e "$FAKE_TOOL_WAIT" ]; do sleep 0.05; done
fi
[ -n "$FAKE_TOOL_SIGNAL" ] && kill -s "$FAKE_TOOL_SIGNAL" $$
exit "\${FAKE_TOOL_EXIT:-0}"
`.replaceAll("\\${", "${");

/** Writes the fake tools into `binDir`; returns the folder (put it first on PATH). */
export function writeFakeTools(binDir: string, names: readonly string[] = FAKE_TOOL_NAMES): string {
  mkdirSync(binDir, { recursive: true });
  for (const name of names) {
    const path = join(binDir, name);
    writeFileSync(path, SCRIPT);
    chmodSync(path, 0o755);
  }
  return binDir;
}

export interface FakeToolRun {
  tool: string;
  pid: number;
  t0: number;
  args: string[];
  env: Record<string, string>;
  pgid?: number;
  /** The /health body the tool read through the proxy, parsed; null when it reached none. */
  health: Record<string, unknown> | null;
  /** The copied file (FAKE_TOOL_COPY), when asked for. */
  copy: string | null;
  started: boolean;
}

function readOpt(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** Every run recorded in `outDir`, oldest first. */
export function readRuns(outDir: string): FakeToolRun[] {
  if (!existsSync(outDir)) return [];
  const runs: FakeToolRun[] = [];
  for (const name of readdirSync(outDir)) {
    const m = /^([a-z]+)\.(\d+)\.t0$/.exec(name);
    if (!m) continue;
    const base = join(outDir, `${m[1]}.${m[2]}`);
    const args = (readOpt(`${base}.args`) ?? "").split("\0");
    args.pop();
    const env: Record<string, string> = {};
    for (const entry of (readOpt(`${base}.env`) ?? "").split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    const raw = readOpt(`${base}.health`);
    let health: Record<string, unknown> | null = null;
    if (raw) {
      const body = raw.slice(raw.indexOf("\r\n\r\n") + 4 || raw.indexOf("\n\n") + 2);
      try {
        health = JSON.parse(body);
      } catch {
        health = null;
      }
    }
    const pgid = readOpt(`${base}.pgid`);
    runs.push({
      tool: m[1]!,
      pid: Number(m[2]),
      t0: Number(readFileSync(`${base}.t0`, "utf8").trim()) * 1000,
      args,
      env,
      pgid: pgid ? Number(pgid) : undefined,
      health,
      copy: readOpt(`${base}.copy`),
      started: existsSync(`${base}.started`),
    });
  }
  return runs.sort((a, b) => a.t0 - b.t0);
}

// ---------------------------------------------------------------------------------------
// A sandbox for wrap tests: temp HOME and HEADROOM_WORKSPACE_DIR, the fake tools first on
// PATH, a records folder, and cleanup of every proxy a wrap left behind.

export interface WrapSandbox {
  root: string;
  home: string;
  workspace: string;
  binDir: string;
  out: string;
  /** Environment for the headroom binary: temp HOME/workspace, fake tools on PATH. */
  env: Record<string, string>;
  /** Kills session proxies recorded under clients/ and removes the temp folders. */
  cleanup(): Promise<void>;
}

export function makeWrapSandbox(prefix = "headroom-wrap-", base: Record<string, string | undefined> = process.env): WrapSandbox {
  const root = mkdtempSync(join("/tmp", prefix));
  const home = join(root, "home");
  const workspace = join(home, ".headroom");
  const out = join(root, "out");
  mkdirSync(home, { recursive: true });
  mkdirSync(out, { recursive: true });
  const binDir = writeFakeTools(join(root, "bin"));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || k.startsWith("HEADROOM_") || k.startsWith("FAKE_TOOL_")) continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    HEADROOM_WORKSPACE_DIR: workspace,
    PATH: `${binDir}:${base.PATH ?? "/usr/bin:/bin"}`,
    FAKE_TOOL_OUT: out,
  });
  return {
    root, home, workspace, binDir, out, env,
    async cleanup() {
      await killRecordedProxies(workspace);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** SIGKILLs every session proxy recorded in clients/<port>/proxy.json. */
export async function killRecordedProxies(workspace: string): Promise<void> {
  const clients = join(workspace, "clients");
  if (!existsSync(clients)) return;
  for (const port of readdirSync(clients)) {
    const rec = readOpt(join(clients, port, "proxy.json"));
    if (!rec) continue;
    try {
      process.kill(JSON.parse(rec).pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** A port that was free a moment ago (bind 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  proc: ChildProcess;
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Starts `argv` in its own session and process group (like a terminal's foreground job),
 * so a test can send the group a Ctrl+C with process.kill(-pid, "SIGINT").
 */
export function spawnInOwnGroup(argv: string[], env: Record<string, string>): Spawned {
  const proc = spawn(argv[0]!, argv.slice(1), { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (d) => (stdout += d));
  proc.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    proc.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { proc, pid: proc.pid!, done };
}

/** Polls `check` every 25 ms until it is truthy or `timeoutMs` passes (a generous bound, not a timing assertion). */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 30_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is not alive for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return process.platform !== "linux";
  }
}

/**
 * Writes a valid manifest for `profile` on `port` (a persistent-service deployment on
 * paper, no supervisor installed), for tests and benchmarks of how wrap reads manifests.
 */
export function writeManifest(workspace: string, profile: string, port: number, binPath: string): string {
  const ts = new Date().toISOString();
  const manifest = {
    schemaVersion: 1, profile, preset: "persistent-service", runtime: "native", supervisor: "service", scope: "user",
    os: "linux", host: "127.0.0.1", port, providers: "manual", targets: ["claude"], proxy: { mode: "token", optimize: true },
    env: {}, passEnv: [], interval: 5, binPath, workspaceDir: workspace, supervisorState: {}, changes: [],
    createdAt: ts, updatedAt: ts,
  };
  const dir = join(workspace, "deploy", profile);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "manifest.json");
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return path;
}
