// Where manifests live and how they are read and written:
// $HEADROOM_WORKSPACE_DIR/deploy/<profile>/manifest.json, mode 0600 in a 0700 folder,
// written atomically. A file that fails to parse or validate is a HeadroomError naming
// the file, never a crash.
import { chmodSync, existsSync, readdirSync, rmSync } from "node:fs";
import * as v from "valibot";
import { PRIVATE_DIR, PRIVATE_FILE, atomicWrite, ensureDir, readIfExists } from "../host/fs.ts";
import { explainPathError } from "../host/path-check.ts";
import { deployRoot, isValidProfileName, manifestPath, profileDir } from "../paths.ts";
import { type Manifest, ManifestSchema } from "./manifest.ts";
import { checkProfileName, missingProfileError } from "./manifest-errors.ts";
import { parseManifest } from "./manifest-parse.ts";

export { CorruptManifestError, checkProfileName } from "./manifest-errors.ts";
export { parseManifest } from "./manifest-parse.ts";

import type { Env } from "../host/env.ts";

/** The profile's manifest, or null when the profile does not exist. Throws on a corrupt file. */
export function tryLoadManifest(profile: string, env: Env = process.env): Manifest | null {
  checkProfileName(profile);
  const path = manifestPath(profile, env);
  let bytes: Buffer | null;
  try {
    bytes = readIfExists(path);
  } catch (err) {
    // A folder where the manifest must be, a workspace that is a file, an unreadable file.
    throw explainPathError(err, path, env) ?? err;
  }
  if (bytes === null) return null;
  return parseManifest(bytes.toString("utf8"), path);
}

/** The profile's manifest; a missing profile is a HeadroomError saying how to create it. */
export function loadManifest(profile: string, env: Env = process.env): Manifest {
  const m = tryLoadManifest(profile, env);
  if (!m) throw missingProfileError(profile, manifestPath(profile, env));
  return m;
}

export interface ListedManifest {
  profile: string;
  path: string;
  manifest?: Manifest;
  /** Set when the file exists but is not a valid manifest. */
  error?: string;
}

/** Every profile folder with a manifest.json, valid or not, sorted by name. */
export function listManifestEntries(env: Env = process.env): ListedManifest[] {
  const root = deployRoot(env);
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const out: ListedManifest[] = [];
  for (const name of names.sort()) {
    if (!isValidProfileName(name)) continue;
    const path = manifestPath(name, env);
    if (!existsSync(path)) continue;
    try {
      out.push({ profile: name, path, manifest: tryLoadManifest(name, env) ?? undefined });
    } catch (err) {
      out.push({ profile: name, path, error: (err as Error).message });
    }
  }
  return out;
}

/** Every valid manifest (corrupt ones are skipped; see listManifestEntries to report them). */
export function listManifests(env: Env = process.env): Manifest[] {
  return listManifestEntries(env).flatMap((e) => (e.manifest ? [e.manifest] : []));
}

/** The valid manifest that serves `port`, if any. */
export function findManifestByPort(port: number, env: Env = process.env): Manifest | null {
  return listManifests(env).find((m) => m.port === port) ?? null;
}

/** Validates and writes the manifest atomically (file 0600, folder 0700). */
export function saveManifest(m: Manifest, env: Env = process.env): void {
  checkProfileName(m.profile);
  const checked = v.parse(ManifestSchema, m);
  const dir = profileDir(m.profile, env);
  ensureDir(dir, PRIVATE_DIR);
  try {
    chmodSync(dir, PRIVATE_DIR);
  } catch {
    // not ours to fix; the file itself is still private
  }
  atomicWrite(manifestPath(m.profile, env), `${JSON.stringify(checked, null, 2)}\n`, { mode: PRIVATE_FILE, forceMode: true });
}

/** Removes the profile folder (manifest, runner.log, lock, backups). */
export function deleteProfileDir(profile: string, env: Env = process.env): void {
  checkProfileName(profile);
  rmSync(profileDir(profile, env), { recursive: true, force: true });
}
