// Turning manifest text into a Manifest (or a CorruptManifestError naming the file).
// No file access here (see store.ts, manifest-read.ts).
import * as v from "valibot";
import { type Manifest, ManifestSchema } from "./manifest.ts";
import { CorruptManifestError } from "./manifest-errors.ts";

export function parseManifest(text: string, path: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CorruptManifestError(path, `not JSON: ${(err as Error).message}`);
  }
  const res = v.safeParse(ManifestSchema, raw);
  if (!res.success) {
    const issue = res.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") || "document";
    throw new CorruptManifestError(path, `${where}: ${issue.message}`);
  }
  return res.output;
}
