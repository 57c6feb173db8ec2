// `npm run release` end to end: five real cross-compiled binaries, their archives,
// SHA256SUMS over both, `latest`, the generated packaging, and the folder served as a
// download base for install.sh. Built once for the file (about 15 s here).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { TARGETS } from "../../scripts/build.ts";
import { parseChecksums } from "../../scripts/distribution/checksums.ts";
import { archiveMember, archiveName, binaryName, DEFAULT_DOWNLOAD_BASE, downloadUrl } from "../../scripts/distribution/naming.ts";
import { repoRoot } from "../support/bin.ts";
import { requireTool, runInstallSh, serveFolder, tempDir } from "./distribution-support.ts";

const version = pkg.version;
const targets = TARGETS.map((t) => t.name as string);
let root = "";
let dir = "";
let release = { code: -1, out: "" };

beforeAll(async () => {
  root = tempDir("dist-release");
  const proc = Bun.spawn(["npm", "run", "--silent", "release", "--", "--out-dir", join(root, "release")], {
    cwd: repoRoot, stdout: "pipe", stderr: "pipe", timeout: 600_000,
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  release = { code, out: out + err };
  dir = join(root, "release", version);
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

function head(path: string, n = 4096): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, 0);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** "os-arch" read from an executable's header (ELF, Mach-O, PE). */
function executablePlatform(path: string): string {
  const b = head(path);
  if (b.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    const machine = b.readUInt16LE(18);
    return `linux-${machine === 62 ? "x64" : machine === 183 ? "arm64" : machine}`;
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4);
    return `darwin-${cpu === 0x01000007 ? "x64" : cpu === 0x0100000c ? "arm64" : cpu}`;
  }
  if (b.toString("latin1", 0, 2) === "MZ") {
    const pe = b.readUInt32LE(0x3c);
    const machine = b.readUInt16LE(pe + 4);
    return `windows-${b.toString("latin1", pe, pe + 4) === "PE\0\0" && machine === 0x8664 ? "x64" : machine}`;
  }
  return "unknown";
}

function sh(argv: string[], cwd = dir): { code: number; out: string; bytes: Buffer } {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString(), bytes: Buffer.from(r.stdout) };
}

describe("npm run release", () => {
  test("succeeds and lays out <version>/ with latest beside it", () => {
    if (release.code !== 0) console.error(release.out);
    expect(release.code).toBe(0);
    expect(readFileSync(join(root, "release", "latest"), "utf8")).toBe(`${version}\n`);
    expect(readdirSync(join(root, "release")).sort()).toEqual([version, "latest"].sort());
    const expected = [
      ...targets.map((t) => archiveName(version, t)), ...targets.map((t) => binaryName(t)),
      "SHA256SUMS", "latest", "install.sh", "install.ps1", "packaging",
    ];
    expect(readdirSync(dir).sort()).toEqual(expected.sort());
    expect(readFileSync(join(dir, "install.sh"), "utf8")).toBe(readFileSync(join(repoRoot, "scripts", "install.sh"), "utf8"));
  });

  test("SHA256SUMS covers every archive and bare binary, and sha256sum -c agrees", () => {
    const sums = parseChecksums(readFileSync(join(dir, "SHA256SUMS"), "utf8"));
    expect([...sums.keys()].sort()).toEqual([...targets.map((t) => archiveName(version, t)), ...targets.map((t) => binaryName(t))].sort());
    const check = sh(["sha256sum", "-c", "SHA256SUMS"]);
    expect(check.code).toBe(0);
    expect(check.out.trim().split("\n")).toHaveLength(10);
  }, 60_000);

  test("each bare binary is an executable for its own platform", () => {
    for (const t of targets) expect(`${t}: ${executablePlatform(join(dir, binaryName(t)))}`).toBe(`${t}: ${t}`);
  });

  test("each .tar.gz holds exactly an executable `headroom` identical to the bare binary", () => {
    for (const t of targets.filter((t) => !t.startsWith("windows"))) {
      const out = join(root, "tar", t);
      mkdirSync(out, { recursive: true });
      expect(sh(["tar", "-xzf", join(dir, archiveName(version, t)), "-C", out]).code).toBe(0);
      expect(readdirSync(out)).toEqual(["headroom"]);
      expect(statSync(join(out, "headroom")).mode & 0o777).toBe(0o755);
      expect(sha256(readFileSync(join(out, "headroom")))).toBe(sha256(readFileSync(join(dir, binaryName(t)))));
    }
  }, 120_000);

  const noUnzip = requireTool("unzip", "to read the Windows .zip");
  test.skipIf(!!noUnzip)("the .zip holds exactly headroom.exe identical to the bare binary", () => {
    const file = archiveName(version, "windows-x64");
    expect(sh(["unzip", "-tq", file]).code).toBe(0);
    expect(sh(["unzip", "-Z1", file]).out.trim()).toBe(archiveMember("windows-x64"));
    const extracted = sh(["unzip", "-p", file, "headroom.exe"]).bytes;
    expect(sha256(extracted)).toBe(sha256(readFileSync(join(dir, binaryName("windows-x64")))));
  }, 60_000);

  test.skipIf(process.platform !== "linux" || !["x64", "arm64"].includes(process.arch))(
    "the host binary from the archive reports the release version and target",
    () => {
      const host = `linux-${process.arch}`;
      const unpacked = join(root, "unpacked");
      mkdirSync(unpacked);
      expect(sh(["tar", "-xzf", join(dir, archiveName(version, host)), "-C", unpacked]).code).toBe(0);
      expect(sh([join(unpacked, "headroom"), "--version"]).out.trim()).toBe(version);
      const info = JSON.parse(sh([join(unpacked, "headroom"), "version", "--json"]).out);
      expect(info).toMatchObject({ version, target: host });
    },
    60_000,
  );

  test("packaging/ was generated from this release's checksums", () => {
    const sums = parseChecksums(readFileSync(join(dir, "SHA256SUMS"), "utf8"));
    const formula = readFileSync(join(dir, "packaging", "homebrew", "headroom.rb"), "utf8");
    for (const t of targets.filter((t) => !t.startsWith("windows"))) {
      const file = archiveName(version, t);
      expect(formula).toContain(`url "${downloadUrl(DEFAULT_DOWNLOAD_BASE, version, file)}"\n      sha256 "${sums.get(file)}"`);
    }
    const installer = Bun.YAML.parse(readFileSync(join(dir, "packaging", "winget", "Headroom.Headroom.installer.yaml"), "utf8")) as {
      Installers: { InstallerUrl: string; InstallerSha256: string }[];
    };
    expect(installer.Installers[0]!.InstallerSha256).toBe(sums.get(binaryName("windows-x64"))!.toUpperCase());
    expect(installer.Installers[0]!.InstallerUrl).toBe(downloadUrl(DEFAULT_DOWNLOAD_BASE, version, binaryName("windows-x64")));
  });

  test.skipIf(process.platform !== "linux" || !["x64", "arm64"].includes(process.arch))(
    "the release folder served as it is installs with install.sh",
    async () => {
      const server = serveFolder(join(root, "release"));
      try {
        const home = join(root, "home");
        mkdirSync(home);
        const r = await runInstallSh({ HEADROOM_DOWNLOAD_URL: `${server.url}/` }, { home });
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(sh([join(home, ".local", "bin", "headroom"), "--version"]).out.trim()).toBe(version);
        expect(server.requests).toEqual(["/latest", `/${version}/${archiveName(version, `linux-${process.arch}`)}`, `/${version}/SHA256SUMS`]);
      } finally {
        server.stop();
      }
    },
    60_000,
  );

  test("no half-built folder is left behind", () => {
    expect(readdirSync(join(root, "release")).some((f) => f.includes("partial"))).toBe(false);
    expect(existsSync(join(dir, "packaging", "winget", "Headroom.Headroom.yaml"))).toBe(true);
  });
});
