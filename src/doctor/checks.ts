// `headroom doctor`: what a support request would ask, answered from what the product
// already knows how to check. Nothing here re-implements status: each profile's health,
// supervisor view, linger and drift come from install status (src/install/status.ts);
// its exit class from src/doctor/status-code.ts (the code install status exits with);
// the wiring from the manifest's change records and the drift check
// (src/install/drift.ts); what answers on a port from the port probe
// (src/host/port-probe.ts); the version skew from status too
// (src/install/version-skew.ts). Each finding says what is wrong and how to fix it.
//
// Read-only: doctor never changes a file, a unit or a container.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../errors.ts";
import type { Env } from "../host/env.ts";
import { probePort } from "../host/port-probe.ts";
import type { Manifest } from "../install/manifest.ts";
import type { StatusReport } from "../install/status.ts";
import { deployRoot, profileDir } from "../paths.ts";
import { VERSION } from "../version.ts";
import { statusExitCode } from "./status-code.ts";

export type FindingStatus = "ok" | "info" | "warn" | "fail";

export interface Finding {
  /** What was checked: binary, profile, supervisor, port, version, wiring, files, keys, env. */
  check: string;
  status: FindingStatus;
  /** The profile the finding is about, when it is about one. */
  profile?: string;
  message: string;
  /** What to run or do to fix it (warn and fail findings). */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  version: string;
  binary: string;
  findings: Finding[];
  summary: { fail: number; warn: number };
}

export interface DoctorOptions {
  env?: Env;
  /** Only this profile (default: every profile). */
  profile?: string;
  /** The executable doctor runs as (its version is VERSION). */
  execPath?: string;
  /** Whether file modes mean anything here (not on Windows). */
  checkModes?: boolean;
}

/** Provider keys and tokens headroom's tools use, reported by name only. */
const KEY_NAMES = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "COPILOT_PROVIDER_API_KEY", "HEADROOM_PROXY_TOKEN"] as const;

/** Base-URL variables the wiring sets (SPEC 4.3): in this shell they should reach a healthy proxy. */
const BASE_URL_VARS = ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE", "COPILOT_PROVIDER_BASE_URL"] as const;

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return a === b;
  }
}

/** Group and other permission bits a private file or folder must not have, as "0644". */
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Files and folders under `dir` (the folder itself first) whose mode is not private (0600 / 0700). */
function loosePaths(dir: string): { path: string; mode: number; dir: boolean }[] {
  const out: { path: string; mode: number; dir: boolean }[] = [];
  const walk = (p: string) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if ((st.mode & 0o077) !== 0) out.push({ path: p, mode: st.mode, dir: true });
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {}
      for (const n of names.sort()) walk(join(p, n));
    } else if (st.isFile() && (st.mode & 0o077) !== 0) out.push({ path: p, mode: st.mode, dir: false });
  };
  walk(dir);
  return out;
}

/** The loopback port a base URL points at, or null when it is not a local URL. */
function loopbackPort(url: string): number | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) return null;
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  return Number.isInteger(port) ? port : null;
}

function statusFix(m: Manifest, code: number, r: StatusReport): string {
  const p = m.profile === "default" ? "" : ` --profile ${m.profile}`;
  if (code === 4) return `headroom install start${p}`;
  if (r.supervisorView && !("error" in r.supervisorView) && !r.supervisorView.installed) return `headroom install apply${p} (installs the supervisor again)`;
  if (!r.isThisDeployment && r.serving.description.startsWith("not this deployment")) return `stop whatever holds port ${m.port}, or re-apply with another --port: headroom install apply${p} --port <free port>`;
  return `headroom install restart${p}`;
}

