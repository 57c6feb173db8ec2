// Configuration drift: which managed edits the user reverted or changed since apply.
// Kept apart from wiring.ts so `install status` does not load the tool adapters.
import { fileDrift } from "../edits/engine.ts";
import type { ChangeRecord } from "../edits/record.ts";
import { WINDOWS_ENV_ADAPTER } from "./scopes/windows-env.ts";

/** One line per managed edit the user reverted or changed since apply. */
export async function wiringDrift(records: ChangeRecord[]): Promise<string[]> {
  const lines: string[] = [];
  for (const r of records) {
    if (r.adapter === WINDOWS_ENV_ADAPTER) continue; // needs a Windows host to read; not checked
    lines.push(...(await fileDrift(r)));
  }
  return lines;
}
