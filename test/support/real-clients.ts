// The real coding clients (Claude Code, Codex, OpenCode, OpenClaw, Copilot CLI), run one
// shot against headroom and a recording stand-in for the APIs, inside a network namespace
// that has only loopback — nothing can reach the internet, and ports never clash with
// the host or with another test.
//
// Where the clients come from: scripts/ci/install-clients.sh installs the versions pinned
// in scripts/ci/clients.txt with npm into $HEADROOM_CLIENTS_DIR (default
// /opt/headroom-clients), one folder per client (<dir>/<folder>/node_modules/.bin/<bin>);
// .ci/run calls it before the tests. OpenClaw runs with the node24 folder's Node first on
// PATH. A client that is absent (or at another version) skips its tests with a printed
// reason; under CI=true that is a failure instead.
//
// How a run works: runInNetns(spec) writes the spec to a temp file and starts
//   unshare -n bash -c 'ip link set lo up && exec bun test/support/real-clients-runner.ts spec.json'
// The runner, inside the namespace, starts the recording upstream (upstream-stub.ts) on
// 127.0.0.1:UPSTREAM_PORT, then (optional) extra stand-ins (`servers`: a module and the
// name of its start function, e.g. test/support/responses-ws-upstream.ts), a systemd user
// manager with the steps' HOME (`systemd: true`, for `install apply`), and a
// `headroom proxy` on PROXY_PORT pointed at the upstream (`proxy: {}`). Then it runs
// `steps` in order — commands (argv, env overrides, timeout) or `snapshot` steps that
// record the bytes of some files at that moment — and writes one JSON result: every
// request the upstream received (path, query, headers, body; tagged with the step that was
// running), each step's stdout/stderr/exit code/ms, the proxy's and systemd's logs.
// Whatever is still running with the spec's HOME is killed at the end.
//
// Every step gets a clean environment (nothing from the host's): PATH (the clients'
// folders, bun, the system), HOME, TMPDIR, LANG, TERM=dumb, NO_COLOR, the telemetry and
// update-check switches of every client (CLIENT_QUIET_ENV), plus spec.env and step.env.
// Dummy keys are the caller's choice (DUMMY_ANTHROPIC_KEY, DUMMY_OPENAI_KEY).
//
//   const claude = locateClient("claude");            // null (and a printed reason) when absent
//   const home = makeHome("claude");
//   const r = await runInNetns({ home, proxy: {}, clients: ["claude"], steps: [
//     { name: "client", argv: [claude!.bin, "-p", "say hi"], env: { ANTHROPIC_BASE_URL: PROXY_URL, ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY } },
//   ]});
//   expect(step(r, "client").stdout).toContain("Hello from the stub.");
//   expect(r.upstream.requests.filter((q) => q.path === "/v1/messages")[0].headers["x-api-key"]).toBe(DUMMY_ANTHROPIC_KEY);
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { binPath, repoRoot } from "./bin.ts";
import type { Reply } from "./upstream-stub.ts";

export { binPath, repoRoot };

export const CLIENTS_DIR = process.env.HEADROOM_CLIENTS_DIR || "/opt/headroom-clients";
/** Ports inside the namespace (it is empty, so fixed ports are free). */
export const UPSTREAM_PORT = 18080;
export const PROXY_PORT = 8787;
export const UPSTREAM_URL = `http://127.0.0.1:${UPSTREAM_PORT}`;
export const PROXY_URL = `http://127.0.0.1:${PROXY_PORT}`;
export const DUMMY_ANTHROPIC_KEY = "sk-ant-api03-headroom-test-dummy-key-0000";
export const DUMMY_OPENAI_KEY = "sk-proj-headroom-test-dummy-key-0000";

export type ClientName = "claude" | "codex" | "opencode" | "copilot" | "openclaw";

export interface Pin {
  folder: string;
  pkg: string;
  version: string;
  bin: string;
}

/** scripts/ci/clients.txt: the pinned clients, one per folder. */
export function readPins(): Record<string, Pin> {
  const text = readFileSync(join(repoRoot, "scripts/ci/clients.txt"), "utf8");
  const out: Record<string, Pin> = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const [folder, pkg, version, bin] = t.split(/\s+/);
    if (folder && pkg && version && bin) out[folder] = { folder, pkg, version, bin };
  }
  return out;
}

export interface LocatedClient {
  name: ClientName;
  /** Absolute path of the executable. */
  bin: string;
  version: string;
  pkg: string;
  /** Folders to put first on PATH (the client's .bin, and Node 24 for openclaw). */
  pathDirs: string[];
}

