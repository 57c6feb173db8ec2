// The Homebrew formula and winget manifests generated from a fixture SHA256SUMS: the
// committed example matches the generator, the formula evaluates (under a stand-in for
// Homebrew's DSL) to the right archive per platform, the manifests parse as YAML.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseChecksums } from "../../../scripts/distribution/checksums.ts";
import { renderFormula } from "../../../scripts/distribution/homebrew.ts";
import { archiveName, binaryName, DEFAULT_DOWNLOAD_BASE, downloadUrl } from "../../../scripts/distribution/naming.ts";
import { renderWingetManifests, WINGET_PACKAGE_ID } from "../../../scripts/distribution/winget.ts";
import { renderPackaging } from "../../../scripts/packaging.ts";
import { repoRoot } from "../../support/bin.ts";

const fixtures = join(repoRoot, "test", "fixtures", "distribution");
const sumsPath = join(fixtures, "SHA256SUMS");
const sums = parseChecksums(readFileSync(sumsPath, "utf8"));
const VERSION = "0.1.0";
const input = { version: VERSION, baseUrl: DEFAULT_DOWNLOAD_BASE, sums };
const tmp = mkdtempSync(join(tmpdir(), "headroom-packaging-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const noRuby = Bun.which("ruby") ? null : "ruby is not installed";
if (noRuby && process.env.CI === "true") throw new Error(`CI must check the Homebrew formula with ruby: ${noRuby}`);
if (noRuby) console.warn(`skipping the ruby checks: ${noRuby}`);

function ruby(args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(["ruby", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

describe("committed example under packaging/", () => {
  test("is exactly what scripts/packaging.ts generates from the fixture checksums", () => {
    const files = renderPackaging(input);
    expect(Object.keys(files).sort()).toEqual([
      "homebrew/headroom.rb",
      `winget/${WINGET_PACKAGE_ID}.installer.yaml`,
      `winget/${WINGET_PACKAGE_ID}.locale.en-US.yaml`,
      `winget/${WINGET_PACKAGE_ID}.yaml`,
    ]);
    for (const [rel, text] of Object.entries(files)) {
      expect(`${rel}:\n${readFileSync(join(repoRoot, "packaging", rel), "utf8")}`).toBe(`${rel}:\n${text}`);
    }
  });

  test("the CLI writes the same files and rejects missing or bad input in one line", () => {
    const out = join(tmp, "cli");
    const ok = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/packaging.ts"), "--sums", sumsPath, "--version", VERSION, "--out-dir", out]);
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(join(out, "homebrew/headroom.rb"), "utf8")).toBe(renderFormula(input));
    expect(readdirSync(join(out, "winget")).sort()).toHaveLength(3);

    const missing = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/packaging.ts"), "--out-dir", out], { stderr: "pipe" });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.toString().trim()).toBe("packaging: pass --sums <path to SHA256SUMS>.");

    const bad = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/packaging.ts"), "--sums", join(fixtures, "formula-harness.rb"), "--out-dir", join(tmp, "bad")], { stderr: "pipe" });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString().trim().split("\n")).toHaveLength(1);
    expect(bad.stderr.toString()).toContain("is not \"<sha256>  <file>\"");
  });

  test("a release missing a platform's archive cannot produce a formula", () => {
    const partial = new Map(sums);
    partial.delete(archiveName(VERSION, "linux-arm64"));
    expect(() => renderFormula({ ...input, sums: partial })).toThrow(`no entry for ${archiveName(VERSION, "linux-arm64")}`);
  });
});

describe.skipIf(!!noRuby)("Homebrew formula", () => {
  const formulaPath = join(tmp, "headroom.rb");

  test("is valid Ruby (ruby -c)", async () => {
    await Bun.write(formulaPath, renderFormula(input));
    const r = ruby(["-c", formulaPath]);
    expect(r.out.trim()).toBe("Syntax OK");
  });

  test.each([
    ["macos", "arm", "darwin-arm64"],
    ["macos", "intel", "darwin-x64"],
    ["linux", "arm", "linux-arm64"],
    ["linux", "intel", "linux-x64"],
  ])("on %s/%s it downloads the %s archive with its checksum, installs `headroom`, runs the proxy as a service", async (os, arch, target) => {
    await Bun.write(formulaPath, renderFormula(input));
    const r = ruby([join(fixtures, "formula-harness.rb"), formulaPath, os, arch]);
    expect(r.code).toBe(0);
    const f = JSON.parse(r.out);
    const file = archiveName(VERSION, target);
    expect(f.url).toEqual([downloadUrl(DEFAULT_DOWNLOAD_BASE, VERSION, file)]);
    expect(f.sha256).toEqual([sums.get(file)]);
    expect(f.version).toBe(VERSION);
    expect(f.installed).toEqual(["headroom"]);
    expect(f.service).toEqual({
      run: ["/prefix/opt/headroom/bin/headroom", "proxy"],
      keep_alive: true,
      log_path: "/prefix/var/log/headroom.log",
      error_log_path: "/prefix/var/log/headroom.log",
    });
    expect(f.test_commands).toEqual(["/prefix/bin/headroom --version"]);
    expect(f.test_asserts).toEqual([[VERSION, `${VERSION}\n`]]);
    // brew prints the caveats after an upgrade: how to move running deployments to it.
    expect(f.caveats).toContain("keeps running the previous\nversion after `brew upgrade`");
    expect(f.caveats).toContain("\n  headroom install upgrade-restart\n");
  });
});

describe("winget manifests", () => {
  const files = renderWingetManifests(input);
  const parsed = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Bun.YAML.parse(text) as Record<string, unknown>]));

  test("three manifests of one package and version, ManifestVersion 1.6.0", () => {
    expect(Object.keys(parsed).sort()).toEqual([
      `${WINGET_PACKAGE_ID}.installer.yaml`, `${WINGET_PACKAGE_ID}.locale.en-US.yaml`, `${WINGET_PACKAGE_ID}.yaml`,
    ]);
    const types = new Set<unknown>();
    for (const m of Object.values(parsed)) {
      expect(m.PackageIdentifier).toBe(WINGET_PACKAGE_ID);
      expect(m.PackageVersion).toBe(VERSION);
      expect(m.ManifestVersion).toBe("1.6.0");
      types.add(m.ManifestType);
    }
    expect([...types].sort()).toEqual(["defaultLocale", "installer", "version"]);
    expect(parsed[`${WINGET_PACKAGE_ID}.yaml`]!.DefaultLocale).toBe("en-US");
  });

  test("the installer is the portable Windows binary with its checksum and the `headroom` command", () => {
    const m = parsed[`${WINGET_PACKAGE_ID}.installer.yaml`]!;
    expect(m.InstallerType).toBe("portable");
    expect(m.Commands).toEqual(["headroom"]);
    expect(m.Installers).toEqual([{
      Architecture: "x64",
      InstallerUrl: downloadUrl(DEFAULT_DOWNLOAD_BASE, VERSION, binaryName("windows-x64")),
      InstallerSha256: sums.get(binaryName("windows-x64"))!.toUpperCase(),
    }]);
  });

  test("the default locale carries the fields winget requires", () => {
    const m = parsed[`${WINGET_PACKAGE_ID}.locale.en-US.yaml`]!;
    for (const key of ["PackageLocale", "Publisher", "PackageName", "License", "ShortDescription"]) {
      expect(typeof m[key]).toBe("string");
      expect((m[key] as string).length).toBeGreaterThan(2);
    }
  });

  test("the installation notes say to stop running deployments around `winget upgrade` (it cannot replace a running exe)", () => {
    const notes = parsed[`${WINGET_PACKAGE_ID}.locale.en-US.yaml`]!.InstallationNotes as string;
    expect(notes).toContain("before `winget upgrade` (`headroom install stop`");
    expect(notes).toContain("(`headroom install start`)");
  });

  test("versions that look like numbers or keywords stay strings", () => {
    for (const version of ["1.10", "2", "1e5", "yes"]) {
      const m = Bun.YAML.parse(renderWingetManifests({ ...input, version, sums: new Map([[binaryName("windows-x64"), "a".repeat(64)]]) })[`${WINGET_PACKAGE_ID}.yaml`]!) as Record<string, unknown>;
      expect(m.PackageVersion).toBe(version);
    }
  });
});
