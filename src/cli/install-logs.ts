// `headroom install logs`: a deployment's log from wherever its supervisor keeps it
// (src/install/logs.ts): journalctl for a systemd service, `docker logs` for a container,
// runner.log otherwise. And the hidden `headroom install upgrade-restart` that the
// installers run after replacing the binary (src/install/upgrade.ts).
import { defineCommand } from "citty";
import { HeadroomError, UsageError } from "../errors.ts";
import { rejectUnknownFlags } from "./args.ts";
import { isQuiet, logger } from "./log.ts";

const logsArgs = {
  profile: { type: "string", valueHint: "profile", description: "Deployment profile (default: default)" },
  follow: { type: "boolean", alias: "f", description: "Keep printing new lines until interrupted" },
  lines: { type: "string", alias: "n", valueHint: "N|all", description: "How many of the last lines (default 50; all for every line)" },
  json: { type: "boolean", description: "Print the lines as one JSON object, with where they come from (not with --follow)" },
} as const;

/** `-n` as a count, "all" as undefined; anything else is a usage error. */
export function parseLines(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  if (value === "all") return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`-n/--lines takes a number of lines or "all", not "${value}".`);
  return Number(value);
}

/**
 * Runs argv with its output on ours; resolves with its exit code. An interrupt ends it:
 * Ctrl-C reaches it with the terminal's process group anyway, and a signal sent to this
 * process alone (`kill -INT`, a supervisor) is passed on.
 */
async function passThrough(argv: string[]): Promise<number> {
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(argv, { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  } catch {
    throw notFound(argv[0]!);
  }
  const onInt = () => proc.kill("SIGINT");
  const onTerm = () => proc.kill("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await proc.exited;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}

function notFound(cmd: string): HeadroomError {
  return cmd === "docker"
    ? new HeadroomError("The docker command was not found, so the container's log cannot be read.", "Install the Docker client, or run `docker logs` where the engine runs.")
    : new HeadroomError("journalctl was not found, so the journal cannot be read.", "Install systemd's journalctl, or read the journal where systemd runs.");
}

/**
 * Runs argv and returns its output: stdout and stderr in the order written (one file for
 * both: `docker logs` replays the container's stderr on its own), or stdout alone
 * (journalctl's notes, "No journal files were found.", go to stderr).
 */
async function capture(argv: string[], withStderr: boolean): Promise<{ code: number; text: string; err: string }> {
  const { mkdtempSync, openSync, closeSync, readFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "headroom-logs-"));
  const file = join(dir, "out");
  const fd = openSync(file, "w", 0o600);
  try {
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn(argv, { stdin: "ignore", stdout: fd, stderr: withStderr ? fd : "pipe" });
    } catch {
      throw notFound(argv[0]!);
    }
    const [code, err] = await Promise.all([proc.exited, withStderr ? "" : new Response(proc.stderr as ReadableStream).text()]);
    const text = readFileSync(file, "utf8");
    return { code, text, err: withStderr ? text : err };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

const logs = defineCommand({
  meta: { name: "logs", description: "Show a deployment's log from wherever its supervisor keeps it (the journal, the container's log, or runner.log)." },
  args: logsArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, logsArgs);
    const log = logger();
    if (args.json && args.follow) throw new UsageError("--json prints one object and ends; it cannot be combined with --follow.");
    const { DEFAULT_LINES, describeSource, followFile, logArgv, logSource, sourceJson, tailLines } = await import("../install/logs.ts");
    const lines = parseLines(args.lines, DEFAULT_LINES);
    const { loadManifest } = await import("../install/store.ts");
    const m = loadManifest(args.profile ?? "default");
    const src = logSource(m);
    const opts = { lines, follow: !!args.follow };
    log.debug(`profile ${m.profile} logs to ${describeSource(src)}`);

    if (src.kind === "file") {
      const { existsSync } = await import("node:fs");
      const got = tailLines(src.path, lines);
      if (args.json) {
        console.log(JSON.stringify({ ok: true, profile: m.profile, source: sourceJson(src, opts), exists: existsSync(src.path), lines: got }));
        return;
      }
      if (!existsSync(src.path) && !args.follow) {
        if (!isQuiet()) log.info(`${src.path} does not exist yet: the runtime of profile "${m.profile}" has written nothing.`);
        return;
      }
      if (got.length) process.stdout.write(`${got.join("\n")}\n`);
      if (!args.follow) return;
      const f = followFile(src.path, (chunk) => process.stdout.write(chunk));
      const end = () => f.stop();
      process.once("SIGINT", end);
      process.once("SIGTERM", end);
      await f.done;
      return;
    }

    const argv = logArgv(src, opts);
    log.debug(`running ${argv.join(" ")}`);
    if (args.json) {
      const r = await capture(argv, src.kind === "docker");
      if (r.code !== 0) throw new HeadroomError(`\`${argv.join(" ")}\` failed (exit code ${r.code}): ${r.err.trim().split("\n").pop() ?? ""}`);
      const out = r.text.split("\n").filter((l, i, a) => !(i === a.length - 1 && l === "") && l !== "-- No entries --");
      console.log(JSON.stringify({ ok: true, profile: m.profile, source: sourceJson(src, opts), lines: out }));
      return;
    }
    const code = await passThrough(argv);
    // Interrupting --follow is how it ends, not a failure.
    if (code !== 0 && !(args.follow && (code === 130 || code === 143))) {
      throw new HeadroomError(`\`${argv.join(" ")}\` ended with exit code ${code}.`, `The log is in ${describeSource(src)}.`);
    }
  },
});

export default logs;

const upgradeArgs = {
  json: { type: "boolean", description: "Print the outcomes as one JSON object" },
} as const;

/** Hidden: restarts every deployment whose runtime runs another version than this binary. */
export const upgradeRestart = defineCommand({
  meta: { name: "upgrade-restart", description: "Restart, through their supervisors, the deployments whose runtime is not this binary's version, and check each is healthy (the installers run it).", hidden: true },
  args: upgradeArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, upgradeArgs);
    const { VERSION } = await import("../version.ts");
    const { describeOutcome, restartOutdated } = await import("../install/upgrade.ts");
    const outcomes = await restartOutdated();
    const failed = outcomes.filter((o) => o.action === "failed");
    if (args.json) {
      console.log(JSON.stringify({ ok: failed.length === 0, version: VERSION, profiles: outcomes, ...(failed.length ? { code: 1 } : {}) }));
      if (failed.length) process.exit(1);
      return;
    }
    const log = logger();
    if (outcomes.length === 0 && !isQuiet()) log.log("no deployment to restart");
    for (const o of outcomes) {
      if (o.action === "failed") log.error(describeOutcome(o, VERSION));
      else if (!isQuiet()) log.log(describeOutcome(o, VERSION));
    }
    if (failed.length) process.exit(1);
  },
});
