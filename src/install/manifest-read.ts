// Reads one profile's manifest through Bun.file, without loading node:fs: `install status`
// for a profile that does not exist then loads neither node:fs nor the schema. Same
// results and errors as store.ts's loadManifest: a folder in the manifest's place, or a
// workspace that is a file, is reported as such, not as a missing profile.
import { manifestPath } from "../paths.ts";
import type { Manifest } from "./manifest.ts";
import { checkProfileName, missingProfileError } from "./manifest-errors.ts";

import type { Env } from "../host/env.ts";

export async function readManifest(profile: string, env: Env = process.env): Promise<Manifest> {
  checkProfileName(profile);
  const path = manifestPath(profile, env);
  const file = Bun.file(path);
  // Asking first is cheaper than a failed read (about 0.03 ms against 0.3 to 1 ms), and
  // a missing profile is what `install status` most often meets.
  if (!(await file.exists())) throw await whyMissing(profile, path, env);
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw missingProfileError(profile, path);
    const { explainPathError } = await import("../host/path-check.ts");
    throw explainPathError(err, path, env) ?? err;
  }
  const { parseManifest } = await import("./manifest-parse.ts");
  // Like Buffer#toString: a byte order mark is kept (and then fails JSON.parse).
  return parseManifest(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes), path);
}

/**
 * Bun.file(...).exists() is false for a folder too, and for a path under a file: those
 * get their own sentence (path-check.ts). Only this rare path pays for the stat.
 */
async function whyMissing(profile: string, path: string, env: Env): Promise<Error> {
  try {
    const st = await Bun.file(path).stat();
    if (st.isDirectory()) {
      const { explainPathError } = await import("../host/path-check.ts");
      return explainPathError(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), path, env) ?? missingProfileError(profile, path);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") {
      const { explainPathError } = await import("../host/path-check.ts");
      return explainPathError(err, path, env) ?? missingProfileError(profile, path);
    }
  }
  return missingProfileError(profile, path);
}
