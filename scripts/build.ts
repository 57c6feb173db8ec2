// Compiles the headroom executable with `bun build --compile`.
//   bun scripts/build.ts          -> dist/headroom (this host)
//   bun scripts/build.ts --all    -> dist/headroom-<os>-<arch>[.exe] for five targets + dist/SHA256SUMS
//   bun scripts/build.ts --out-dir D --all   (release builds into another folder)
//   HEADROOM_BUILD_VERSION=0.2.0 bun scripts/build.ts   (embed another version than package.json's)
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const TARGETS = [
  { name: "linux-x64", bun: "bun-linux-x64", exe: "" },
  { name: "linux-arm64", bun: "bun-linux-arm64", exe: "" },
  { name: "darwin-x64", bun: "bun-darwin-x64", exe: "" },
  { name: "darwin-arm64", bun: "bun-darwin-arm64", exe: "" },
  { name: "windows-x64", bun: "bun-windows-x64", exe: ".exe" },
] as const;

const root = resolve(import.meta.dir, "..");

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: root, stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
}

function hostTargetName(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

/**
 * The version embedded in the build: package.json's, or HEADROOM_BUILD_VERSION when set
 * (tests build two binaries of different versions to upgrade one to the other).
 */
export function buildVersion(env: Record<string, string | undefined> = process.env): string {
  const v = env.HEADROOM_BUILD_VERSION?.trim();
  if (!v) return pkg.version;
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(v) || v.includes("..")) throw new Error(`HEADROOM_BUILD_VERSION "${v}" is not a version (like 0.2.0 or 0.2.0-rc.1).`);
  return v;
}

export async function buildOne(outfile: string, bunTarget: string | undefined, targetName: string): Promise<void> {
  const build = { version: buildVersion(), commit: gitCommit(), date: new Date().toISOString(), target: targetName };
  const argv = [
    process.execPath, "build", "--compile", "--minify", "--sourcemap=none", "--bytecode", "--format=esm", "--splitting",
    ...(bunTarget ? [`--target=${bunTarget}`] : []),
    `--define=HEADROOM_BUILD=${JSON.stringify(build)}`,
    join(root, "src/main.ts"), "--outfile", outfile,
  ];
  const r = Bun.spawnSync(argv, { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(`bun build failed for ${targetName}:\n${r.stdout.toString()}${r.stderr.toString()}`);
  }
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export async function buildAll(outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const t of TARGETS) {
    const file = `headroom-${t.name}${t.exe}`;
    await buildOne(join(outDir, file), t.bun, t.name);
    files.push(file);
    console.log(`built ${join(outDir, file)}`);
  }
  const sums = files.map((f) => `${sha256File(join(outDir, f))}  ${f}`).join("\n") + "\n";
  writeFileSync(join(outDir, "SHA256SUMS"), sums);
  console.log(`wrote ${join(outDir, "SHA256SUMS")}`);
  return files;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf("--out-dir");
  const outDir = resolve(outIdx >= 0 ? args[outIdx + 1]! : join(root, "dist"));
  if (args.includes("--all")) {
    await buildAll(outDir);
  } else {
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, process.platform === "win32" ? "headroom.exe" : "headroom");
    await buildOne(out, undefined, hostTargetName());
    console.log(`built ${out}`);
  }
}
