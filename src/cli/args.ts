// Shared helpers for command definitions: strict flag checking and common parsers.
import type { ArgsDef } from "citty";
import { UsageError } from "../errors.ts";

/**
 * citty accepts any --flag; this rejects the ones a command does not define, so a typo
 * is a usage error rather than a silently ignored option.
 */
export function rejectUnknownFlags(rawArgs: string[], def: ArgsDef, extraAllowed: string[] = []): void {
  // --verbose is global: every command accepts it, and a failure then shows its stack.
  const known = new Set<string>(["help", "h", "verbose", ...extraAllowed]);
  for (const [name, arg] of Object.entries(def)) {
    known.add(name);
    known.add(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    const alias = (arg as { alias?: string | string[] }).alias;
    for (const a of Array.isArray(alias) ? alias : alias ? [alias] : []) known.add(a);
  }
  for (const raw of rawArgs) {
    if (raw === "--") break;
    if (!raw.startsWith("-") || raw === "-") continue;
    const name = raw.replace(/^--?/, "").split("=")[0]!;
    const bare = name.startsWith("no-") ? name.slice(3) : name;
    if (!known.has(name) && !known.has(bare)) throw new UsageError(`Unknown option ${raw.split("=")[0]}.`);
  }
}

export function parsePort(value: string | undefined, what = "--port"): number | undefined {
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(String(value)) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what} must be a port number between 1 and 65535, not "${value}".`);
  }
  return port;
}

/** citty gives a repeated string flag as string or string[]; normalise to a list. */
export function listOf(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
