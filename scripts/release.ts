// Builds a release that can be served as a download base as it is:
//   dist/release/latest                                     the version below, one line
//   dist/release/<version>/headroom-<version>-<target>.tar.gz|.zip
//   dist/release/<version>/headroom-<target>[.exe]           bare binaries
//   dist/release/<version>/SHA256SUMS                         archives and bare binaries
//   dist/release/<version>/latest, install.sh, install.ps1    for uploading as release assets
//   dist/release/<version>/packaging/                         Homebrew formula, winget manifests (full release only)
//
//   bun scripts/release.ts [--out-dir dist/release] [--base-url URL] [--targets linux-x64,...]
// The folder is assembled under a temporary name and renamed into place when complete.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildAll, buildOne, buildVersion, sha256File, TARGETS } from "./build.ts";
import { tarGz, zip } from "./distribution/archive.ts";
import { type Checksums, formatChecksums } from "./distribution/checksums.ts";
import { archiveMember, archiveName, binaryName, DEFAULT_DOWNLOAD_BASE, isValidVersion, isWindowsTarget } from "./distribution/naming.ts";
import { packageLicense, writePackaging } from "./packaging.ts";

const root = resolve(import.meta.dir, "..");

export interface ReleaseOptions {
  /** The download base folder; the release goes into <outDir>/<version>. */
  outDir: string;
  /** Where the release will be downloaded from (used in the package manifests). */
  baseUrl?: string;
  /** A subset of target names (default: all five). */
  targets?: string[];
  log?: (line: string) => void;
}

export interface ReleaseResult {
  version: string;
  dir: string;
  /** File names in SHA256SUMS, archives first. */
  files: string[];
  sums: Checksums;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(workers);
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function buildRelease(opts: ReleaseOptions): Promise<ReleaseResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const version = buildVersion();
  if (!isValidVersion(version)) throw new Error(`version "${version}" cannot name a release folder.`);
  const known = TARGETS.map((t) => t.name as string);
  const targets = opts.targets ? [...new Set(opts.targets)] : known;
  for (const t of targets) if (!known.includes(t)) throw new Error(`unknown target "${t}" (known: ${known.join(", ")}).`);

  const outDir = resolve(opts.outDir);
  const finalDir = join(outDir, version);
  const stage = join(outDir, `.${version}.partial-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  try {
    if (opts.targets === undefined) {
      await buildAll(stage);
      rmSync(join(stage, "SHA256SUMS")); // replaced below by one that also covers the archives
    } else {
      for (const t of TARGETS.filter((t) => targets.includes(t.name))) {
        await buildOne(join(stage, binaryName(t.name)), t.bun, t.name);
        log(`built ${join(stage, binaryName(t.name))}`);
      }
    }

    const mtime = new Date();
    await pool(targets, 2, async (target) => {
      const entry = { name: archiveMember(target), data: readFileSync(join(stage, binaryName(target))), mode: 0o755, mtime };
      const bytes = isWindowsTarget(target) ? await zip([entry]) : await tarGz([entry]);
      writeFileSync(join(stage, archiveName(version, target)), bytes);
      log(`packed ${archiveName(version, target)}`);
    });

    const files = [...targets.map((t) => archiveName(version, t)), ...targets.map((t) => binaryName(t))];
    const sums: Checksums = new Map(files.map((f) => [f, sha256File(join(stage, f))]));
    writeFileSync(join(stage, "SHA256SUMS"), formatChecksums(sums));
    writeFileSync(join(stage, "latest"), `${version}\n`);
    for (const script of ["install.sh", "install.ps1"]) copyFileSync(join(root, "scripts", script), join(stage, script));
    if (targets.length === known.length) {
      // The formula and the manifests need every platform's checksum.
      writePackaging(join(stage, "packaging"), { version, baseUrl: opts.baseUrl ?? DEFAULT_DOWNLOAD_BASE, sums, license: packageLicense() });
    }

    if (existsSync(finalDir)) rmSync(finalDir, { recursive: true, force: true });
    renameSync(stage, finalDir);
    writeAtomically(join(outDir, "latest"), `${version}\n`);
    log(`release ${version} ready in ${finalDir}`);
    return { version, dir: finalDir, files, sums };
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    throw err;
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) {
    console.error(`release: ${name} needs a value.`);
    process.exit(2);
  }
  return value;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const targets = option(args, "--targets")?.split(",").map((s) => s.trim()).filter(Boolean);
  try {
    await buildRelease({
      outDir: option(args, "--out-dir") ?? join(root, "dist", "release"),
      baseUrl: option(args, "--base-url"),
      targets,
    });
  } catch (err) {
    console.error(`release: ${(err as Error).message}`);
    process.exit(1);
  }
}
