// Reading `launchctl print <domain>/<label>`: a human-readable dump, not a stable format.
// Only the service's own top-level `key = value` lines are taken (nested blocks such as
// `arguments = { ... }` and `environment = { ... }` are skipped).

export interface LaunchdPrint {
  state?: string;
  pid?: number;
  runs?: number;
  /** null when launchd says "(never exited)". */
  lastExitCode?: number | null;
  lastSignal?: string;
  path?: string;
  fields: Record<string, string>;
}

export function parseLaunchctlPrint(text: string): LaunchdPrint {
  const fields: Record<string, string> = {};
  let depth = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (line === "}") { depth = Math.max(0, depth - 1); continue; }
    if (line.endsWith("{")) { depth++; continue; }
    if (depth !== 1) continue;
    const i = line.indexOf(" = ");
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 3);
  }
  const int = (s: string | undefined) => (s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined);
  const exit = fields["last exit code"];
  return {
    state: fields.state,
    pid: int(fields.pid),
    runs: int(fields.runs),
    lastExitCode: exit === undefined ? undefined : /never exited/.test(exit) ? null : (int(exit.split(/[\s:]/)[0]) ?? undefined),
    lastSignal: fields["last terminating signal"],
    path: fields.path,
    fields,
  };
}
