// Builds the headroom image offline (`npm run docker:build` -> headroom:local).
// No base image is pulled: the build context is a tiny root filesystem made of the
// compiled Linux executable, the shared libraries `ldd` says it needs, /etc/passwd and
// /etc/group with a non-root user, and world-writable /tmp folders; docker/Dockerfile
// copies it into `FROM scratch`.
//   bun scripts/docker-build.ts [--tag headroom:local] [--binary path/to/headroom] [--keep-context]
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");

export const DEFAULT_TAG = "headroom:local";
/** The image's own non-root user (the install subsystem runs it as the host user instead). */
export const IMAGE_UID = 10001;

/** The absolute library paths in `ldd` output (`name => /path (addr)` and `/path (addr)`). */
export function parseLdd(output: string): string[] {
  const libs = new Set<string>();
  for (const line of output.split("\n")) {
    const arrow = line.match(/=>\s*(\/\S+)/);
    const bare = line.match(/^\s*(\/\S+)\s+\(/);
    const path = arrow?.[1] ?? bare?.[1];
    if (path) libs.add(path);
  }
  return [...libs];
}

function run(argv: string[], env: Record<string, string | undefined> = process.env): { code: number; out: string } {
  const r = Bun.spawnSync(argv, { cwd: root, env: env as Record<string, string>, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? 1, out: r.stdout.toString() + r.stderr.toString() };
}

function fail(message: string): never {
  console.error(`docker-build: ${message}`);
  process.exit(1);
}

/** Writes the root filesystem of the image into `<context>/rootfs`. */
export function prepareContext(binary: string, context: string): void {
  const rootfs = join(context, "rootfs");
  const bin = join(rootfs, "usr/local/bin/headroom");
  mkdirSync(dirname(bin), { recursive: true });
  copyFileSync(binary, bin);
  chmodSync(bin, 0o755);

  const ldd = run(["ldd", binary]);
  if (ldd.code !== 0 && !/not a dynamic executable/.test(ldd.out)) fail(`ldd ${binary} failed: ${ldd.out.trim()}`);
  for (const lib of parseLdd(ldd.out)) {
    const dest = join(rootfs, lib);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(lib, dest); // follows symlinks: the image gets the real bytes under the name ldd used
    chmodSync(dest, 0o755);
  }

  mkdirSync(join(rootfs, "etc"), { recursive: true });
  writeFileSync(
    join(rootfs, "etc/passwd"),
    `root:x:0:0:root:/root:/sbin/nologin\nheadroom:x:${IMAGE_UID}:${IMAGE_UID}:headroom:/tmp/headroom-home:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n`,
  );
  writeFileSync(join(rootfs, "etc/group"), `root:x:0:\nheadroom:x:${IMAGE_UID}:\nnogroup:x:65534:\n`);
  writeFileSync(join(rootfs, "etc/nsswitch.conf"), "hosts: files dns\n");
  // Any --user can write its home and state here (the install subsystem bind-mounts the
  // host workspace over /tmp/headroom-home/.headroom).
  for (const dir of ["tmp", "tmp/headroom-home"]) {
    mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, dir), 0o1777);
  }
  copyFileSync(join(root, "docker/Dockerfile"), join(context, "Dockerfile"));
  writeFileSync(join(context, ".dockerignore"), "Dockerfile\n");
}

export interface BuildOptions {
  tag?: string;
  /** A compiled Linux executable; compiled for this host when absent. */
  binary?: string;
  docker?: string;
  keepContext?: boolean;
  quiet?: boolean;
}

/** Builds the image and returns its tag. Throws with docker's output on failure. */
export async function buildImage(opts: BuildOptions = {}): Promise<string> {
  if (process.platform !== "linux") {
    throw new Error("The offline image is built from this host's Linux executable and libraries; on other systems use docker/Dockerfile.public.");
  }
  const tag = opts.tag ?? DEFAULT_TAG;
  const context = mkdtempSync(join(tmpdir(), "headroom-docker-"));
  try {
    let binary = opts.binary;
    if (!binary) {
      const { buildOne } = await import("./build.ts");
      binary = join(context, "headroom");
      await buildOne(binary, undefined, `linux-${process.arch}`);
    }
    prepareContext(resolve(binary), context);
    // The classic builder needs nothing but the engine (BuildKit may want extra images or a
    // buildx plugin); DOCKER_BUILDKIT=1 in the caller's environment still wins.
    const env = { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? "0" };
    const docker = opts.docker ?? "docker";
    const before = run([docker, "image", "inspect", "--format", "{{.Id}}", tag], env);
    const r = run([docker, "build", ...(opts.quiet ? ["-q"] : []), "-t", tag, context], env);
    if (r.code !== 0) throw new Error(`docker build failed:\n${r.out.trim()}`);
    // The previous build of this tag is now an untagged copy of the old binary (large on
    // vfs): remove it, unless a container still uses it (then docker refuses, which is fine).
    const after = run([docker, "image", "inspect", "--format", "{{.Id}}", tag], env);
    if (before.code === 0 && after.code === 0 && before.out.trim() !== after.out.trim()) run([docker, "rmi", before.out.trim()], env);
    if (!opts.quiet) console.log(r.out.trim());
    return tag;
  } finally {
    if (opts.keepContext) console.log(`build context kept in ${context}`);
    else rmSync(context, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  try {
    const tag = await buildImage({ tag: value("--tag"), binary: value("--binary"), keepContext: args.includes("--keep-context") });
    console.log(`built image ${tag}`);
  } catch (err) {
    fail((err as Error).message);
  }
}
