// `headroom install status`: one profile or all of them, as text or JSON; exit 0 only
// when every profile shown is healthy. Free of citty, so that the executable can answer
// the most frequent command without loading the CLI library (see parseStatusArgv).
import { UsageError } from "../errors.ts";

export interface StatusOptions {
  profile?: string;
  all?: boolean;
  json?: boolean;
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

export async function runInstallStatus(args: StatusOptions): Promise<void> {
  if (args.all && args.profile) throw new UsageError("Use either --profile or --all, not both.");
  // The status module (supervisor, port probe) is read only once there is a manifest.
  const loadStatus = () => import("../install/status.ts");
  if (args.all) {
    const store = await import("../install/store.ts");
    const entries = store.listManifestEntries();
    const { deploymentStatus, formatStatus } = await loadStatus();
    const reports = [];
    const broken: { profile: string; error: string }[] = [];
    for (const e of entries) {
      if (e.manifest) reports.push(await deploymentStatus(e.manifest));
      else broken.push({ profile: e.profile, error: e.error ?? "unreadable" });
    }
    if (args.json) console.log(JSON.stringify({ profiles: reports, errors: broken }));
    else {
      if (entries.length === 0) console.log("No deployment profiles.");
      for (const r of reports) console.log(formatStatus(r));
      for (const b of broken) console.log(`profile ${b.profile}: ${b.error}`);
    }
    if (entries.length === 0 || broken.length || reports.some((r) => !r.healthy)) process.exit(1);
    return;
  }
  const { readManifest } = await import("../install/manifest-read.ts");
  const m = await readManifest(args.profile ?? "default");
  const { deploymentStatus, formatStatus } = await loadStatus();
  const r = await deploymentStatus(m);
  console.log(args.json ? JSON.stringify(r) : formatStatus(r));
  if (!r.healthy) process.exit(1);
}
