// A progress line for the CLI's waits (apply up to 30 s, stop up to 15 s...): a spinner,
// the label and the seconds so far, on stderr, drawn only once the wait has lasted half a
// second, only when stdout and stderr are terminals (not TERM=dumb), and never with
// --json or --quiet. The line is erased when the wait ends, so what follows reads as if
// it had never been there. Elsewhere it is silent: pipes and logs get no control codes.
import type { Env } from "../host/env.ts";
import { colorEnabled } from "./color.ts";

export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Whether stdout is a terminal (the spinner is for people watching a terminal). */
  stdoutIsTTY?: boolean;
  env?: Env;
  /** --json / --quiet: never draw. */
  silent?: boolean;
  delayMs?: number;
  intervalMs?: number;
  now?: () => number;
}

export interface Progress {
  /** Replaces the label (a new phase of the same wait). */
  update(label: string): void;
  /** Erases the line and stops; safe to call twice. */
  done(): void;
  /** Whether this progress draws at all (terminal, not silenced). */
  readonly active: boolean;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const ASCII_FRAMES = ["|", "/", "-", "\\"];

export function progressEnabled(opts: ProgressOptions = {}): boolean {
  const env = opts.env ?? process.env;
  const stream = opts.stream ?? process.stderr;
  const stdoutTTY = opts.stdoutIsTTY ?? process.stdout.isTTY === true;
  return !opts.silent && stdoutTTY && stream.isTTY === true && env.TERM !== "dumb" && env.CI !== "true";
}

export function startProgress(label: string, opts: ProgressOptions = {}): Progress {
  const active = progressEnabled(opts);
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const started = now();
  const color = colorEnabled(stream, env);
  // The classic Windows console has no braille glyphs; Windows Terminal (WT_SESSION) does.
  const frames = process.platform === "win32" && !env.WT_SESSION ? ASCII_FRAMES : FRAMES;
  let text = label;
  let frame = 0;
  let drawn = false;
  let finished = false;
  let interval: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    const secs = Math.floor((now() - started) / 1000);
    const f = frames[frame++ % frames.length]!;
    stream.write(`\r\u001b[2K${color ? `\u001b[36m${f}\u001b[39m` : f} ${text}${secs >= 1 ? ` (${secs} s)` : ""}`);
    drawn = true;
  };
  const timer = active
    ? setTimeout(() => {
        if (finished) return;
        draw();
        interval = setInterval(draw, opts.intervalMs ?? 80);
      }, opts.delayMs ?? 500)
    : undefined;
  return {
    active,
    update(l: string) {
      text = l;
      if (drawn && !finished) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (interval) clearInterval(interval);
      if (drawn) stream.write("\r\u001b[2K");
    },
  };
}

/** Runs `work` with a progress line labelled `label` (see startProgress). */
export async function withProgress<T>(label: string, work: (p: Progress) => Promise<T>, opts: ProgressOptions = {}): Promise<T> {
  const p = startProgress(label, opts);
  try {
    return await work(p);
  } finally {
    p.done();
  }
}
