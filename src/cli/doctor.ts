// `headroom doctor [--profile P] [--json]`: every check of src/doctor/checks.ts on one
// screen, each problem with its fix. Exit 0 only when nothing needs fixing (no warning,
// no failure); 1 otherwise. --json prints the report as one object.
import { defineCommand } from "citty";
import type { DoctorReport, Finding } from "../doctor/checks.ts";
import { EXIT } from "../errors.ts";
import { rejectUnknownFlags } from "./args.ts";
import { colorEnabled, paint } from "./color.ts";

const args = {
  profile: { type: "string", valueHint: "profile", description: "Check only this deployment profile" },
  json: { type: "boolean", description: "Print the report as one JSON object" },
} as const;

/** The report as one screen: this machine's findings, then each profile's, each problem followed by its fix. */
function formatDoctor(r: DoctorReport, color = false): string {
  const p = paint(color);
  const mark: Record<Finding["status"], string> = { ok: p.green("ok  "), info: p.dim("info"), warn: p.yellow("warn"), fail: p.red("FAIL") };
  const lines = [p.bold(`headroom doctor (headroom ${r.version}, ${r.binary})`)];
  const groups = new Map<string, Finding[]>();
  for (const f of r.findings) {
    const g = f.profile === undefined ? "" : f.profile;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(f);
  }
  // This machine first, then the profiles in the order they were checked.
  const order = [...groups.keys()].sort((a, b) => (a === "" ? -1 : b === "" ? 1 : 0));
  for (const g of order) {
    lines.push("", p.bold(g === "" ? "this machine" : `profile ${g}`));
    for (const f of groups.get(g)!) {
      lines.push(`  ${mark[f.status]}  ${f.check.padEnd(10)}  ${f.message}`);
      if (f.fix && (f.status === "warn" || f.status === "fail")) lines.push(`  ${" ".repeat(16)}  ${p.cyan("fix:")} ${f.fix}`);
    }
  }
  const { fail, warn } = r.summary;
  lines.push("", r.ok ? p.green("All is well.") : `${fail} problem${fail === 1 ? "" : "s"}, ${warn} warning${warn === 1 ? "" : "s"}; each has its fix above.`);
  return lines.join("\n");
}

export default defineCommand({
  meta: { name: "doctor", description: "Check the whole set-up on one screen: deployments, supervisors, wiring, versions, ports, keys (names only), file modes; each problem with its fix." },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const { runDoctor } = await import("../doctor/checks.ts");
    const { withProgress } = await import("./progress.ts");
    const { isQuiet } = await import("./log.ts");
    const report = await withProgress("Checking deployments, wiring and ports", () => runDoctor({ profile: a.profile, checkModes: process.platform !== "win32" }), { silent: !!a.json || isQuiet() });
    const code = report.ok ? EXIT.ok : EXIT.failure;
    if (a.json) console.log(JSON.stringify({ ...report, code }));
    else if (!isQuiet() || !report.ok) console.log(formatDoctor(report, colorEnabled(process.stdout)));
    if (code !== EXIT.ok) process.exit(code);
  },
});
