// Reads one profile's manifest through Bun.file, without loading node:fs: `install status`
// for a profile that does not exist then loads neither node:fs nor the schema. Same
// results and errors as store.ts's loadManifest, except that a directory in the
// manifest's place reads as no manifest (loadManifest reports EISDIR).
import { manifestPath } from "../paths.ts";
import type { Manifest } from "./manifest.ts";
import { checkProfileName, missingProfileError } from "./manifest-errors.ts";

type Env = Record<string, string | undefined>;

export async function readManifest(profile: string, env: Env = process.env): Promise<Manifest> {
  checkProfileName(profile);
  const path = manifestPath(profile, env);
  const file = Bun.file(path);
  // Asking first is cheaper than a failed read (about 0.03 ms against 0.3 to 1 ms), and
  // a missing profile is what `install status` most often meets.
  if (!(await file.exists())) throw missingProfileError(profile, path);
  let bytes: ArrayBuffer;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw missingProfileError(profile, path);
    throw err;
  }
  const { parseManifest } = await import("./manifest-parse.ts");
  // Like Buffer#toString: a byte order mark is kept (and then fails JSON.parse).
  return parseManifest(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes), path);
}
