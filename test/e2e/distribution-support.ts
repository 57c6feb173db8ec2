// Helpers for the distribution tests: serve a release folder over HTTP, run install.sh in
// a sandbox, and lay out small fake releases.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { tarGz } from "../../scripts/distribution/archive.ts";
import { formatChecksums } from "../../scripts/distribution/checksums.ts";
import { archiveName } from "../../scripts/distribution/naming.ts";
import { repoRoot } from "../support/bin.ts";

export const installSh = join(repoRoot, "scripts", "install.sh");

/** A skip reason for a missing tool, or null; in CI a missing tool is a failure. */
export function requireTool(tool: string, why: string): string | null {
  if (Bun.which(tool)) return null;
  const reason = `${tool} is not installed (${why})`;
  if (process.env.CI === "true") throw new Error(`CI must run these tests: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `headroom-${prefix}-`));
}

export interface ReleaseServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
  stop(): void;
}

/** Serves the files under `root` on a free loopback port. */
export function serveFolder(root: string): ReleaseServer {
  const base = resolve(root);
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      requests.push(path);
      const file = resolve(base, `.${path}`);
      if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) return new Response("not found", { status: 404 });
      return new Response(Bun.file(file));
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The shell that runs install.sh: dash (what `sh` is on Debian/Ubuntu) when present. */
export const posixShell = Bun.which("dash") ?? "/bin/sh";

/** Runs install.sh with a clean environment: only what is given plus HOME, PATH, SHELL. */
export async function runInstallSh(env: Record<string, string>, opts: { home: string; path?: string }): Promise<ShResult> {
  const proc = Bun.spawn([posixShell, installSh], {
    env: { HOME: opts.home, PATH: opts.path ?? "/usr/local/bin:/usr/bin:/bin", SHELL: "/bin/bash", TMPDIR: tmpdir(), ...env },
    cwd: opts.home,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 120_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A stand-in `headroom` for fake releases: prints its version (and target with `target`). */
export function fakeBinary(version: string, target: string): Uint8Array {
  return new TextEncoder().encode(`#!/bin/sh\nif [ "\${1:-}" = target ]; then echo ${target}; else echo ${version}; fi\n`);
}

/** Writes <base>/<version>/ with tar.gz archives of fake binaries and their SHA256SUMS. */
export async function writeFakeRelease(base: string, version: string, targets: string[]): Promise<string> {
  const dir = join(base, version);
  mkdirSync(dir, { recursive: true });
  const sums = new Map<string, string>();
  for (const target of targets) {
    const bytes = await tarGz([{ name: "headroom", data: fakeBinary(version, target), mode: 0o755, mtime: new Date() }]);
    const file = archiveName(version, target);
    writeFileSync(join(dir, file), bytes);
    sums.set(file, new Bun.CryptoHasher("sha256").update(bytes).digest("hex"));
  }
  writeFileSync(join(dir, "SHA256SUMS"), formatChecksums(sums));
  return dir;
}

/**
 * A PATH folder with every command of /usr/bin and /bin except the ones named, to run
 * install.sh on a machine that lacks them.
 */
export function pathWithout(root: string, missing: string[]): string {
  const dir = join(root, `path-without-${missing.join("-")}`);
  mkdirSync(dir, { recursive: true });
  // Names already linked, by name: existsSync follows a link, so a dangling one (a
  // package's link to a compiler that is not installed) would be linked twice.
  const linked = new Set<string>();
  for (const src of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    if (!existsSync(src)) continue;
    for (const name of readdirSync(src)) {
      if (missing.includes(name) || linked.has(name)) continue;
      linked.add(name);
      symlinkSync(join(src, name), join(dir, name));
    }
  }
  return dir;
}

/** A folder holding one executable script, to prepend to PATH. */
export function pathWithScript(root: string, name: string, body: string): string {
  const dir = join(root, `fake-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}
