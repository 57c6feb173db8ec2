// Shared helpers for command definitions: strict flag checking and common parsers.
import type { ArgsDef } from "citty";
import { UsageError } from "../errors.ts";

/**
 * citty accepts any --flag; this rejects the ones a command does not define, so a typo
 * is a usage error rather than a silently ignored option.
 */
export function rejectUnknownFlags(rawArgs: string[], def: ArgsDef, extraAllowed: string[] = []): void {
  // --verbose and --quiet are global: every command accepts them (src/cli/log.ts), and
  // with --verbose a failure also shows its stack.
  const known = new Set<string>(["help", "h", "verbose", "quiet", "q", ...extraAllowed]);
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
