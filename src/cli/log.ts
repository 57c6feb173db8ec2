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
import { colorEnabled, paint } from "./color.ts";

type Env = Record<string, string | undefined>;

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
  err(line: string): void;
  outColor: boolean;
  errColor: boolean;
}

const consoleSink = (env: Env): Sink => ({
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  outColor: colorEnabled(process.stdout, env),
  errColor: colorEnabled(process.stderr, env),
});

function text(o: LogObject): string {
  return o.args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
}

export function reporter(sink: Sink): ConsolaReporter {
  const e = paint(sink.errColor);
  const o = paint(sink.outColor);
  const tag = e.bold("headroom:");
  return {
    log(obj) {
      const msg = text(obj);
      switch (obj.type) {
        case "fatal":
        case "error":
          sink.err(`${e.enabled ? e.red(tag) : tag} ${msg}`);
          break;
        case "warn":
          sink.err(`${tag} ${e.yellow("warning:")} ${msg}`);
          break;
        case "debug":
        case "trace":
        case "verbose":
          sink.err(e.dim(`headroom: debug: ${msg}`));
          break;
        case "success":
          sink.out(o.enabled ? `${o.green("✔")} ${msg}` : msg);
          break;
        case "log":
          sink.out(msg);
          break;
        default:
          // info, start, ready, box...: notes about what is happening.
          sink.err(`${tag} ${msg}`);
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
