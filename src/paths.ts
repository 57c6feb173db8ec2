// The filesystem contract (SPEC section 2), and nothing else.
// Precedence for any resource: explicit value, the resource's own variable, derived
// from the root, default.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

type Env = Record<string, string | undefined>;

export const PROFILE_NAME = /^[A-Za-z0-9._-]+$/;

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
  return PROFILE_NAME.test(name) && name !== "." && name !== "..";
}
