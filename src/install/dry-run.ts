// `apply --dry-run`: the executor's plan printed instead of carried out. The same
// renderers the executor uses produce the files and commands; nothing is written.
import { posix, win32 } from "node:path";
import { readIfExists } from "../host/fs.ts";
import { hostOs } from "../host/platform.ts";
import type { Prepared } from "./apply.ts";
import { unifiedDiff } from "./diff.ts";
import type { Manifest } from "./manifest.ts";
import { maskManifest, maskText } from "./secrets.ts";

export interface DryRunPlan {
  manifest: Manifest;
  files: { path: string; content: string }[];
  commands: string[][];
  /** Current content per path (null = new), for the text form's diffs. Not in the JSON form. */
  before: Map<string, string | null>;
}

function text(content: string | Uint8Array): string {
  if (typeof content === "string") return content;
  if (content[0] === 0xff && content[1] === 0xfe) return new TextDecoder("utf-16le").decode(content.subarray(2));
  return new TextDecoder().decode(content);
}

/** Absolute on either kind of OS: a Windows plan rendered on Linux still has `C:\\...` paths. */
export function isAbsoluteAnyOs(path: string): boolean {
  return win32.isAbsolute(path) || posix.isAbsolute(path);
}

export function buildDryRun(p: Prepared): DryRunPlan {
  const sup = p.sup.render(p.ctx);
  const before = new Map<string, string | null>();
  const files: DryRunPlan["files"] = [];
  for (const e of p.wiring.files) {
    files.push({ path: e.path, content: e.after });
    before.set(e.path, e.before);
  }
  for (const f of sup.files) {
    files.push({ path: f.path, content: text(f.content) });
    // Only this machine's own plan is compared with what is on disk.
    const cur = isAbsoluteAnyOs(f.path) && p.ctx.os === hostOs() ? readIfExists(f.path) : null;
    before.set(f.path, cur ? cur.toString("utf8") : null);
  }
  return { manifest: p.manifest, files, commands: [...p.wiring.commands, ...sup.commands], before };
}

export interface ShowOptions {
  /** Print the --env values (hidden by default: they may be API keys). */
  showSecrets?: boolean;
}

/** The plan with every --env value hidden, in the manifest and wherever a file or command would carry one. */
export function maskPlan(plan: DryRunPlan): DryRunPlan {
  const m = plan.manifest;
  const before = new Map([...plan.before].map(([k, v]) => [k, v === null ? null : maskText(v, m)]));
  return {
    manifest: maskManifest(m),
    files: plan.files.map((f) => ({ path: f.path, content: maskText(f.content, m) })),
    commands: plan.commands.map((c) => c.map((w) => maskText(w, m))),
    before,
  };
}

export function dryRunJson(plan: DryRunPlan, opts: ShowOptions = {}): string {
  const p = opts.showSecrets ? plan : maskPlan(plan);
  return JSON.stringify({ manifest: p.manifest, files: p.files, commands: p.commands });
}

export function dryRunText(input: DryRunPlan, warnings: string[], opts: ShowOptions = {}): string {
  const plan = opts.showSecrets ? input : maskPlan(input);
  const out: string[] = [`Dry run for profile "${plan.manifest.profile}" (${plan.manifest.preset}, ${plan.manifest.os}); nothing was changed.`, ""];
  for (const w of warnings) out.push(`note: ${w}`);
  out.push("Files:");
  if (plan.files.length === 0) out.push("  (none)");
  for (const f of plan.files) {
    const d = unifiedDiff(f.path, plan.before.get(f.path) ?? null, f.content);
    out.push(d ? d.trimEnd() : `  ${f.path} (unchanged)`);
    out.push("");
  }
  out.push("Commands:");
  if (plan.commands.length === 0) out.push("  (none)");
  for (const c of plan.commands) out.push(`  ${c.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w))).join(" ")}`);
  out.push("", "Manifest:", JSON.stringify(plan.manifest, null, 2));
  return out.join("\n");
}
