// `headroom install status`: one profile or all of them, as text or JSON. Exit code 0
// only when every profile shown is healthy; 3 when there is no such profile, 4 when it is
// stopped, 5 when it runs but is not healthy (src/cli/exit-codes.ts). Free of citty, so
// that the executable can answer the most frequent command without loading the CLI
// library (see parseStatusArgv).
import { statusExitCode } from "../doctor/status-code.ts";
import { EXIT, HeadroomError, UsageError } from "../errors.ts";
import type { StatusReport } from "../install/status.ts";

export interface StatusOptions {
  profile?: string;
  all?: boolean;
  json?: boolean;
  /** Print nothing; the exit code says it all. */
  quiet?: boolean;
}

/**
 * The plain forms of `install status` options (`--profile P`, `--profile=P`, `--all`,
 * `--json`, each at most once), or null for anything else (help, an unknown flag, a
 * stray word), which the full command parser then handles with its own messages.
 */
export function parseStatusArgv(argv: string[]): StatusOptions | null {
  const opts: StatusOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === "--all" || a === "--json") && opts[a === "--all" ? "all" : "json"] === undefined) {
      opts[a === "--all" ? "all" : "json"] = true;
      continue;
    }
    if (opts.profile !== undefined) return null;
    let value: string | undefined;
    if (a === "--profile") value = argv[++i];
    else if (a.startsWith("--profile=")) value = a.slice("--profile=".length);
    else return null;
    if (!value || value.startsWith("-")) return null;
    opts.profile = value;
  }
  return opts;
}

/** For --all: a broken manifest is a failure, then the worst of unhealthy and stopped. */
export function worstCode(codes: number[]): number {
  for (const c of [EXIT.failure, EXIT.unhealthy, EXIT.stopped]) if (codes.includes(c)) return c;
  return codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}

export async function runInstallStatus(args: StatusOptions): Promise<void> {
  if (args.all && args.profile) throw new UsageError("Use either --profile or --all, not both.");
  // The status module (supervisor, port probe) is read only once there is a manifest.
  const loadStatus = () => import("../install/status.ts");
  const print = (s: string) => {
    if (!args.quiet) console.log(s);
  };
  if (args.all) {
    const store = await import("../install/store.ts");
    const entries = store.listManifestEntries();
    if (entries.length === 0) {
      const none = new HeadroomError("No deployment profiles.", "Create one with `headroom install apply`.", EXIT.notInstalled);
      if (args.json) print(JSON.stringify({ ok: false, error: none.message, code: none.exitCode, profiles: [], errors: [] }));
      else if (!args.quiet) throw none;
      process.exit(none.exitCode);
    }
    const { deploymentStatus, formatStatus } = await loadStatus();
    const reports: (StatusReport & { code: number })[] = [];
    const broken: { profile: string; error: string }[] = [];
    for (const e of entries) {
      if (e.manifest) {
        const r = await deploymentStatus(e.manifest);
        reports.push({ ...r, code: await statusExitCode(r) });
      } else broken.push({ profile: e.profile, error: e.error ?? "unreadable" });
    }
    const code = worstCode([...reports.map((r) => r.code), ...broken.map(() => EXIT.failure)]);
    if (args.json) print(JSON.stringify({ ok: code === EXIT.ok, code, profiles: reports, errors: broken }));
    else {
      for (const r of reports) print(formatStatus(r));
      for (const b of broken) print(`profile ${b.profile}: ${b.error}`);
    }
    if (code !== EXIT.ok) process.exit(code);
    return;
  }
  const { readManifest } = await import("../install/manifest-read.ts");
  const m = await readManifest(args.profile ?? "default");
  const { deploymentStatus, formatStatus } = await loadStatus();
  const r = await deploymentStatus(m);
  const code = await statusExitCode(r);
  print(args.json ? JSON.stringify({ ok: code === EXIT.ok, code, ...r }) : formatStatus(r));
  if (code !== EXIT.ok) process.exit(code);
}
