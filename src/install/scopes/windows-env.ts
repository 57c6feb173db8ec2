// User and system scope on Windows: User or Machine environment variables, set through
// PowerShell's [Environment]::SetEnvironmentVariable. The previous values are read first
// (a JSON map, null for unset) and recorded, so remove puts them back.
import { createHash } from "node:crypto";
import type { ChangeRecord, WindowsEnvData } from "../../edits/record.ts";

export type WindowsEnvScope = WindowsEnvData["scope"];

/** The record's adapter, and its data's kind. */
export const WINDOWS_ENV_ADAPTER = "windows-env";

export function registryPath(scope: WindowsEnvScope): string {
  return scope === "User" ? "HKCU\\Environment" : "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment";
}

/** PowerShell single-quoted literal. */
export function psQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function powershell(script: string): string[] {
  return ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script];
}

/** Prints the current values of `names` as one JSON object (null for unset). */
export function captureCommand(names: string[], scope: WindowsEnvScope): string[] {
  const list = names.map(psQuote).join(", ");
  return powershell(
    `$o = [ordered]@{}; foreach ($n in @(${list})) { $o[$n] = [Environment]::GetEnvironmentVariable($n, ${psQuote(scope)}) }; $o | ConvertTo-Json -Compress`,
  );
}

export function setCommand(vars: Record<string, string>, scope: WindowsEnvScope): string[] {
  return powershell(
    Object.entries(vars)
      .map(([k, v]) => `[Environment]::SetEnvironmentVariable(${psQuote(k)}, ${psQuote(v)}, ${psQuote(scope)})`)
      .join("; "),
  );
}

export function restoreCommand(previous: Record<string, string | null>, scope: WindowsEnvScope): string[] {
  return powershell(
    Object.entries(previous)
      .map(([k, v]) => `[Environment]::SetEnvironmentVariable(${psQuote(k)}, ${v === null ? "$null" : psQuote(v)}, ${psQuote(scope)})`)
      .join("; "),
  );
}

/** Parses the capture command's output; anything unreadable counts as unset. */
export function parseCaptured(stdout: string, names: string[]): Record<string, string | null> {
  let parsed: Record<string, unknown> = {};
  try {
    const v = JSON.parse(stdout.trim() || "{}");
    if (v && typeof v === "object") parsed = v;
  } catch {
    // fall through: unset
  }
  const out: Record<string, string | null> = {};
  for (const n of names) {
    const value = parsed[n];
    out[n] = typeof value === "string" ? value : null;
  }
  return out;
}

export function windowsEnvRecord(scope: WindowsEnvScope, values: Record<string, string>, previous: Record<string, string | null>): ChangeRecord {
  return {
    adapter: WINDOWS_ENV_ADAPTER,
    path: registryPath(scope),
    existed: true,
    appliedSha256: createHash("sha256").update(JSON.stringify(values)).digest("hex"),
    data: { kind: "windows-env", scope, values, previous, restore: restoreCommand(previous, scope) },
  };
}