function installedVersion(folder: string, pkg: string): string | null {
  try {
    return JSON.parse(readFileSync(join(CLIENTS_DIR, folder, "node_modules", pkg, "package.json"), "utf8")).version ?? null;
  } catch {
    return null;
  }
}

/** The client, or the reason it cannot be used here. */
export function findClient(name: ClientName): LocatedClient | { reason: string } {
  const pins = readPins();
  const pin = pins[name];
  if (!pin) return { reason: `${name} is not pinned in scripts/ci/clients.txt` };
  const bin = join(CLIENTS_DIR, pin.folder, "node_modules", ".bin", pin.bin);
  if (!existsSync(bin)) return { reason: `${pin.pkg} is not installed (${bin} missing; run scripts/ci/install-clients.sh)` };
  const version = installedVersion(pin.folder, pin.pkg);
  if (version !== pin.version) return { reason: `${pin.pkg} ${version ?? "?"} is installed, the tests pin ${pin.version} (run scripts/ci/install-clients.sh)` };
  const pathDirs = [dirname(bin)];
  if (name === "openclaw") {
    const node = pins.node24;
    const nodeBin = node && join(CLIENTS_DIR, node.folder, "node_modules", ".bin", node.bin);
    if (!node || !nodeBin || !existsSync(nodeBin)) return { reason: `openclaw needs Node 24 from ${CLIENTS_DIR}/node24 (run scripts/ci/install-clients.sh)` };
    const nodeVersion = installedVersion(node.folder, node.pkg);
    if (nodeVersion !== node.version) return { reason: `${node.pkg} ${nodeVersion ?? "?"} is installed, the tests pin ${node.version}` };
    pathDirs.unshift(dirname(nodeBin));
  }
  return { name, bin, version, pkg: pin.pkg, pathDirs };
}

/** Why network namespaces cannot be used here, or null. */
export function netnsSkipReason(): string | null {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (!Bun.which("unshare")) return "unshare is not on PATH";
  if (!Bun.which("ip")) return "ip (iproute2) is not on PATH";
  const r = spawnSync("unshare", ["-n", "sh", "-c", "ip link set lo up"], { stdio: "pipe", timeout: 10_000 });
  if (r.status !== 0) return `unshare -n failed: ${String(r.stderr).trim() || `exit ${r.status}`}`;
  return null;
}

let netnsChecked: string | null | undefined;

/**
 * For a test file: the client, or null after printing why its tests are skipped. Under
 * CI=true a missing client (or no network namespaces) throws: CI must run them.
 */
export function locateClient(name: ClientName): LocatedClient | null {
  if (netnsChecked === undefined) netnsChecked = netnsSkipReason();
  const found = netnsChecked ? { reason: netnsChecked } : findClient(name);
  if ("reason" in found) {
    if (process.env.CI === "true") throw new Error(`CI must run the ${name} real-client tests: ${found.reason}`);
    console.warn(`skipping ${name} real-client tests: ${found.reason}`);
    return null;
  }
  return found;
}

/** Like locateClient for something that is not a client (an SDK, the netns itself). */
export function requireOrSkip(what: string, reason: string | null): boolean {
  if (!reason) return true;
  if (process.env.CI === "true") throw new Error(`CI must run the ${what} tests: ${reason}`);
  console.warn(`skipping ${what} tests: ${reason}`);
  return false;
}

/**
 * Telemetry, update checks, and other background traffic off, for every client (each
 * variable is documented by its client or read in its source):
 * - Claude Code: DISABLE_TELEMETRY, DISABLE_AUTOUPDATER, DISABLE_ERROR_REPORTING,
 *   DISABLE_BUG_COMMAND, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC (all of the above and more).
 * - OpenCode: OPENCODE_DISABLE_AUTOUPDATE, OPENCODE_DISABLE_MODELS_FETCH (use the bundled
 *   models.dev snapshot), OPENCODE_DISABLE_SHARE, OPENCODE_DISABLE_LSP_DOWNLOAD,
 *   OPENCODE_DISABLE_DEFAULT_PLUGINS.
 * - OpenClaw: OPENCLAW_DISABLE_UPDATE_CHECK... see openclawQuietEnv in the openclaw test.
 * - everything: DO_NOT_TRACK=1.
 */
export const CLIENT_QUIET_ENV: Record<string, string> = {
  DO_NOT_TRACK: "1",
  DISABLE_TELEMETRY: "1",
  DISABLE_AUTOUPDATER: "1",
  DISABLE_ERROR_REPORTING: "1",
  DISABLE_BUG_COMMAND: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  OPENCODE_DISABLE_MODELS_FETCH: "1",
  OPENCODE_DISABLE_SHARE: "1",
  OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
  OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
};

