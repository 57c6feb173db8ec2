// Talking to schtasks.exe: its argument vectors, how its failures read, and its
// `/Query /V /FO CSV` and `/Query /XML` answers. Pure, so the tests can feed it the
// tools' real output.
import { HeadroomError } from "../../errors.ts";
import { unescapeXmlText } from "./xml-text.ts";
import type { CommandResult } from "../../host/exec.ts";

export const createArgv = (name: string, file: string) => ["schtasks", "/Create", "/TN", name, "/XML", file, "/F"];
export const runArgv = (name: string) => ["schtasks", "/Run", "/TN", name];
export const endArgv = (name: string) => ["schtasks", "/End", "/TN", name];
export const deleteArgv = (name: string) => ["schtasks", "/Delete", "/TN", name, "/F"];
export const enableArgv = (name: string, on: boolean) => ["schtasks", "/Change", "/TN", name, on ? "/ENABLE" : "/DISABLE"];
export const queryCsvArgv = (name: string) => ["schtasks", "/Query", "/TN", name, "/V", "/FO", "CSV"];
export const queryXmlArgv = (name: string) => ["schtasks", "/Query", "/TN", name, "/XML"];

/** Last Result codes that are not failures. */
export const SCHED_S_TASK_RUNNING = 0x41301;
export const SCHED_S_TASK_HAS_NOT_RUN = 0x41303;
export const SCHED_S_TASK_TERMINATED = 0x41306;

function text(r: CommandResult): string {
  return `${r.stderr}\n${r.stdout}`;
}

export function isAccessDenied(r: CommandResult): boolean {
  return /access is denied|0x80070005|E_ACCESSDENIED/i.test(text(r));
}

/** "The system cannot find the file specified" / "does not exist": the task is not registered. */
export function isTaskMissing(r: CommandResult): boolean {
  return /cannot find the (file|path) specified|does not exist|0x80070002/i.test(text(r));
}

export function isNotRunning(r: CommandResult): boolean {
  return /is not running|not currently running|0x8004130[45]/i.test(text(r));
}

export function accessDeniedError(name: string): HeadroomError {
  return new HeadroomError(`Task Scheduler denied access to the task "${name}", which needs administrator rights: run the command again from a terminal opened with "Run as administrator".`);
}

/** A failed schtasks call as one sentence; access denied always reads the same. */
export function schtasksError(argv: string[], name: string, r: CommandResult): HeadroomError {
  if (isAccessDenied(r)) return accessDeniedError(name);
  const why = (r.stderr.trim() || r.stdout.trim()).split(/\r?\n/)[0]?.replace(/^ERROR:\s*/, "").trim() || `exit code ${r.code}`;
  return new HeadroomError(`\`${argv.join(" ")}\` failed: ${why.replace(/\.$/, "")}.`);
}

/** RFC 4180 CSV (schtasks quotes every field and doubles inner quotes). */
export function parseCsv(input: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let any = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"') {
        if (input[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"') { quoted = true; any = true; continue; }
    if (c === ",") { row.push(field); field = ""; any = true; continue; }
    if (c === "\r") continue;
    if (c === "\n") {
      if (any || field !== "") { row.push(field); rows.push(row); }
      row = []; field = ""; any = false;
      continue;
    }
    field += c;
    any = true;
  }
  if (any || field !== "") { row.push(field); rows.push(row); }
  return rows;
}

export interface TaskQuery {
  status?: string;
  lastRunTime?: string;
  /** Last Result as a number (schtasks prints it in decimal). */
  lastResult?: number;
  nextRunTime?: string;
  taskToRun?: string;
  fields: Record<string, string>;
}

/** The first data row of `/Query /V /FO CSV` keyed by its header (a task with several triggers gives several rows). */
export function parseQueryCsv(stdout: string): TaskQuery | null {
  const rows = parseCsv(stdout);
  const header = rows[0];
  const data = rows.find((r, i) => i > 0 && r.join(",") !== header?.join(","));
  if (!header || !data) return null;
  const fields: Record<string, string> = {};
  header.forEach((h, i) => { fields[h.trim()] = (data[i] ?? "").trim(); });
  const n = fields["Last Result"];
  const lastResult = n === undefined || n === "" ? undefined : /^-?\d+$/.test(n) ? Number(n) >>> 0 : /^0x[0-9a-f]+$/i.test(n) ? Number.parseInt(n, 16) : undefined;
  return { status: fields.Status, lastRunTime: fields["Last Run Time"], lastResult, nextRunTime: fields["Next Run Time"], taskToRun: fields["Task To Run"], fields };
}

export function isFailureResult(code: number | undefined): boolean {
  return code !== undefined && code !== 0 && code !== SCHED_S_TASK_RUNNING && code !== SCHED_S_TASK_HAS_NOT_RUN && code !== SCHED_S_TASK_TERMINATED;
}

export const hex = (code: number) => `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;

/** The registered action from `/Query /XML` (command and arguments of the first Exec). */
export function parseRegisteredAction(xml: string): { command?: string; arguments?: string; enabled?: boolean } {
  const exec = /<Exec>([\s\S]*?)<\/Exec>/.exec(xml)?.[1] ?? "";
  const pick = (tag: string, from: string) => {
    const v = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(from)?.[1];
    return v === undefined ? undefined : unescapeXmlText(v);
  };
  const settings = /<Settings>([\s\S]*?)<\/Settings>/.exec(xml)?.[1] ?? "";
  const enabled = pick("Enabled", settings.replace(/<IdleSettings>[\s\S]*?<\/IdleSettings>/, ""));
  return { command: pick("Command", exec), arguments: pick("Arguments", exec) ?? "", enabled: enabled === undefined ? undefined : enabled === "true" };
}