/** The fix a status problem line carries, when it names a command in backquotes. */
function fixInProblem(line: string): string | undefined {
  const cmds = [...line.matchAll(/`([^`]+)`/g)].map((x) => x[1]!);
  return cmds.length ? cmds.join("  or  ") : undefined;
}

async function checkProfile(m: Manifest, env: Env, opts: DoctorOptions, out: Finding[]): Promise<void> {
  const push = (f: Omit<Finding, "profile">) => out.push({ ...f, profile: m.profile });
  const pflag = m.profile === "default" ? "" : ` --profile ${m.profile}`;
  const { deploymentStatus } = await import("../install/status.ts");
  let r: StatusReport;
  try {
    r = await deploymentStatus(m, env);
  } catch (err) {
    push({ check: "profile", status: "fail", message: `status could not be read: ${errorMessage(err)}`, fix: `headroom install status${pflag} --verbose` });
    return;
  }
  const code = await statusExitCode(r);
  const sv = r.supervisorView;
  const supWord = "error" in sv ? `${sv.kind}: ${sv.error}` : `${sv.kind} ${sv.installed ? sv.state : "not installed"}${sv.restarts !== undefined ? `, ${sv.restarts} restarts` : ""}`;
  // 1. Health, with the supervisor's own word.
  if (code === 0) {
    push({ check: "profile", status: "ok", message: `healthy on port ${m.port} (${m.preset}, runtime ${m.runtime}, scope ${m.scope}; ${supWord}${r.serving.pid && m.runtime !== "docker" ? `, pid ${r.serving.pid}` : ""})` });
  } else {
    const what = code === 4 ? "stopped" : "not healthy";
    push({ check: "profile", status: "fail", message: `${what} (${m.preset}, ${supWord}; port ${m.port}: ${r.isThisDeployment ? "this deployment, not ready" : r.serving.description})`, fix: statusFix(m, code, r) });
  }
  // 2. Each problem status found (crash loop, no linger, drift...), with the fix it names.
  for (const p of r.problems) {
    if (/^Nothing answers on port|^The proxy on port \d+ is not ready/.test(p)) continue; // said above
    if (r.version?.message && p === r.version.message) continue; // the version check below
    const drift = p.startsWith("Configuration drift");
    const linger = /[Ll]ingering/.test(p);
    const user = env.USER || env.LOGNAME || "$USER";
    push({
      check: drift ? "wiring" : linger ? "supervisor" : "profile",
      status: drift || linger ? "warn" : "fail",
      message: p,
      fix: drift
        ? `headroom install apply${pflag} (writes the wiring again)`
        : (fixInProblem(p) ?? (linger ? `make sure systemd-logind runs (\`loginctl show-user ${user}\`), then \`sudo loginctl enable-linger ${user}\`` : undefined)),
    });
  }
  if (m.scope === "user" && !("error" in sv) && sv.kind.startsWith("systemd") && !r.problems.some((p) => /[Ll]ingering/.test(p))) {
    push({ check: "supervisor", status: "ok", message: "lingering is on: the user service runs without a login session and starts at boot" });
  }
  // 3. The executable the supervisor runs, and the version serving on the port.
  if (m.runtime === "native") {
    let exists = false;
    try {
      exists = statSync(m.binPath).isFile();
    } catch {}
    if (!exists) push({ check: "binary", status: "fail", message: `the supervisor runs ${m.binPath}, which does not exist`, fix: `headroom install apply${pflag} (records this headroom's path)` });
  }
  // The version skew status found (src/install/version-skew.ts). Restarting helps only
  // when the supervisor runs this executable (upgraded in place); a manifest that names
  // another one needs apply to record this one.
  const skew = r.version;
  if (skew?.kind === "same") push({ check: "version", status: "ok", message: `the runtime on port ${m.port} runs this version (${VERSION})` });
  else if (skew) {
    const self = opts.execPath ?? process.execPath;
    const other = m.runtime === "native" && skew.kind !== "newer" && !sameFile(m.binPath, self);
    const fix = other ? `headroom install apply${pflag} (the supervisor runs ${m.binPath}; apply records this headroom)` : (skew.fix ?? "run the newer headroom: check which headroom is first on PATH");
    push({ check: "version", status: "warn", message: skew.message ?? `the runtime on port ${m.port} is headroom ${skew.runtime}, this binary ${skew.binary}`, fix });
  }
  // 4. The wiring: each recorded change still in place and pointing at this port.
  const base = `${m.host}:${m.port}`;
  if (m.changes.length === 0) {
    push({ check: "wiring", status: m.targets.length ? "warn" : "info", message: m.targets.length ? `no tool wiring is recorded for ${m.targets.join(", ")}` : "no tools are wired to this profile", ...(m.targets.length ? { fix: `headroom install apply${pflag}` } : {}) });
  }
  const { wiringDrift } = await import("../install/drift.ts");
  for (const rec of m.changes) {
    const tools = m.targets.join(", ") || "tools";
    if (rec.adapter === "windows-env") {
      push({ check: "wiring", status: "info", message: `${tools}: ${String((rec.data as { scope?: string } | undefined)?.scope ?? "User")} environment variables (checked on Windows only)` });
      continue;
    }
    let drift: string[] = [];
    try {
      drift = await wiringDrift([rec]);
    } catch (err) {
      drift = [errorMessage(err)];
    }
    let text = "";
    try {
      text = readFileSync(rec.path, "utf8");
    } catch {}
    const points = text.includes(base);
    if (drift.length || !points) {
      push({ check: "wiring", status: "warn", message: `${tools} via ${rec.path} (${rec.adapter}): ${drift[0] ?? `no longer points at ${base}`}`, fix: `headroom install apply${pflag} (writes the wiring again)` });
    } else if (code === 0) {
      push({ check: "wiring", status: "ok", message: `${tools} via ${rec.path} (${rec.adapter}) -> http://${base}, healthy` });
    } else {
      push({ check: "wiring", status: "fail", message: `${tools} via ${rec.path} (${rec.adapter}) -> http://${base}, where this profile is not healthy`, fix: statusFix(m, code, r) });
    }
  }
  // 5. State files: the profile folder 0700, everything in it 0600.
  if (opts.checkModes !== false) {
    const dir = profileDir(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir });
    const loose = loosePaths(dir);
    if (loose.length === 0) push({ check: "files", status: "ok", message: `${dir} is private (folders 0700, files 0600)` });
    for (const l of loose) {
      push({ check: "files", status: "fail", message: `${l.path} is ${octal(l.mode)}; other users can read it`, fix: `chmod ${l.dir ? "700" : "600"} ${l.path}` });
    }
  }
  // 6. Keys a docker runtime takes from the docker client's environment (names only).
  if (m.runtime === "docker" && m.passEnv.length) {
    const set = m.passEnv.filter((n) => env[n]);
    push({ check: "keys", status: "info", message: `the container takes ${m.passEnv.join(", ")} from the docker client's environment when it is created; set here now: ${set.join(", ") || "none"}` });
  }
  if (Object.keys(m.env).length) push({ check: "keys", status: "info", message: `--env names kept in the manifest: ${Object.keys(m.env).sort().join(", ")}` });
}

