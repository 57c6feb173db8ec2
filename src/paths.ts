// The filesystem contract (SPEC section 2), and nothing else.
// Precedence for any resource: explicit value, the resource's own variable, derived
// from the root, default.
import { homedir, userInfo } from "node:os";
import { join, posix, resolve, win32 } from "node:path";

import type { Env } from "./host/env.ts";

export const PROFILE_NAME = /^[A-Za-z0-9._-]+$/;
/**
 * The longest profile name: it becomes a folder name, unit and task names
 * (headroom-<profile>-watchdog.timer) and a container name, each with its own limit
 * (255 bytes for a file name on most file systems).
 */
export const PROFILE_NAME_MAX = 64;

export function homeDir(env: Env = process.env): string {
  return env.HOME || env.USERPROFILE || homedir();
}

export function workspaceDir(env: Env = process.env): string {
  return resolve(env.HEADROOM_WORKSPACE_DIR || join(homeDir(env), ".headroom"));
}

export function configDir(env: Env = process.env): string {
  return resolve(env.HEADROOM_CONFIG_DIR || join(workspaceDir(env), "config"));
}

export function deployRoot(env: Env = process.env): string {
  return join(workspaceDir(env), "deploy");
}

export function profileDir(profile: string, env: Env = process.env): string {
  return join(deployRoot(env), profile);
}

export function manifestPath(profile: string, env: Env = process.env): string {
  return join(profileDir(profile, env), "manifest.json");
}

export function runnerLogPath(profile: string, env: Env = process.env): string {
  return join(profileDir(profile, env), "runner.log");
}

export function logsDir(env: Env = process.env): string {
  return join(workspaceDir(env), "logs");
}

export function savingsPath(explicit?: string, env: Env = process.env): string {
  return resolve(explicit || env.HEADROOM_SAVINGS_PATH || join(workspaceDir(env), "proxy_savings.json"));
}

export function clientsDir(port: number, env: Env = process.env): string {
  return join(workspaceDir(env), "clients", String(port));
}

/** True when `name` is a valid profile name (SPEC 2). */
export function isValidProfileName(name: string): boolean {
  return PROFILE_NAME.test(name) && name !== "." && name !== ".." && name.length <= PROFILE_NAME_MAX;
}

// ---- another OS's paths, for `install apply --dry-run --os ...` ------------------------

export type TargetOs = "linux" | "darwin" | "windows";

/** The path functions of `os`, whatever this host is. */
export function pathsOf(os: TargetOs): typeof posix {
  return os === "windows" ? win32 : posix;
}

/** $HEADROOM_WORKSPACE_DIR, or ~/.headroom, with the path rules of `os`. */
export function workspaceDirFor(os: TargetOs, env: Env = process.env): string {
  const p = pathsOf(os);
  return p.resolve(env.HEADROOM_WORKSPACE_DIR || p.join(homeDir(env), ".headroom"));
}

/** The login name a preview for another OS uses for its home folder. */
export function userName(env: Env = process.env): string {
  const fromEnv = env.USER || env.LOGNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || "user";
  } catch {
    return "user";
  }
}

/** Where `os` keeps a user's home: C:\Users\<name>, /Users/<name>, /home/<name> (/root for root). */
export function homeOn(os: TargetOs, user: string): string {
  if (os === "windows") return win32.join("C:\\Users", user);
  if (os === "darwin") return posix.join("/Users", user);
  return user === "root" ? "/root" : posix.join("/home", user);
}

/**
 * Variables that hold this host's paths (or point tools at this host's folders): a plan
 * rendered for another OS must not carry them into that OS's files.
 */
const HOST_PATH_VARS = [
  "HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA", "TMPDIR", "TEMP", "TMP",
  "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
  "HEADROOM_WORKSPACE_DIR", "HEADROOM_CONFIG_DIR", "HEADROOM_SAVINGS_PATH", "HEADROOM_BIN",
  "CLAUDE_CONFIG_DIR", "CODEX_HOME", "COPILOT_HOME", "OPENCODE_CONFIG", "OPENCLAW_CONFIG_PATH", "OPENCLAW_STATE_DIR",
];

/**
 * The environment a plan for `os` is rendered with when this host is another OS: this
 * user's home as that OS lays it out (C:\Users\<name> with its AppData folders on
 * Windows, /Users/<name> on macOS), no variable holding one of this host's paths, and
 * the rest (provider keys, HEADROOM_PORT...) as they are. The same env on the same OS.
 */
export function previewEnv(os: TargetOs, env: Env = process.env, hostOs: TargetOs = os): Env {
  if (os === hostOs) return env;
  // Windows names the account in USERNAME (it may hold a space: C:\Users\Ada Lovelace).
  const user = (os === "windows" && env.USERNAME) || userName(env);
  const home = homeOn(os, user);
  const out: Env = { ...env };
  for (const k of HOST_PATH_VARS) delete out[k];
  if (os === "windows") {
    Object.assign(out, {
      USERPROFILE: home,
      APPDATA: win32.join(home, "AppData", "Roaming"),
      LOCALAPPDATA: win32.join(home, "AppData", "Local"),
      USERNAME: user,
    });
  } else {
    out.HOME = home;
    out.USER = user;
  }
  return out;
}
