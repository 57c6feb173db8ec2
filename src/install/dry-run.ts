// `apply --dry-run`: the plan the executor would carry out, printed instead: the wiring's
// files and commands, then the supervisor's steps exactly as `install apply` runs them
// (the same Plan object; nothing is written).
import { posix, win32 } from "node:path";
import { readIfExists } from "../host/fs.ts";
import { hostOs } from "../host/platform.ts";
import type { PreparedApply } from "./apply.ts";
import { unifiedDiff } from "./diff.ts";
import type { Manifest } from "./manifest.ts";
import { maskManifest, maskText } from "./secrets.ts";
import { type Step, commandsOf, stepJson, writesOf } from "./steps.ts";

export interface DryRunPlan {
  manifest: Manifest;
  files: { path: string; content: string }[];
  /** Every argument vector, in order: the wiring's, then the supervisor's steps'. */
  commands: string[][];
  /** The supervisor's steps as JSON, in the order apply carries them out. */
  steps: Record<string, unknown>[];
  /** Current content per path (null = new), for the text form's diffs. Not in the JSON form. */
  before: Map<string, string | null>;
  /** Text a step feeds on standard input, with what it replaces (a crontab), for the text form. */
  inputs: { what: string; before: string | null; after: string }[];
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

export function buildDryRun(p: PreparedApply): DryRunPlan {
  const plan = p.sup.install(p.ctx);
  const before = new Map<string, string | null>();
  const files: DryRunPlan["files"] = [];
  for (const e of p.wiring.files) {
    files.push({ path: e.path, content: e.after });
    before.set(e.path, e.before);
  }
  for (const f of writesOf(plan)) {
    files.push({ path: f.path, content: text(f.content) });
    // Only this machine's own plan is compared with what is on disk.
    const cur = isAbsoluteAnyOs(f.path) && p.ctx.os === hostOs() ? readIfExists(f.path) : null;
    before.set(f.path, cur ? cur.toString("utf8") : null);
  }
  const inputs = plan.steps.flatMap((s) => (s.do === "run" && s.stdin ? [{ what: s.stdin.what, before: s.stdin.replaces, after: s.stdin.text }] : []));
  return { manifest: p.manifest, files, commands: [...p.wiring.commands, ...commandsOf(plan)], steps: plan.steps.map(stepJson), before, inputs };
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
    steps: plan.steps.map((s) => JSON.parse(maskText(JSON.stringify(s), m)) as Record<string, unknown>),
    before,
    inputs: plan.inputs.map((i) => ({ what: i.what, before: i.before === null ? null : maskText(i.before, m), after: maskText(i.after, m) })),
  };
}

export function dryRunJson(plan: DryRunPlan, opts: ShowOptions = {}): string {
  const p = opts.showSecrets ? plan : maskPlan(plan);
  return JSON.stringify({ manifest: p.manifest, files: p.files, commands: p.commands, steps: p.steps });
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
  for (const i of plan.inputs) {
    out.push(unifiedDiff(i.what, i.before, i.after)?.trimEnd() ?? `  ${i.what} (unchanged)`, "");
  }
  out.push("Steps, in the order apply carries them out:");
  const wiring = plan.commands.slice(0, plan.commands.length - plan.steps.filter((s) => s.do === "run").length);
  if (wiring.length === 0 && plan.steps.length === 0) out.push("  (none)");
  for (const c of wiring) out.push(`  ${words(c)}`);
  for (const s of plan.steps) out.push(`  ${describeStep(s)}`);
  out.push("", "Manifest:", JSON.stringify(plan.manifest, null, 2));
  return out.join("\n");
}

const words = (argv: unknown): string => (Array.isArray(argv) ? argv.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(String(w)) ? String(w) : JSON.stringify(w))).join(" ") : "");

/** One line per step, in the order apply carries them out. */
function describeStep(s: Record<string, unknown>): string {
  switch (s.do as Step["do"]) {
    case "write":
      return `write ${s.path} (mode ${s.mode})`;
    case "remove":
      return `remove ${s.path}`;
    case "mkdir":
      return `create the folder ${s.path}`;
    case "stop-runtime":
      return "stop the watchdog's runtime (its pid file)";
    case "ensure-runtime":
      return "start the runtime as the watchdog does (`install agent ensure`) and wait until it is healthy";
    case "wait-port-free":
      return `wait until port ${s.port} is free`;
    case "run": {
      const notes: string[] = [];
      const ok = s.ok as number[];
      if (ok.length !== 1 || ok[0] !== 0) notes.push(`exit ${ok.join(", ")} is fine`);
      if (s.alsoOk) notes.push(`fine when ${s.alsoOk}`);
      const retry = s.retry as { codes: number[]; forMs: number } | undefined;
      if (retry) notes.push(`retried on exit ${retry.codes.join(", ")} for ${retry.forMs / 1000} s`);
      const otherwise = s.otherwise as { codes: number[]; then: Record<string, unknown> } | undefined;
      if (otherwise) notes.push(`on exit ${otherwise.codes.join(", ")}: ${words(otherwise.then.argv)}`);
      if (s.onFail === "ignore") notes.push("a failure is ignored");
      if (s.onFail === "warn") notes.push("a failure is a warning");
      if (s.stdin !== undefined) notes.push("input shown above");
      return `${words(s.argv)}${notes.length ? `  (${notes.join("; ")})` : ""}`;
    }
  }
  return JSON.stringify(s);
}