/** Every check, in the order doctor prints them. */
export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const execPath = opts.execPath ?? process.execPath;
  const findings: Finding[] = [];
  findings.push({ check: "binary", status: "info", message: `headroom ${VERSION} at ${execPath}` });
  const onPath = Bun.which("headroom", { PATH: env.PATH ?? "" });
  if (!onPath) findings.push({ check: "binary", status: "info", message: "no headroom on PATH (this one was run by its path)" });

  const store = await import("../install/store.ts");
  const entries = store.listManifestEntries(env).filter((e) => !opts.profile || e.profile === opts.profile);
  if (opts.profile && entries.length === 0) {
    findings.push({ check: "profile", status: "fail", profile: opts.profile, message: `no deployment profile "${opts.profile}" in ${deployRoot(env)}`, fix: `headroom install apply --profile ${opts.profile}` });
  } else if (entries.length === 0) {
    findings.push({ check: "profile", status: "info", message: `no deployment profiles in ${deployRoot(env)}; \`headroom wrap <tool>\` works without one, \`headroom install apply\` makes one` });
  }
  const manifests: Manifest[] = [];
  for (const e of entries) {
    if (!e.manifest) {
      findings.push({ check: "profile", status: "fail", profile: e.profile, message: e.error ?? `${e.path} cannot be read`, fix: `fix or delete ${e.path}, or replace it: headroom install apply --profile ${e.profile} --force` });
      continue;
    }
    manifests.push(e.manifest);
    await checkProfile(e.manifest, env, opts, findings);
  }

  // The default port: what `wrap` and a plain `install apply` would meet there.
  const port = Number(env.HEADROOM_PORT) || 8787;
  if (!manifests.some((m) => m.port === port)) {
    const p = await probePort(port, "127.0.0.1", 800);
    if (!p.open) findings.push({ check: "port", status: "ok", message: `port ${port} (the default) is free` });
    else if (p.headroom && !p.profile) findings.push({ check: "port", status: "info", message: `port ${port}: a headroom proxy that is not part of a deployment (a \`headroom proxy\` or \`wrap\` session)${p.version ? `, version ${p.version}` : ""}` });
    else findings.push({ check: "port", status: "warn", message: `port ${port} (the default) is held by ${p.detail}`, fix: `stop it, or use another port: headroom wrap <tool> --port <free port>, headroom install apply --port <free port>` });
  }

  // This shell: the base URLs it would hand a tool, and which keys it has (names only).
  for (const name of BASE_URL_VARS) {
    const value = env[name];
    if (!value) continue;
    const p = loopbackPort(value);
    if (p === null) continue;
    const m = manifests.find((x) => x.port === p);
    const serving = m ? findings.some((f) => f.profile === m.profile && f.check === "profile" && f.status === "ok") : (await probePort(p, "127.0.0.1", 800)).headroom;
    if (serving) findings.push({ check: "env", status: "ok", message: `${name} in this shell points at port ${p}${m ? ` (profile "${m.profile}")` : ""}, where headroom answers` });
    else {
      findings.push({
        check: "env",
        status: "fail",
        message: `${name} in this shell points at ${value}, where ${m ? `the profile "${m.profile}" is not healthy` : "no headroom proxy answers"}`,
        fix: m ? statusFixForPort(m) : "open a new shell if the shell block changed, or unset it, or start a proxy there (`headroom proxy --port " + p + "`)",
      });
    }
  }
  const have = KEY_NAMES.filter((k) => env[k]);
  const missing = KEY_NAMES.filter((k) => !env[k]);
  findings.push({ check: "keys", status: "info", message: `set in this shell: ${have.join(", ") || "none"}; not set: ${missing.join(", ") || "none"} (tools signed in with their own login need none)` });

  const fail = findings.filter((f) => f.status === "fail").length;
  const warn = findings.filter((f) => f.status === "warn").length;
  return { ok: fail === 0 && warn === 0, version: VERSION, binary: execPath, findings, summary: { fail, warn } };
}

function statusFixForPort(m: Manifest): string {
  return `headroom install status${m.profile === "default" ? "" : ` --profile ${m.profile}`} (then the fix doctor gives for that profile)`;
}
