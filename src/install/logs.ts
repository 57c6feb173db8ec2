// Where a deployment's log is, and reading it. Each supervisor keeps it in its own place:
//
//   systemd service         the journal (StandardOutput=journal, SyslogIdentifier=headroom-<p>);
//                           the journal rotates it
//   docker (the engine)     the container's log: `docker logs headroom-<p>`
//   launchd, Task Scheduler, cron, a systemd timer's watchdog
//                           runner.log in the profile folder, trimmed by headroom
//
// `headroom install logs` reads it from there: journalctl and docker logs are run with
// the argv below; a file is read (and followed) here.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { runnerLogPath } from "../paths.ts";
import type { Manifest } from "./manifest.ts";
import { containerName } from "./docker-argv.ts";

import { type AdapterName, recordedAdapterName } from "./table.ts";
import type { Env } from "../host/env.ts";

export type LogSource =
  | {
      kind: "journal";
      /** SYSLOG_IDENTIFIER of the unit's lines. */
      identifier: string;
      unit: string;
      scope: Manifest["scope"];
      /** The user whose lines are shown (user scope): the journal's _UID. */
      uid?: number;
    }
  | { kind: "docker"; container: string }
  | {
      kind: "file";
      path: string;
      /** Which supervisor writes it, for messages. */
      writer: string;
      /** Set when a systemd unit of an older headroom still appends here. */
      legacyUnit?: string;
    };

export interface ReadOptions {
  /** How many of the last lines; undefined: all of them. */
  lines?: number;
  follow?: boolean;
}

/** The default of `install logs -n`. */
export const DEFAULT_LINES = 50;

function unitFile(m: Manifest): string | undefined {
  const s = m.supervisorState;
  const dir = s.kind === "systemd" ? s.unitDir : undefined;
  return dir ? join(dir, `headroom-${m.profile}.service`) : undefined;
}

