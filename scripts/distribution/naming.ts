// Names and places shared by the release script, the installers and the package manifests.
// Release layout (served as-is as a download base):
//   <base>/latest                               the newest version, one line
//   <base>/<version>/headroom-<version>-<target>.tar.gz|.zip
//   <base>/<version>/headroom-<target>[.exe]     bare binaries
//   <base>/<version>/SHA256SUMS                  covers archives and bare binaries
// On GitHub, <base> is .../releases/download and a release's tag is the bare version.
import { TARGETS } from "../build.ts";

export const REPOSITORY = "headroom-sh/headroom";
export const HOMEPAGE = `https://github.com/${REPOSITORY}`;
export const DEFAULT_DOWNLOAD_BASE = `${HOMEPAGE}/releases/download`;
/** GitHub serves the newest release's assets here; every release uploads a `latest` file. */
export const DEFAULT_LATEST_URL = `${HOMEPAGE}/releases/latest/download/latest`;
export const DESCRIPTION = "Local LLM proxy that compresses tool output, and the runtime that keeps it alive";

export type TargetName = (typeof TARGETS)[number]["name"];

export function isWindowsTarget(target: string): boolean {
  return target.startsWith("windows-");
}

/** File name of the bare binary for a target, as scripts/build.ts writes it. */
export function binaryName(target: string): string {
  return `headroom-${target}${isWindowsTarget(target) ? ".exe" : ""}`;
}

/** File name of the compressed archive for a target. */
export function archiveName(version: string, target: string): string {
  return `headroom-${version}-${target}${isWindowsTarget(target) ? ".zip" : ".tar.gz"}`;
}

/** Name of the executable inside an archive. */
export function archiveMember(target: string): string {
  return isWindowsTarget(target) ? "headroom.exe" : "headroom";
}

/** A version string usable as a folder name and tag: no slashes, spaces or dot-dot. */
export function isValidVersion(version: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(version) && !version.includes("..");
}

export function downloadUrl(base: string, version: string, file: string): string {
  return `${base.replace(/\/+$/, "")}/${version}/${file}`;
}
