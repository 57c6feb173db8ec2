// Which OS the product is acting for. Chosen once; adapters below it never test the
// platform again.
export type OsName = "linux" | "darwin" | "windows";

export function hostOs(): OsName {
  if (process.platform === "darwin") return "darwin";
  if (process.platform === "win32") return "windows";
  return "linux";
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

export function uid(): number {
  return typeof process.getuid === "function" ? process.getuid() : 0;
}

export function gid(): number {
  return typeof process.getgid === "function" ? process.getgid() : 0;
}
