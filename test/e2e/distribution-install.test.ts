// install.sh (run by dash, as `curl ... | sh` would) against a release folder served over
// HTTP on loopback: the real binary for this host plus small fake releases.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { archiveName } from "../../scripts/distribution/naming.ts";
import { buildRelease } from "../../scripts/release.ts";
import {
  installSh, pathWithout, pathWithScript, posixShell, type ReleaseServer, runInstallSh, serveFolder, tempDir, writeFakeRelease,
} from "./distribution-support.ts";

const hostTarget = `linux-${process.arch}`;
const skip = process.platform !== "linux" || !["x64", "arm64"].includes(process.arch)
  ? `install.sh tests run on Linux x64/arm64 (this is ${process.platform}-${process.arch})`
  : null;
if (skip && process.env.CI === "true") throw new Error(`CI must run the install.sh tests: ${skip}`);
if (skip) console.warn(`skipping: ${skip}`);

const UPGRADE = "9.9.9-test";
const TAMPERED = "6.6.6-tampered";
const NO_ENTRY = "5.5.5-noentry";

let root = "";
let base = "";
let server: ReleaseServer;

beforeAll(async () => {
  if (skip) return;
  root = tempDir("dist-install");
  base = join(root, "release");
  // The real binary of this host, as `npm run release` packs it (one target keeps it quick).
  await buildRelease({ outDir: base, targets: [hostTarget], log: () => {} });
  await writeFakeRelease(base, UPGRADE, ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"]);
  // An archive changed after its checksum was published.
  const tampered = await writeFakeRelease(base, TAMPERED, [hostTarget]);
  const archive = join(tampered, archiveName(TAMPERED, hostTarget));
  const bytes = readFileSync(archive);
  bytes[bytes.length - 10]! ^= 0xff;
  writeFileSync(archive, bytes);
  // SHA256SUMS that does not list the archive.
  const noEntry = await writeFakeRelease(base, NO_ENTRY, [hostTarget]);
  writeFileSync(join(noEntry, "SHA256SUMS"), "0".repeat(64) + "  headroom-other.tar.gz\n");
  server = serveFolder(base);
}, 300_000);

afterAll(() => {
  server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 30_000);

function sandbox(name: string): string {
  const home = join(root, "homes", name);
  mkdirSync(home, { recursive: true });
  return home;
}

const run = (home: string, env: Record<string, string> = {}, path?: string) =>
  runInstallSh({ HEADROOM_DOWNLOAD_URL: server.url, ...env }, { home, path });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function version(bin: string): Promise<string> {
  const p = Bun.spawn([bin, "--version"], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.trim();
}

describe.skipIf(!!skip)("install.sh", () => {
  test("parses as POSIX sh under dash", () => {
    const r = Bun.spawnSync([posixShell, "-n", installSh], { stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("installs the latest release into ~/.local/bin; the binary runs; prints the PATH hint", async () => {
    const home = sandbox("latest");
    const r = await run(home);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const bin = join(home, ".local", "bin", "headroom");
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    expect(await version(bin)).toBe(pkg.version);
    const info = JSON.parse(Bun.spawnSync([bin, "version", "--json"]).stdout.toString());
    expect(info.target).toBe(hostTarget);
    expect(r.stdout).toContain(`installed headroom ${pkg.version} at ${bin}`);
    expect(r.stdout).toContain(`${join(home, ".local", "bin")} is not on your PATH`);
    expect(r.stdout).toContain(`export PATH="${join(home, ".local", "bin")}:$PATH"' >> ~/.bashrc`);
    expect(server.requests).toContain("/latest");
    expect(readdirSync(join(home, ".local", "bin"))).toEqual(["headroom"]);
  });

  test("runs as `curl -fsSL <url>/install.sh | sh` (the script arriving on standard input)", async () => {
    const home = sandbox("piped");
    const url = `${server.url}/${pkg.version}/install.sh`;
    const proc = Bun.spawn([posixShell, "-c", `curl -fsSL '${url}' | ${posixShell}`], {
      env: { HOME: home, PATH: "/usr/local/bin:/usr/bin:/bin", SHELL: "/bin/zsh", HEADROOM_DOWNLOAD_URL: server.url },
      cwd: home, stdout: "pipe", stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(await version(join(home, ".local", "bin", "headroom"))).toBe(pkg.version);
    expect(stdout).toContain(`>> ~/.zshrc`);
  });

  test("HEADROOM_INSTALL_DIR on PATH: installs there with no PATH hint", async () => {
    const home = sandbox("custom-dir");
    const dir = join(home, "tools", "bin");
    const r = await run(home, { HEADROOM_INSTALL_DIR: dir, HEADROOM_VERSION: `v${pkg.version}` }, `${dir}:/usr/local/bin:/usr/bin:/bin`);
    expect(r.code).toBe(0);
    expect(await version(join(dir, "headroom"))).toBe(pkg.version);
    expect(r.stdout).not.toContain("not on your PATH");
    expect(existsSync(join(home, ".local"))).toBe(false);
  });

  test("re-running upgrades in place: new file swapped in by rename, restart hint, no leftovers", async () => {
    const home = sandbox("upgrade");
    const bin = join(home, ".local", "bin", "headroom");
    expect((await run(home, { HEADROOM_VERSION: pkg.version })).code).toBe(0);
    const before = statSync(bin);
    const r = await run(home, { HEADROOM_VERSION: UPGRADE });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await version(bin)).toBe(UPGRADE);
    // A new inode: a process still running the old binary keeps its file.
    expect(statSync(bin).ino).not.toBe(before.ino);
    expect(r.stdout).toContain(`upgraded headroom ${pkg.version} -> ${UPGRADE}`);
    expect(r.stdout).toContain("headroom install restart");
    expect(readdirSync(join(home, ".local", "bin"))).toEqual(["headroom"]);
    const again = await run(home, { HEADROOM_VERSION: UPGRADE });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`reinstalled headroom ${UPGRADE}`);
  });

  test("a running headroom keeps serving while install.sh replaces its file", async () => {
    const home = sandbox("running");
    const bin = join(home, ".local", "bin", "headroom");
    expect((await run(home, { HEADROOM_VERSION: pkg.version })).code).toBe(0);
    const port = await freePort();
    const proxy = Bun.spawn([bin, "proxy", "--port", String(port)], {
      env: { HOME: home, PATH: "/usr/bin:/bin", HEADROOM_WORKSPACE_DIR: join(home, "workspace") },
      stdout: "ignore", stderr: "ignore",
    });
    try {
      const health = async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          return res.ok ? ((await res.json()) as { pid: number; version: string }) : null;
        } catch {
          return null;
        }
      };
      let before = await health();
      for (let i = 0; i < 300 && !before; i++) {
        await Bun.sleep(100);
        before = await health();
      }
      expect(before?.pid).toBe(proxy.pid);

      const r = await run(home, { HEADROOM_VERSION: UPGRADE });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("headroom install restart");
      expect(await version(bin)).toBe(UPGRADE);
      // The old process still runs its old (now unlinked) file and still answers.
      expect(proxy.exitCode).toBeNull();
      expect(readlinkSync(`/proc/${proxy.pid}/exe`)).toEndWith(" (deleted)");
      expect(await health()).toMatchObject({ pid: proxy.pid, version: pkg.version });
    } finally {
      proxy.kill("SIGTERM");
      await proxy.exited;
    }
  });

  test("a tampered archive is refused and the installed binary is left alone", async () => {
    const home = sandbox("tampered");
    const bin = join(home, ".local", "bin", "headroom");
    expect((await run(home, { HEADROOM_VERSION: UPGRADE })).code).toBe(0);
    const before = readFileSync(bin);
    const r = await run(home, { HEADROOM_VERSION: TAMPERED });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${archiveName(TAMPERED, hostTarget)}`);
    expect(r.stderr).toContain("nothing was installed");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(bin).equals(before)).toBe(true);
    expect(readdirSync(join(home, ".local", "bin"))).toEqual(["headroom"]);
  });

  test("a checksum list without the archive is refused; nothing is installed", async () => {
    const home = sandbox("no-entry");
    const r = await run(home, { HEADROOM_VERSION: NO_ENTRY });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`has no entry for ${archiveName(NO_ENTRY, hostTarget)}`);
    expect(existsSync(join(home, ".local", "bin", "headroom"))).toBe(false);
  });

  test("a version that is not published: clear message, nothing installed", async () => {
    const home = sandbox("missing-version");
    const r = await run(home, { HEADROOM_VERSION: "4.0.404" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`could not download ${server.url}/4.0.404/${archiveName("4.0.404", hostTarget)}`);
    expect(existsSync(join(home, ".local", "bin"))).toBe(false);
  });

  test("a malformed version is refused before any download", async () => {
    const home = sandbox("bad-version");
    const before = server.requests.length;
    const r = await run(home, { HEADROOM_VERSION: "../../etc" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not a headroom version");
    expect(server.requests.length).toBe(before);
  });

  test.each([
    ["FreeBSD", { HEADROOM_INSTALL_OS: "FreeBSD" }, 'unsupported operating system "FreeBSD"'],
    ["MINGW64 (Git Bash)", { HEADROOM_INSTALL_OS: "MINGW64_NT-10.0" }, "install.ps1 | iex"],
    ["i686", { HEADROOM_INSTALL_ARCH: "i686" }, 'unsupported CPU architecture "i686"'],
    ["Darwin ppc64", { HEADROOM_INSTALL_OS: "Darwin", HEADROOM_INSTALL_ARCH: "ppc64" }, 'unsupported CPU architecture "ppc64"'],
  ])("unsupported platform %s is refused with a clear message", async (label, env, message) => {
    const home = sandbox(`unsupported-${label.replace(/\W+/g, "-")}`);
    const before = server.requests.length;
    const r = await run(home, env as Record<string, string>);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(server.requests.length).toBe(before);
    expect(existsSync(join(home, ".local"))).toBe(false);
  });

  test.each([
    ["Linux", "aarch64", null, "linux-arm64"],
    ["Darwin", "arm64", null, "darwin-arm64"],
    ["Darwin", "x86_64", null, "darwin-x64"],
    ["Darwin", "x86_64", "1", "darwin-arm64"], // Rosetta: sysctl.proc_translated = 1
    ["Darwin", "x86_64", "0", "darwin-x64"],
  ])("uname %s %s (translated %p) picks %s", async (os, arch, translated, expected) => {
    const home = sandbox(`detect-${os}-${arch}-${translated}`);
    let path = "/usr/local/bin:/usr/bin:/bin";
    if (translated !== null) {
      const fake = pathWithScript(home, "sysctl", `[ "$1 $2" = "-n sysctl.proc_translated" ] && echo ${translated}`);
      path = `${fake}:${path}`;
    }
    const r = await run(home, { HEADROOM_INSTALL_OS: os, HEADROOM_INSTALL_ARCH: arch, HEADROOM_VERSION: UPGRADE }, path);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`installing headroom ${UPGRADE} for ${expected}`);
    const out = Bun.spawnSync([join(home, ".local", "bin", "headroom"), "target"]).stdout.toString().trim();
    expect(out).toBe(expected);
  });

  test("works with wget when curl is missing", async () => {
    const home = sandbox("wget");
    const path = pathWithout(home, ["curl"]);
    const r = await run(home, { HEADROOM_VERSION: UPGRADE }, path);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await version(join(home, ".local", "bin", "headroom"))).toBe(UPGRADE);
  });

  test("refuses to install unverified when no SHA-256 tool exists", async () => {
    const home = sandbox("no-sha");
    const path = pathWithout(home, ["sha256sum", "shasum"]);
    const r = await run(home, { HEADROOM_VERSION: UPGRADE }, path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot be verified");
    expect(existsSync(join(home, ".local", "bin", "headroom"))).toBe(false);
  });
});
