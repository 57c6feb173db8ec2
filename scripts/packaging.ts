// Generates the Homebrew formula and the winget manifests from a release's SHA256SUMS.
//   bun scripts/packaging.ts --sums dist/release/0.1.0/SHA256SUMS [--version 0.1.0]
//        [--base-url https://github.com/headroom-sh/headroom/releases/download] [--out-dir packaging]
// scripts/release.ts runs the same generator into dist/release/<version>/packaging/.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { type Checksums, parseChecksums } from "./distribution/checksums.ts";
import { renderFormula } from "./distribution/homebrew.ts";
import { DEFAULT_DOWNLOAD_BASE, isValidVersion } from "./distribution/naming.ts";
import { renderWingetManifests } from "./distribution/winget.ts";

export interface PackagingInput {
  version: string;
  baseUrl: string;
  sums: Checksums;
  license?: string;
}

/** The license declared in package.json, if any (UNLICENSED counts as none). */
export function packageLicense(): string | undefined {
  const license = (pkg as { license?: string }).license;
  return license && license !== "UNLICENSED" ? license : undefined;
}

/** Relative path -> content of every packaging file. */
export function renderPackaging(input: PackagingInput): Record<string, string> {
  const files: Record<string, string> = { "homebrew/headroom.rb": renderFormula(input) };
  for (const [name, text] of Object.entries(renderWingetManifests(input))) files[`winget/${name}`] = text;
  return files;
}

export function writePackaging(outDir: string, input: PackagingInput): string[] {
  const written: string[] = [];
  for (const [rel, text] of Object.entries(renderPackaging(input))) {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) fail(`${name} needs a value.`);
  return value;
}

function fail(message: string): never {
  console.error(`packaging: ${message}`);
  process.exit(2);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const sumsPath = option(args, "--sums") ?? fail("pass --sums <path to SHA256SUMS>.");
  const version = option(args, "--version") ?? pkg.version;
  if (!isValidVersion(version)) fail(`"${version}" is not a usable version.`);
  let sums: Checksums;
  try {
    sums = parseChecksums(readFileSync(sumsPath, "utf8"));
  } catch (err) {
    fail(`cannot read ${sumsPath}: ${(err as Error).message}`);
  }
  const outDir = resolve(option(args, "--out-dir") ?? join(import.meta.dir, "..", "packaging"));
  try {
    const written = writePackaging(outDir, { version, baseUrl: option(args, "--base-url") ?? DEFAULT_DOWNLOAD_BASE, sums, license: packageLicense() });
    for (const path of written) console.log(`wrote ${path}`);
  } catch (err) {
    fail((err as Error).message);
  }
}
