// The CLI's output rules: when colour is on (src/cli/color.ts), what each consola level
// prints where (src/cli/log.ts), and the progress line (src/cli/progress.ts): drawn only
// on a terminal, only after its delay, erased when the wait ends.
import { describe, expect, test } from "bun:test";
import { colorEnabled, colorForcedByEnv, stripAnsi } from "../../src/cli/color.ts";
import { LEVEL, createLogger, levelFromArgv, type Sink } from "../../src/cli/log.ts";
import { progressEnabled, startProgress, withProgress } from "../../src/cli/progress.ts";
import { errorLine } from "../../src/cli/report-error.ts";

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe("colour", () => {
  test("a terminal gets colour, a pipe does not", () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(undefined, {})).toBe(false);
  });

  test("NO_COLOR with any non-empty value turns it off; an empty NO_COLOR does not", () => {
    for (const v of ["1", "true", "yes", "0", "anything"]) expect(colorEnabled(tty, { NO_COLOR: v })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "" })).toBe(true);
  });

  test("FORCE_COLOR turns it on for a pipe, over NO_COLOR; FORCE_COLOR=0 or false turns it off", () => {
    expect(colorEnabled(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: "3", NO_COLOR: "1" })).toBe(true);
    expect(colorEnabled(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorEnabled(tty, { FORCE_COLOR: "false" })).toBe(false);
    expect(colorEnabled(tty, { TERM: "dumb" })).toBe(false);
    expect(colorForcedByEnv({})).toBeUndefined();
  });
});

function recorder(opts: { out?: boolean; err?: boolean } = {}) {
  const lines: { to: "out" | "err"; line: string; red?: boolean }[] = [];
  let asked = 0;
  const sink: Sink = {
    out: (line) => lines.push({ to: "out", line }),
    // The error stream proper (console.error, which Bun prints red on a terminal).
    err: (line) => lines.push({ to: "err", line, red: true }),
    note: (line) => lines.push({ to: "err", line }),
    outColor: () => (asked++, opts.out ?? false),
    errColor: () => (asked++, opts.err ?? false),
  };
  return { sink, lines, asked: () => asked };
}

describe("messages through consola", () => {
  test("levels: errors and warnings on stderr always, notes unless quiet, debug only verbose; results on stdout", () => {
    for (const [level, expected] of [
      [LEVEL.quiet, ["err:headroom: bad", "err:headroom: warning: careful"]],
      [LEVEL.normal, ["err:headroom: bad", "err:headroom: warning: careful", "err:headroom: note", "out:done", "out:plain result"]],
      [LEVEL.verbose, ["err:headroom: bad", "err:headroom: warning: careful", "err:headroom: note", "out:done", "out:plain result", "err:headroom: debug: details"]],
    ] as const) {
      const r = recorder();
      const log = createLogger(level, r.sink);
      log.error("bad");
      log.warn("careful");
      log.info("note");
      log.success("done");
      log.log("plain result");
      log.debug("details");
      expect(r.lines.map((l) => `${l.to}:${l.line}`)).toEqual([...expected]);
    }
  });

  test("the same line twice is printed twice (no '(repeated N times)')", () => {
    const r = recorder();
    const log = createLogger(LEVEL.normal, r.sink);
    for (let i = 0; i < 8; i++) log.warn("again");
    expect(r.lines.length).toBe(8);
  });

  test("an error goes to console.error (Bun colours it on a terminal) and never asks the stream itself (that costs start-up)", () => {
    const r = recorder({ err: true });
    const log = createLogger(LEVEL.normal, r.sink);
    log.error("plain");
    log.warn("not red");
    expect(r.asked()).toBe(1); // only the warning asked
    expect(r.lines[0]).toEqual({ to: "err", line: "headroom: plain", red: true });
    expect(r.lines[1]!.red).toBeUndefined();
  });

  test("the last line of a failed command (written without consola) reads exactly like the logger's error line", () => {
    const r = recorder();
    createLogger(LEVEL.normal, r.sink).error("No deployment profile");
    expect(r.lines[0]!.line).toBe(errorLine("No deployment profile"));
  });

  test("warnings and results are coloured when their stream is a terminal", () => {
    const r = recorder({ err: true, out: true });
    const log = createLogger(LEVEL.normal, r.sink);
    log.warn("w");
    log.success("s");
    expect(r.lines[0]!.line).toContain("\u001b[33mwarning:");
    expect(stripAnsi(r.lines[1]!.line)).toBe("✔ s");
  });

  test("--quiet / -q and --verbose / HEADROOM_DEBUG=1 set the level; words after -- do not", () => {
    expect(levelFromArgv(["install", "stop", "--quiet"], {})).toBe(LEVEL.quiet);
    expect(levelFromArgv(["-q"], {})).toBe(LEVEL.quiet);
    expect(levelFromArgv(["--verbose"], {})).toBe(LEVEL.verbose);
    expect(levelFromArgv([], { HEADROOM_DEBUG: "1" })).toBe(LEVEL.verbose);
    expect(levelFromArgv(["wrap", "claude", "--", "-q"], {})).toBe(LEVEL.normal);
  });
});

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, write: (c: string) => writes.push(c), writes };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(5);
}

