// Whether the runtime answering for a deployment runs another version than this binary:
// after an upgrade the supervisor keeps running the old program until it restarts.
// `install status` prints the line; `headroom doctor` can use runtimeSkew() for its own.
import { VERSION } from "../version.ts";

export type SkewKind = "same" | "older" | "newer" | "other";

export interface VersionSkew {
  kind: SkewKind;
  runtime: string;
  binary: string;
  /** The sentence for status and doctor; absent when the versions are the same. */
  message?: string;
  /** The command that fixes it (none for a runtime newer than the binary). */
  fix?: string;
}

function parse(v: string): { core: number[]; pre: string[] } | null {
  const m = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) return null;
  return { core: m[1]!.split(".").map(Number), pre: m[2] ? m[2].split(".") : [] };
}

/**
 * Semantic-version precedence: -1, 0 or 1, or null when either is not a version. A
 * pre-release comes before its release (1.2.0-rc.1 < 1.2.0); build metadata (+...) does
 * not order.
 */
export function compareVersions(a: string, b: string): number | null {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return null;
  for (let i = 0; i < Math.max(pa.core.length, pb.core.length); i++) {
    const d = (pa.core[i] ?? 0) - (pb.core[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (!pa.pre.length || !pb.pre.length) return pa.pre.length === pb.pre.length ? 0 : pa.pre.length ? -1 : 1;
  for (let i = 0; i < Math.max(pa.pre.length, pb.pre.length); i++) {
    const x = pa.pre[i];
    const y = pb.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : null;
    const ny = /^\d+$/.test(y) ? Number(y) : null;
    if (nx !== null && ny !== null) return Math.sign(nx - ny);
    if (nx !== null) return -1;
    if (ny !== null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The runtime's version (its /health `version`) against this binary's. `profile` names
 * the deployment in the fix; `docker`: the runtime is a container, whose version is the
 * image's, so a restart does not change it.
 */
export function runtimeSkew(runtime: string, opts: { binary?: string; profile?: string; port?: number; docker?: boolean } = {}): VersionSkew {
  const binary = opts.binary ?? VERSION;
  if (runtime === binary) return { kind: "same", runtime, binary };
  const c = compareVersions(runtime, binary);
  const kind: SkewKind = c === null || c === 0 ? "other" : c < 0 ? "older" : "newer";
  const on = opts.port ? ` on port ${opts.port}` : "";
  const flag = opts.profile && opts.profile !== "default" ? ` --profile ${opts.profile}` : "";
  const word = kind === "older" ? "older than" : kind === "newer" ? "newer than" : "another build than";
  const message = `The runtime${on} is headroom ${runtime}, ${word} this binary (${binary})`;
  if (opts.docker) {
    return { kind, runtime, binary, message: `${message}: it runs the container's image.`, fix: `headroom install apply${flag} --image <an image of ${binary}>` };
  }
  if (kind === "newer") return { kind, runtime, binary, message: `${message}: a newer headroom started it; check which headroom is first on PATH.` };
  const fix = `headroom install restart${flag}`;
  return { kind, runtime, binary, message: `${message}: it still runs the program it started with; \`${fix}\` switches it to ${binary}.`, fix };
}
