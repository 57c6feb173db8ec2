// The CLI's messages, through consola (its core only: the fancy reporter costs about 8 ms
// of start-up, the core about 0.5 ms, and this module is loaded only when something is
// said). Levels: errors and warnings always; notes and results unless --quiet (-q);
// debug lines with --verbose or HEADROOM_DEBUG=1.
//
//   error / warn / info / debug -> stderr, "headroom: ..." (what scripts and tests match)
//   log / success               -> stdout, the command's result line
//
// Data (status reports, plans, JSON, completion scripts) is not a message: commands print
// it on stdout themselves, so --quiet never hides what a script asked for.
import { type ConsolaInstance, type ConsolaReporter, createConsola, type LogObject } from "consola/core";
import type { Env } from "../host/env.ts";
import { colorEnabled, paint } from "./color.ts";
import { errorLine } from "./report-error.ts";

export const LEVEL = { quiet: 1, normal: 3, verbose: 4 } as const;

/** The level the command line asks for: --quiet/-q, --verbose (or HEADROOM_DEBUG=1), else normal. */
export function levelFromArgv(argv: string[], env: Env = process.env): number {
  const dashdash = argv.indexOf("--");
  const flags = dashdash === -1 ? argv : argv.slice(0, dashdash);
  if (flags.includes("--verbose") || env.HEADROOM_DEBUG === "1") return LEVEL.verbose;
  if (flags.includes("--quiet") || flags.includes("-q")) return LEVEL.quiet;
  return LEVEL.normal;
}

export interface Sink {
  out(line: string): void;
  /** An error line: Bun's console.error, red on a terminal (NO_COLOR and FORCE_COLOR honoured). */
  err(line: string): void;
  /** Any other stderr line (warnings, notes, debug), as given. */
  note(line: string): void;
  /** Asked when a line is about to be coloured (touching process.stdout costs milliseconds). */
  outColor(): boolean;
  errColor(): boolean;
}

function once(f: () => boolean): () => boolean {
  let v: boolean | undefined;
  return () => (v ??= f());
}

// Bun builds process.stdout and process.stderr on first use, which costs several
// milliseconds of start-up; console.log and console.error do not. So the streams are
// asked whether they are terminals only when a line may be coloured.
const consoleSink = (env: Env): Sink => ({
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  // console.warn writes to stderr as it is (console.error would make the whole line red).
  note: (line) => console.warn(line),
  outColor: once(() => colorEnabled(process.stdout, env)),
  errColor: once(() => colorEnabled(process.stderr, env)),
});

function text(o: LogObject): string {
  return o.args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
}

function reporter(sink: Sink): ConsolaReporter {
  const e = () => paint(sink.errColor());
  return {
    log(obj) {
      const msg = text(obj);
      switch (obj.type) {
        case "fatal":
        case "error":
          // Red through Bun's console.error on a terminal, without asking the stream here.
          sink.err(errorLine(msg));
          break;
        case "warn": {
          const p = e();
          sink.note(`${p.bold("headroom:")} ${p.yellow("warning:")} ${msg}`);
          break;
        }
        case "debug":
        case "trace":
        case "verbose":
          sink.note(e().dim(`headroom: debug: ${msg}`));
          break;
        case "success": {
          const o = paint(sink.outColor());
          sink.out(o.enabled ? `${o.green("✔")} ${msg}` : msg);
          break;
        }
        case "log":
          sink.out(msg);
          break;
        default:
          // info, start, ready, box...: notes about what is happening.
          sink.note(`${e().bold("headroom:")} ${msg}`);
      }
    },
  };
}

export function createLogger(level: number, sink: Sink): ConsolaInstance {
  // throttle 0: a repeated line is printed each time, not folded into "(repeated N times)".
  return createConsola({ level, reporters: [reporter(sink)], throttle: 0 });
}

let shared: ConsolaInstance | undefined;

/** The process's logger, its level taken from the command line the first time it is asked for. */
export function logger(): ConsolaInstance {
  shared ??= createLogger(levelFromArgv(process.argv.slice(2)), consoleSink(process.env));
  return shared;
}

export function isQuiet(): boolean {
  return logger().level < LEVEL.normal;
}