const BUN = resolve(repoRoot, "node_modules/.bin/bun");
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A fresh temp HOME (with a `work` folder for the client's cwd). */
export function makeHome(prefix: string): string {
  const home = mkdtempSync(join("/tmp", `headroom-rc-${prefix}-`));
  mkdirSync(join(home, "work"), { recursive: true });
  return home;
}

export type Step =
  | {
      name: string;
      argv: string[];
      /** Added to the environment; null removes a variable. */
      env?: Record<string, string | null>;
      cwd?: string;
      /** Default 60 s; the process is SIGKILLed after it. */
      timeoutMs?: number;
      stdin?: string;
      /** Skip the remaining steps when this one exits non-zero. */
      stopOnFailure?: boolean;
    }
  | { name: string; snapshot: string[] };

export interface NetnsSpec {
  home: string;
  /** Working folder of the steps (default home/work). */
  cwd?: string;
  /** Clients whose folders go on PATH. */
  clients?: ClientName[];
  /** Default UPSTREAM_PORT. */
  upstreamPort?: number;
  /** The upstream's reply to every request (JSON-serialisable: api, status, sse, chunks). */
  reply?: Reply;
  /** Replies for the first requests, in order. */
  replies?: Reply[];
  /** Model ids the upstream's GET /v1/models lists (default ["stub-model"]). */
  upstreamModels?: string[];
  /** Extra stand-ins: `await import(module)[export ?? "start"]({ port, ...options })`; their non-function fields (or `record()`) land in result.servers[name]. */
  servers?: Array<{ name: string; module: string; export?: string; port: number; options?: Record<string, unknown> }>;
  /** Start a systemd user manager with this HOME (for `install apply`). */
  systemd?: boolean;
  /**
   * Folders (e.g. /etc/profile.d, /etc/cron.d) that the run sees as private copies: the
   * namespace gets its own mount table too (`unshare -n -m`), and each folder is a tmpfs
   * holding a copy of the real one, so `--scope system` can write there and the machine's
   * /etc is never touched.
   */
  privateDirs?: string[];
  /** Start `headroom proxy --port PROXY_PORT` with both upstream URLs at the stub. */
  proxy?: { port?: number; args?: string[]; env?: Record<string, string> };
  env?: Record<string, string>;
  steps: Step[];
  /** Whole run's limit (default 120 s). */
  timeoutMs?: number;
  /** Filled in by runInNetns. */
  resultPath: string;
  headroomBin: string;
}

export interface RecordedJson {
  /** The step that was running when the request arrived. */
  step: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  text: string;
  json?: unknown;
}

export type SnapshotJson = Record<string, string>;

export interface StepResult {
  name: string;
  argv: string[];
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  snapshot?: SnapshotJson;
}

export interface NetnsResult {
  ok: boolean;
  error?: string;
  upstream: { url: string; requests: RecordedJson[] };
  steps: StepResult[];
  servers: Record<string, unknown>;
  proxyLog: string;
  systemdLog: string;
}

/** The environment every step starts from (nothing from the host's). */
export function baseEnv(home: string, clients: ClientName[] = []): Record<string, string> {
  const dirs: string[] = [];
  for (const c of clients) {
    const found = findClient(c);
    if (!("reason" in found)) dirs.push(...found.pathDirs);
  }
  dirs.push(dirname(BUN));
  mkdirSync(join(home, "tmp"), { recursive: true });
  return {
    PATH: [...new Set(dirs), SYSTEM_PATH].join(":"),
    /** The clients' folders and bun, for a login shell whose /etc/profile resets PATH. */
    HEADROOM_RC_PATH: [...new Set(dirs)].join(":"),
    HOME: home,
    USER: "root",
    LOGNAME: "root",
    SHELL: "/bin/bash",
    TMPDIR: join(home, "tmp"),
    LANG: "C.UTF-8",
    TERM: "dumb",
    NO_COLOR: "1",
    ...CLIENT_QUIET_ENV,
  };
}

/** Runs the spec inside `unshare -n` and returns the runner's result. */
export async function runInNetns(input: Omit<NetnsSpec, "resultPath" | "headroomBin"> & { headroomBin?: string }): Promise<NetnsResult> {
  const dir = mkdtempSync(join("/tmp", "headroom-rc-run-"));
  const resultPath = join(dir, "result.json");
  const spec: NetnsSpec = {
    upstreamPort: UPSTREAM_PORT,
    cwd: join(input.home, "work"),
    ...input,
    env: { ...baseEnv(input.home, input.clients), ...input.env },
    headroomBin: input.headroomBin ?? binPath,
    resultPath,
  };
  writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
  const runner = join(import.meta.dir, "real-clients-runner.ts");
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const privates = (input.privateDirs ?? []).map((d) => `t=$(mktemp -d) && cp -a ${q(d)}/. "$t"/ && mount -t tmpfs tmpfs ${q(d)} && cp -a "$t"/. ${q(d)}/ && rm -rf "$t"`);
  const script = [
    "ip link set lo up",
    ...privates,
    `exec ${q(BUN)} ${q(runner)} ${q(join(dir, "spec.json"))}`,
  ].join(" && ");
  const unshare = input.privateDirs?.length ? ["unshare", "-n", "-m", "--propagation", "private"] : ["unshare", "-n"];
  const proc = Bun.spawn([...unshare, "bash", "-c", script], {
    cwd: repoRoot,
    env: { PATH: SYSTEM_PATH, HOME: input.home },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: input.timeoutMs ?? 120_000,
    killSignal: "SIGKILL",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  let result: NetnsResult;
  try {
    result = JSON.parse(readFileSync(resultPath, "utf8")) as NetnsResult;
  } catch {
    throw new Error(`the netns runner wrote no result (exit ${code}): ${err.trim() || out.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!result.ok) throw new Error(`the netns runner failed: ${result.error}\n${err}`);
  return result;
}

/** The named step's result (throws when it did not run). */
export function step(r: NetnsResult, name: string): StepResult {
  const s = r.steps.find((x) => x.name === name);
  if (!s) throw new Error(`step ${name} did not run; ran: ${r.steps.map((x) => x.name).join(", ")}`);
  return s;
}

/** Requests the upstream received while the named step ran. */
export function requestsDuring(r: NetnsResult, name: string): RecordedJson[] {
  return r.upstream.requests.filter((q) => q.step === name);
}

/** Every regular file (base64) and symlink ("symlink:<target>") under the given folders or files. */
export function snapshotPaths(paths: string[]): SnapshotJson {
  const files: SnapshotJson = {};
  const visit = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) files[p] = `symlink:${readlinkSync(p)}`;
    else if (st.isDirectory()) for (const n of readdirSync(p).sort()) visit(join(p, n));
    else if (st.isFile()) files[p] = readFileSync(p).toString("base64");
  };
  for (const p of paths) visit(p);
  return files;
}

/** Files that differ between two snapshots: added, removed, changed (paths). */
export function snapshotDiff(before: SnapshotJson, after: SnapshotJson): { added: string[]; removed: string[]; changed: string[] } {
  const added = Object.keys(after).filter((k) => !(k in before));
  const removed = Object.keys(before).filter((k) => !(k in after));
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k]);
  return { added, removed, changed };
}

/** A file's text from a snapshot. */
export function snapText(s: SnapshotJson, path: string): string | undefined {
  const v = s[path];
  return v === undefined || v.startsWith("symlink:") ? undefined : Buffer.from(v, "base64").toString("utf8");
}

/** Everything a step printed, for assertions and failure messages. */
export function printed(s: StepResult): string {
  return `${s.stdout}\n${s.stderr}`;
}

/** Lines that look like a client complaining about its config (unknown keys, invalid values). */
export function configComplaints(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => /unknown (config|key|option|field|property)|unrecognized key|invalid (config|settings)|config(uration)? (error|invalid)|failed to (load|parse) (config|settings)|settings error|ConfigInvalid/i.test(l));
}

/**
 * What an undo (install remove, the end of a wrap, unwrap) left wrong, given snapshots of
 * the same paths taken before the wiring, right after it, after the client ran, and after
 * the undo: a file that existed before and differs afterwards, or a file that exists
 * afterwards and did not before — unless the client itself created or changed it while it
 * ran (its sessions, caches, logs). Empty when every byte is back.
 */
export function restoreProblems(s: { before: SnapshotJson; wired: SnapshotJson; ran: SnapshotJson; after: SnapshotJson }): string[] {
  const out: string[] = [];
  const byClient = (p: string) => s.ran[p] !== s.wired[p];
  for (const [p, v] of Object.entries(s.before)) {
    if (s.after[p] === v) continue;
    if (byClient(p) && s.after[p] === s.ran[p]) continue;
    out.push(s.after[p] === undefined ? `${p} is gone` : `${p} differs from its original bytes`);
  }
  for (const p of Object.keys(s.after)) {
    if (p in s.before) continue;
    if (!(p in s.wired) && p in s.ran && s.after[p] === s.ran[p]) continue; // the client's own new file
    out.push(`${p} was left behind`);
  }
  return out;
}

/** The credential a request carries: x-api-key, else the Bearer token (Anthropic's SDK sends either). */
export function credentialOf(headers: Record<string, string>): string | undefined {
  if (headers["x-api-key"]) return headers["x-api-key"];
  const auth = headers.authorization;
  return auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7) : auth;
}