describe("progress line", () => {
  test("on a terminal: drawn after the delay with its label, updated, erased at the end", async () => {
    const s = stream(true);
    const p = startProgress("Waiting for port 8787", { stream: s, stdoutIsTTY: true, env: {}, delayMs: 0, intervalMs: 10 });
    expect(p.active).toBe(true);
    await until(() => s.writes.length >= 2);
    expect(s.writes[0]).toStartWith("\r\u001b[2K");
    expect(stripAnsi(s.writes[0]!)).toMatch(/^\r. Waiting for port 8787$/);
    p.update("Still waiting");
    await until(() => s.writes.some((w) => w.includes("Still waiting")));
    p.done();
    expect(s.writes[s.writes.length - 1]).toBe("\r\u001b[2K");
    const n = s.writes.length;
    p.done();
    await Bun.sleep(30);
    expect(s.writes.length).toBe(n); // nothing after done
  });

  test("nothing when stderr or stdout is not a terminal, with --json/--quiet, TERM=dumb or in CI", () => {
    expect(progressEnabled({ stream: stream(false), stdoutIsTTY: true, env: {} })).toBe(false);
    expect(progressEnabled({ stream: stream(true), stdoutIsTTY: false, env: {} })).toBe(false);
    expect(progressEnabled({ stream: stream(true), stdoutIsTTY: true, env: {}, silent: true })).toBe(false);
    expect(progressEnabled({ stream: stream(true), stdoutIsTTY: true, env: { TERM: "dumb" } })).toBe(false);
    expect(progressEnabled({ stream: stream(true), stdoutIsTTY: true, env: { CI: "true" } })).toBe(false);
    expect(progressEnabled({ stream: stream(true), stdoutIsTTY: true, env: {} })).toBe(true);
  });

  test("a wait shorter than the delay draws nothing; a non-terminal never does", async () => {
    const quick = stream(true);
    await withProgress("quick", async () => "done", { stream: quick, stdoutIsTTY: true, env: {}, delayMs: 60_000 });
    expect(quick.writes).toEqual([]);
    const piped = stream(false);
    let release!: () => void;
    const work = withProgress("piped", () => new Promise<void>((r) => (release = r)), { stream: piped, stdoutIsTTY: true, env: {}, delayMs: 0, intervalMs: 1 });
    await Bun.sleep(20);
    release();
    await work;
    expect(piped.writes).toEqual([]);
  });

  test("withProgress erases the line when the work throws, and rethrows", async () => {
    const s = stream(true);
    const failing = withProgress(
      "failing",
      async () => {
        await until(() => s.writes.length > 0);
        throw new Error("boom");
      },
      { stream: s, stdoutIsTTY: true, env: {}, delayMs: 0, intervalMs: 5 },
    );
    await expect(failing).rejects.toThrow("boom");
    expect(s.writes[s.writes.length - 1]).toBe("\r\u001b[2K");
  });
});
