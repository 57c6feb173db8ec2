// The seam between the install executor and the tool-wiring adapters (scopes and
// provider edits). Until the adapters land, wiring changes nothing and says so.
import type { OsName } from "../host/platform.ts";
import type { ChangeRecord, Scope } from "./manifest.ts";
import { type ToolName, TOOL_NAMES, isToolName } from "../tools/registry.ts";
import { UsageError } from "../errors.ts";

type Env = Record<string, string | undefined>;

export interface WiringRequest {
  scope: Scope;
  providers: "auto" | "all" | "manual";
  targets: string[];
  port: number;
  host: string;
  os: OsName;
  home: string;
  env: Env;
  /** Where backups of edited files go (the profile folder). */
  profileDir: string;
  isRoot: boolean;
}

export interface PlannedEdit {
  path: string;
  /** Current content (null when the file does not exist). */
  before: string | null;
  after: string;
}

export interface WiringPlan {
  targets: ToolName[];
  files: PlannedEdit[];
  commands: string[][];
}

/** Resolves --providers/--target into the list of tools. Unknown names are a usage error. */
export function resolveTargets(req: WiringRequest): ToolName[] {
  if (req.providers === "manual") {
    const out: ToolName[] = [];
    for (const t of req.targets) {
      if (!isToolName(t)) throw new UsageError(`Unknown target "${t}"; supported targets are ${TOOL_NAMES.join(", ")}.`);
      if (!out.includes(t)) out.push(t);
    }
    if (out.length === 0) throw new UsageError("--providers manual needs at least one --target.");
    return out;
  }
  if (req.providers === "all") return [...TOOL_NAMES];
  return ["claude", "codex"];
}

/** Reads and parses every file the wiring would change; throws before anything is written. */
export async function planWiring(req: WiringRequest): Promise<WiringPlan> {
  return { targets: resolveTargets(req), files: [], commands: [] };
}

/**
 * Applies the planned wiring, one file at a time. `persist` is called with the records
 * so far before each file is replaced (write-ahead, so a crash between writes can still
 * be undone by `remove`) and once more at the end. Returns one record per changed file.
 */
export async function applyWiring(_req: WiringRequest, _persist: (records: ChangeRecord[]) => Promise<void>): Promise<ChangeRecord[]> {
  return [];
}

/** Reverts recorded changes; each failure is reported and the rest still run. */
export async function revertWiring(records: ChangeRecord[]): Promise<{ reverted: ChangeRecord[]; failed: { record: ChangeRecord; error: string }[] }> {
  return { reverted: records, failed: [] };
}

/** One line per managed edit the user reverted or changed since apply. */
export async function wiringDrift(_records: ChangeRecord[]): Promise<string[]> {
  return [];
}