/** Whether the deployment's installed unit still appends to runner.log (rendered by an older headroom). */
function unitAppendsToFile(m: Manifest): boolean {
  const file = unitFile(m);
  if (!file || !existsSync(file)) return false;
  try {
    return /^StandardOutput=append:/m.test(readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

/** Who writes runner.log, for the adapters whose log is that file. */
const WRITERS: Record<Exclude<AdapterName, "systemd-service" | "docker">, string> = {
  "launchd-keepalive": "launchd (StandardOutPath)",
  "launchd-interval": "launchd (StandardOutPath)",
  "windows-task-service": "the Task Scheduler runtime",
  "windows-task-watchdog": "the Task Scheduler runtime",
  cron: "cron's watchdog",
  "systemd-timer": "the systemd watchdog",
};

/** Where this deployment's supervisor keeps its log. */
export function logSource(m: Manifest, env: Env = process.env, uid: number | undefined = process.getuid?.()): LogSource {
  const adapter = recordedAdapterName(m);
  if (adapter === "docker") return { kind: "docker", container: containerName(m.profile) };
  const path = runnerLogPath(m.profile, { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir });
  if (adapter === "systemd-service") {
    const unit = `headroom-${m.profile}.service`;
    if (unitAppendsToFile(m)) return { kind: "file", path, writer: `the unit ${unit}`, legacyUnit: unit };
    return { kind: "journal", identifier: `headroom-${m.profile}`, unit, scope: m.scope, ...(m.scope !== "system" && uid !== undefined ? { uid } : {}) };
  }
  return { kind: "file", path, writer: WRITERS[adapter] };
}

/**
 * The command that shows a journal or docker source. journalctl matches the unit's
 * SYSLOG_IDENTIFIER (present whether or not the journal knows the unit, which it does
 * not where systemd runs without cgroups) and, for a user service, the user's _UID, so
 * another user's profile of the same name is not shown. Without --user: journald keeps
 * the lines of root and of system users in the system journal, which `--user` skips.
 */
export function logArgv(src: Exclude<LogSource, { kind: "file" }>, opts: ReadOptions): string[] {
  const n = opts.lines === undefined ? "all" : String(opts.lines);
  if (src.kind === "docker") {
    return ["docker", "logs", "--tail", n, ...(opts.follow ? ["--follow"] : []), src.container];
  }
  return [
    "journalctl", "--no-pager", "--output", "cat", "--lines", n, ...(opts.follow ? ["--follow"] : []),
    "--identifier", src.identifier, ...(src.uid !== undefined ? [`_UID=${src.uid}`] : []),
  ];
}

/** One line for humans: where the log is and the supervisor's own command for it. */
export function describeSource(src: LogSource): string {
  if (src.kind === "journal") {
    const native = src.scope === "system" ? `journalctl -u ${src.unit}` : `journalctl --user -u ${src.unit}`;
    return `the journal (\`${native}\`, or \`journalctl -t ${src.identifier}\`)`;
  }
  if (src.kind === "docker") return `the container's log (\`docker logs ${src.container}\`)`;
  return `${src.path}, written by ${src.writer}${src.legacyUnit ? ` (a unit of an older headroom; \`headroom install apply\` moves it to the journal)` : ""}`;
}

/** The source as JSON for `install logs --json`. */
export function sourceJson(src: LogSource, opts: ReadOptions): Record<string, unknown> {
  if (src.kind === "file") return { kind: "file", path: src.path, ...(src.legacyUnit ? { legacyUnit: src.legacyUnit } : {}) };
  return { ...src, argv: logArgv(src, opts) };
}

// ---- files -----------------------------------------------------------------------------

/** The last `n` lines of the file (all when n is undefined), reading backwards in chunks; [] when it does not exist. */
export function tailLines(path: string, n?: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    if (n === undefined) return splitLines(readFileSync(path, "utf8"));
    if (n <= 0) return [];
    const chunk = 64 * 1024;
    let pos = size;
    let buf = Buffer.alloc(0);
    // n lines need n newlines before them (or the start of the file), plus a final one.
    while (pos > 0 && countNewlines(buf) <= n) {
      const len = Math.min(chunk, pos);
      pos -= len;
      const part = Buffer.alloc(len);
      readSync(fd, part, 0, len, pos);
      buf = Buffer.concat([part, buf]);
    }
    const lines = splitLines(buf.toString("utf8"));
    // The first one may be cut in the middle when the read did not reach the start.
    if (pos > 0 && lines.length > n) lines.shift();
    return lines.slice(-n);
  } finally {
    closeSync(fd);
  }
}

function countNewlines(b: Buffer): number {
  let c = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) c++;
  return c;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export interface FollowHandle {
  stop(): void;
  /** Resolves once stopped. */
  done: Promise<void>;
}

/**
 * Prints what is appended to `path` from its current end, as `tail -F` would: a file
 * that appears later is read from its start; one trimmed in place (headroom keeps
 * runner.log bounded that way) is read on from its new end.
 */
export function followFile(path: string, write: (chunk: string) => void, pollMs = 200): FollowHandle {
  let offset = existsSync(path) ? statSync(path).size : 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (!stopped) {
      let size = -1;
      try {
        size = statSync(path).size;
      } catch {
        offset = 0;
      }
      if (size >= 0 && size < offset) offset = size;
      if (size > offset) {
        const fd = openSync(path, "r");
        try {
          const buf = Buffer.alloc(size - offset);
          const got = readSync(fd, buf, 0, buf.length, offset);
          offset += got;
          write(buf.subarray(0, got).toString("utf8"));
        } finally {
          closeSync(fd);
        }
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, pollMs);
      });
    }
  })();
  return {
    stop() {
      stopped = true;
      wake?.();
    },
    done,
  };
}

// ---- the hint in error messages --------------------------------------------------------

/**
 * The last lines of the deployment's log for a failure message ("did not become
 * healthy"), from wherever its supervisor keeps it, or the command that shows them.
 */
export function logTailHint(m: Manifest, env: Env = process.env, n = 12): string {
  const src = logSource(m, env);
  const command = `\`headroom install logs --profile ${m.profile}\``;
  if (src.kind === "file") {
    if (!existsSync(src.path)) return `${src.path} does not exist.`;
    const lines = tailLines(src.path, n);
    return lines.length ? `Last lines of ${src.path}:\n${lines.map((l) => `  ${l}`).join("\n")}` : `${src.path} is empty.`;
  }
  if (src.kind === "docker") return `See the container's output with \`docker logs ${src.container}\`.`;
  const r = Bun.spawnSync(logArgv(src, { lines: n }), { env: env as Record<string, string>, stdout: "pipe", stderr: "ignore", timeout: 5000 });
  const lines = r.exitCode === 0 ? splitLines(r.stdout.toString()).filter((l) => !/^-- No entries --$/.test(l)) : [];
  return lines.length
    ? `Last lines in the journal (${command} shows more):\n${lines.map((l) => `  ${l}`).join("\n")}`
    : `See ${command} (the unit logs to the journal).`;
}
