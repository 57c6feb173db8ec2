// Shared helpers for command definitions: strict flag checking and repeated flags.
// (The validators of option values are in src/options/.)
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
  for (const [name, arg] of Object.entries(def)) for (const n of flagNames(name, arg)) known.add(n);
  const takesValue = valueFlags(def);
  for (const { flag, name, value, inline } of flagWords(rawArgs, takesValue)) {
    const bare = name.startsWith("no-") ? name.slice(3) : name;
    if (!known.has(name) && !known.has(bare)) throw new UsageError(`Unknown option ${flag}.`);
    if (!takesValue.has(name)) continue;
    if (value === undefined || value.trim() === "" || (!inline && value.startsWith("-") && !NEGATIVE_NUMBER.test(value))) {
      throw new UsageError(`${flag} needs a value (${flag} VALUE or ${flag}=VALUE).`);
    }
  }
}

/** One option of a raw argument vector: as typed (without "=value"), its name, its value. */
interface FlagWord {
  flag: string;
  name: string;
  value: string | undefined;
  /** Given as `--name=value`. */
  inline: boolean;
}

/**
 * The options of a raw argument vector as citty reads them: a flag that takes a value
 * takes the next word (or what follows "="); `--` ends the options.
 */
function flagWords(rawArgs: string[], takesValue: Set<string>): FlagWord[] {
  const words: FlagWord[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const raw = rawArgs[i]!;
    if (raw === "--") break;
    if (!raw.startsWith("-") || raw === "-") continue;
    const body = raw.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    const value = eq !== -1 ? body.slice(eq + 1) : takesValue.has(name) ? rawArgs[++i] : undefined;
    words.push({ flag: raw.split("=")[0]!, name, value, inline: eq !== -1 });
  }
  return words;
}

/** The names (and aliases) of the definition's flags that take a value. */
function valueFlags(def: ArgsDef): Set<string> {
  const out = new Set<string>();
  for (const [name, arg] of Object.entries(def)) {
    const type = (arg as { type?: string }).type;
    if (type === "string" || type === "enum") for (const n of flagNames(name, arg)) out.add(n);
  }
  return out;
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/** A string flag that may be given many times; see repeatedValues. `unique` drops repeats of a value. */
interface RepeatableArg {
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
  for (const [name, arg] of Object.entries(def)) {
    if (!isRepeatable(arg)) continue;
    for (const n of flagNames(name, arg)) repeatableBy.set(n, name);
    out[name] = [];
  }
  for (const { name, value, inline } of flagWords(rawArgs, valueFlags(def))) {
    const main = repeatableBy.get(name);
    if (main === undefined) continue;
    if (value === undefined || value === "" || (!inline && value.startsWith("-"))) {
      throw new UsageError(`--${name} needs a value (--${name} VALUE or --${name}=VALUE).`);
    }
    const list = out[main]!;
    if (!((def[main] as RepeatableArg).unique && list.includes(value))) list.push(value);
  }
  return out;
}
