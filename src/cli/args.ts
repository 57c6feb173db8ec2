// Shared helpers for command definitions: strict flag checking and common parsers.
import type { ArgsDef } from "citty";
import { UsageError } from "../errors.ts";

/**
 * citty accepts any --flag; this rejects the ones a command does not define, so a typo
 * is a usage error rather than a silently ignored option. It also reads each string
 * flag's value the way citty does (the next word, or after "="), so a negative number
 * given as a value (`--port -1`) is that flag's value, not an unknown option; and a
 * string flag without a value (`--port`, `--port=`, `--port ''`, or followed by another
 * option) is a usage error rather than silently meaning its default.
 */
export function rejectUnknownFlags(rawArgs: string[], def: ArgsDef, extraAllowed: string[] = []): void {
  // --verbose and --quiet are global: every command accepts them (src/cli/log.ts), and
  // with --verbose a failure also shows its stack.
  const known = new Set<string>(["help", "h", "verbose", "quiet", "q", ...extraAllowed]);
  const takesValue = new Set<string>();
  for (const [name, arg] of Object.entries(def)) {
    const type = (arg as { type?: string }).type;
    for (const n of flagNames(name, arg)) {
      known.add(n);
      if (type === "string" || type === "enum") takesValue.add(n);
    }
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const raw = rawArgs[i]!;
    if (raw === "--") break;
    if (!raw.startsWith("-") || raw === "-") continue;
    const body = raw.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    const bare = name.startsWith("no-") ? name.slice(3) : name;
    if (!known.has(name) && !known.has(bare)) throw new UsageError(`Unknown option ${raw.split("=")[0]}.`);
    if (!takesValue.has(name)) continue;
    const value = eq === -1 ? rawArgs[++i] : body.slice(eq + 1);
    const flag = raw.split("=")[0]!;
    if (value === undefined || value.trim() === "" || (eq === -1 && value.startsWith("-") && !NEGATIVE_NUMBER.test(value))) {
      throw new UsageError(`${flag} needs a value (${flag} VALUE or ${flag}=VALUE).`);
    }
  }
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/**
 * A port from a flag or a variable. An empty variable counts as not set; an empty flag
 * (`--port ''`, `--port=`) is a usage error, never the default port.
 */
export function parsePort(value: string | undefined, what = "--port"): number | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "") {
    if (what.startsWith("-")) throw new UsageError(`${what} needs a value: a port number between 1 and 65535.`);
    return undefined;
  }
  const port = Number(value);
  if (!/^\d+$/.test(String(value)) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what} must be a port number between 1 and 65535, not "${value}".`);
  }
  return port;
}

/** A string flag that may be given many times; see repeatedValues. `unique` drops repeats of a value. */
export interface RepeatableArg {
  type: "string";
  repeatable: true;
  unique?: boolean;
}

function isRepeatable(arg: unknown): arg is RepeatableArg {
  return (arg as { repeatable?: unknown }).repeatable === true;
}

function flagNames(name: string, arg: unknown): string[] {
  const alias = (arg as { alias?: string | string[] }).alias;
  const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return [name, kebab, ...(Array.isArray(alias) ? alias : alias ? [alias] : [])];
}

/**
 * Every value of each flag the definition marks `repeatable`, in the order given, from the
 * raw argument vector (citty, through node's parseArgs, keeps only the last value of a
 * repeated string flag). `--name value` and `--name=value` both count, mixed freely; a
 * word after another string flag is that flag's value, as citty reads it; `--` ends the
 * options. A repeatable flag without a value is a usage error. Flags not given get [].
 */
export function repeatedValues<D extends ArgsDef>(rawArgs: string[], def: D): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const repeatableBy = new Map<string, string>();
  const takesValue = new Set<string>();
  for (const [name, arg] of Object.entries(def)) {
    const type = (arg as { type?: string }).type;
    for (const n of flagNames(name, arg)) {
      if (type === "string" || type === "enum") takesValue.add(n);
      if (isRepeatable(arg)) repeatableBy.set(n, name);
    }
    if (isRepeatable(arg)) out[name] = [];
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const raw = rawArgs[i]!;
    if (raw === "--") break;
    if (!raw.startsWith("-") || raw === "-") continue;
    const body = raw.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    let value: string | undefined;
    if (eq !== -1) value = body.slice(eq + 1);
    else if (takesValue.has(name)) value = rawArgs[++i];
    const main = repeatableBy.get(name);
    if (main === undefined) continue;
    if (value === undefined || value === "" || (eq === -1 && value.startsWith("-"))) {
      throw new UsageError(`--${name} needs a value (--${name} VALUE or --${name}=VALUE).`);
    }
    const list = out[main]!;
    if (!((def[main] as RepeatableArg).unique && list.includes(value))) list.push(value);
  }
  return out;
}
