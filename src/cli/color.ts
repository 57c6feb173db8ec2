// Whether the CLI colours its output, decided once per stream: FORCE_COLOR (any value
// but "0" or "false") turns colour on, FORCE_COLOR=0 and NO_COLOR (any non-empty value,
// https://no-color.org) turn it off, TERM=dumb turns it off; otherwise colour only when
// the stream is a terminal. Free of runtime imports, so help and messages can use it cheaply.
import type { Env } from "../host/env.ts";

export interface StreamLike {
  isTTY?: boolean;
}

/** What the environment alone decides (FORCE_COLOR, NO_COLOR, TERM=dumb), or undefined when it leaves it to the stream. */
export function colorForcedByEnv(env: Env = process.env): boolean | undefined {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return undefined;
}

export function colorEnabled(stream: StreamLike | undefined, env: Env = process.env): boolean {
  return colorForcedByEnv(env) ?? stream?.isTTY === true;
}

export interface Paint {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const sgr = (on: boolean, open: number, close: number) => (s: string) => (on && s ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export function paint(enabled: boolean): Paint {
  return {
    enabled,
    bold: sgr(enabled, 1, 22),
    dim: sgr(enabled, 2, 22),
    red: sgr(enabled, 31, 39),
    green: sgr(enabled, 32, 39),
    yellow: sgr(enabled, 33, 39),
    cyan: sgr(enabled, 36, 39),
  };
}

// biome-ignore lint: the escape character is the point
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, "");
}
