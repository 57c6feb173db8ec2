// Variables a tool needs that must not shadow the user's own setting (copilot's wire API,
// model and key): the rule, and what it adds to a given environment. The shell block
// (install/scopes/shell-env.ts) turns the same rules into start-up tests.
import type { Env } from "../host/env.ts";

/**
 * A variable headroom sets only when the user has none of `unless` (the variable itself
 * among them): to `value`, or to the value of the user's variable `from` (only when that
 * one is set; the shell block holds a reference to it, never its value).
 */
export type EnvRule = { name: string; unless: readonly string[] } & ({ value: string; from?: undefined } | { from: string; value?: undefined });

/** What the rules add to an environment that already has `userEnv` (an empty value counts as unset). */
export function applyEnvRules(rules: readonly EnvRule[], userEnv: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rules) {
    if (r.unless.some((n) => userEnv[n])) continue;
    const value = r.from !== undefined ? userEnv[r.from] : r.value;
    if (value) out[r.name] = value;
  }
  return out;
}
