// The pure-JS archive writers, read back by the system's tar and unzip; checksum files;
// release names.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { tarGz, zip } from "../../../scripts/distribution/archive.ts";
import { formatChecksums, parseChecksums, requireChecksum } from "../../../scripts/distribution/checksums.ts";
import { archiveMember, archiveName, binaryName, isValidVersion } from "../../../scripts/distribution/naming.ts";

const tmp = mkdtempSync(join(tmpdir(), "headroom-archive-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const noUnzip = Bun.which("unzip") ? null : "unzip is not installed";
if (noUnzip && process.env.CI === "true") throw new Error(`CI must check zip archives: ${noUnzip}`);

function run(argv: string[], cwd: string): number {
  return Bun.spawnSync(argv, { cwd, stdout: "ignore", stderr: "inherit" }).exitCode ?? -1;
}

const payload = new Uint8Array(randomBytes(700_001)); // not a multiple of 512; incompressible
const mtime = new Date("2026-03-04T05:06:08Z");

describe("tarGz", () => {
  test("system tar extracts the exact bytes, mode and time", async () => {
    const dir = join(tmp, "tar");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.tar.gz"), await tarGz([
      { name: "headroom", data: payload, mode: 0o755, mtime },
      { name: "notes.txt", data: new TextEncoder().encode("hi\n"), mode: 0o644, mtime },
    ]));
    mkdirSync(join(dir, "x"));
    expect(run(["tar", "-xzf", "../a.tar.gz"], join(dir, "x"))).toBe(0);
    expect(readdirSync(join(dir, "x")).sort()).toEqual(["headroom", "notes.txt"]);
    expect(Buffer.from(readFileSync(join(dir, "x", "headroom"))).equals(Buffer.from(payload))).toBe(true);
    expect(statSync(join(dir, "x", "headroom")).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, "x", "notes.txt")).mode & 0o777).toBe(0o644);
    expect(statSync(join(dir, "x", "headroom")).mtime.getTime()).toBe(mtime.getTime());
  });

  test("refuses member names it cannot store safely", async () => {
    for (const name of ["../evil", "/abs", "x".repeat(100), "sp ace"]) {
      await expect(tarGz([{ name, data: payload, mode: 0o644, mtime }])).rejects.toThrow("archive member name not supported");
    }
  });
});

describe.skipIf(!!noUnzip)("zip", () => {
  test("unzip tests it clean and extracts the exact bytes", async () => {
    const dir = join(tmp, "zip");
    mkdirSync(dir);
    const text = new TextEncoder().encode("line\n".repeat(10_000)); // compressible
    writeFileSync(join(dir, "a.zip"), await zip([
      { name: "headroom.exe", data: payload, mode: 0o755, mtime },
      { name: "readme.txt", data: text, mode: 0o644, mtime },
    ]));
    expect(statSync(join(dir, "a.zip")).size).toBeLessThan(payload.length + text.length);
    expect(run(["unzip", "-tq", "a.zip"], dir)).toBe(0);
    mkdirSync(join(dir, "x"));
    expect(run(["unzip", "-q", "../a.zip"], join(dir, "x"))).toBe(0);
    expect(Buffer.from(readFileSync(join(dir, "x", "headroom.exe"))).equals(Buffer.from(payload))).toBe(true);
    expect(readFileSync(join(dir, "x", "readme.txt"), "utf8")).toBe("line\n".repeat(10_000));
  });
});

describe("SHA256SUMS", () => {
  const a = "a".repeat(64);
  const b = "B".repeat(64);

  test("round-trips, accepts binary-mode names and lowercases hashes", () => {
    const sums = parseChecksums(`${a}  one.tar.gz\n${b} *two.exe\n\n`);
    expect([...sums]).toEqual([["one.tar.gz", a], ["two.exe", "b".repeat(64)]]);
    expect(formatChecksums(sums)).toBe(`${a}  one.tar.gz\n${"b".repeat(64)}  two.exe\n`);
  });

  test("names the line that is malformed, and a missing entry", () => {
    expect(() => parseChecksums(`${a}  ok\nnot a checksum\n`)).toThrow("line 2");
    expect(() => requireChecksum(parseChecksums(`${a}  ok\n`), "other")).toThrow("SHA256SUMS has no entry for other.");
  });
});

describe("release names", () => {
  test("archives and binaries per target", () => {
    expect(archiveName("1.2.3", "linux-x64")).toBe("headroom-1.2.3-linux-x64.tar.gz");
    expect(archiveName("1.2.3", "windows-x64")).toBe("headroom-1.2.3-windows-x64.zip");
    expect(binaryName("darwin-arm64")).toBe("headroom-darwin-arm64");
    expect(binaryName("windows-x64")).toBe("headroom-windows-x64.exe");
    expect(archiveMember("windows-x64")).toBe("headroom.exe");
    expect(archiveMember("linux-arm64")).toBe("headroom");
  });

  test("versions usable as folder names", () => {
    for (const v of ["0.1.0", "1.0.0-rc.1", "2.0.0+build.5"]) expect(isValidVersion(v)).toBe(true);
    for (const v of ["", "../x", "1/2", "a b", "-1", "1..2"]) expect(isValidVersion(v)).toBe(false);
  });
});
