// install.ps1 cannot run here (no PowerShell on Linux CI), so it is checked as text: it
// tokenizes with balanced brackets, every Headroom function it calls is defined, it uses
// the same defaults, names and checksum format as the release, and it does what the
// contract asks (Get-FileHash, user PATH, LOCALAPPDATA, no `exit` that would close an
// `irm | iex` window). When pwsh is present, PowerShell's own parser checks it too.
// install.sh's defaults are checked against the same constants.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseChecksums } from "../../../scripts/distribution/checksums.ts";
import { archiveName, DEFAULT_DOWNLOAD_BASE, DEFAULT_LATEST_URL } from "../../../scripts/distribution/naming.ts";
import { repoRoot } from "../../support/bin.ts";

const ps1Path = join(repoRoot, "scripts", "install.ps1");
const ps1 = readFileSync(ps1Path, "utf8");
const sh = readFileSync(join(repoRoot, "scripts", "install.sh"), "utf8");

/** PowerShell code with comments removed and string contents blanked (quotes kept). */
function codeOnly(src: string): string {
  let out = "";
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === "<" && src[i + 1] === "#") {
      const end = src.indexOf("#>", i + 2);
      if (end < 0) throw new Error("unterminated block comment");
      i = end + 2;
    } else if (c === "#") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "'") {
      out += "'";
      i++;
      for (;;) {
        if (i >= n) throw new Error("unterminated single-quoted string");
        if (src[i] === "'" && src[i + 1] === "'") { i += 2; continue; }
        if (src[i] === "'") { i++; break; }
        i++;
      }
      out += "'";
    } else if (c === '"') {
      out += '"';
      i++;
      for (;;) {
        if (i >= n) throw new Error("unterminated double-quoted string");
        const d = src[i]!;
        if (d === "`") { i += 2; continue; }
        if (d === '"' && src[i + 1] === '"') { i += 2; continue; }
        if (d === '"') { i++; break; }
        if (d === "$" && src[i + 1] === "(") {
          // A subexpression: its code counts, with its own brackets balanced.
          let depth = 0;
          let j = i + 1;
          for (; j < n; j++) {
            if (src[j] === "(") depth++;
            else if (src[j] === ")" && --depth === 0) break;
          }
          out += codeOnly(src.slice(i + 1, j + 1));
          i = j + 1;
          continue;
        }
        i++;
      }
      out += '"';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

describe("install.ps1", () => {
  const code = codeOnly(ps1);

  test("brackets balance outside strings and comments", () => {
    const pairs: Record<string, string> = { ")": "(", "}": "{", "]": "[" };
    const stack: string[] = [];
    for (const ch of code) {
      if ("({[".includes(ch)) stack.push(ch);
      else if (ch in pairs) expect(`${stack.pop()}${ch}`).toBe(`${pairs[ch]}${ch}`);
    }
    expect(stack).toEqual([]);
  });

  test("every Headroom function it calls is defined, and the entry point is called once", () => {
    const defined = new Set([...code.matchAll(/^\s*function\s+([A-Za-z]+-Headroom[A-Za-z]*)/gm)].map((m) => m[1]!));
    const used = new Set([...code.matchAll(/\b([A-Z][a-z]+-Headroom[A-Za-z]*)\b/g)].map((m) => m[1]!));
    expect([...used].filter((f) => !defined.has(f))).toEqual([]);
    expect([...defined].sort()).toEqual([
      "Add-HeadroomToUserPath", "Get-HeadroomExpectedHash", "Get-HeadroomTarget", "Install-Headroom",
      "Invoke-HeadroomDownload", "Restart-HeadroomDeployments", "Test-HeadroomPathContains", "Write-HeadroomInfo",
    ]);
    expect(code.match(/^\s*Install-Headroom\s*$/gm)).toHaveLength(1);
  });

  test("uses the release's download base, latest pointer and archive name", () => {
    expect(ps1).toContain(`$HeadroomDefaultBase = '${DEFAULT_DOWNLOAD_BASE}'`);
    expect(ps1).toContain(`$HeadroomDefaultLatest = '${DEFAULT_LATEST_URL}'`);
    const template = /\$archive = "([^"]+)"/.exec(ps1)![1]!;
    expect(template.replace("$version", "1.2.3").replace("$target", "windows-x64")).toBe(archiveName("1.2.3", "windows-x64"));
    expect(ps1).toContain(`"$base/$version/$archive"`);
    expect(ps1).toContain(`"$base/$version/SHA256SUMS"`);
  });

  test("reads SHA256SUMS lines as the release writes them", () => {
    const pattern = /\$line -match '([^']+)'/.exec(ps1)![1]!;
    const re = new RegExp(pattern);
    const sums = readFileSync(join(repoRoot, "test", "fixtures", "distribution", "SHA256SUMS"), "utf8");
    const zipName = archiveName("0.1.0", "windows-x64");
    const line = sums.split("\n").find((l) => re.exec(l)?.[2] === zipName)!;
    expect(re.exec(line)![1]!.toLowerCase()).toBe(parseChecksums(sums).get(zipName)!);
  });

  test("verifies with Get-FileHash, installs into LOCALAPPDATA, adds the folder to the user PATH", () => {
    expect(ps1).toContain("Get-FileHash -LiteralPath $archivePath -Algorithm SHA256");
    expect(ps1).toContain("if ($actual -ne $expected)");
    expect(ps1).toContain("Join-Path $env:LOCALAPPDATA 'headroom\\bin'");
    expect(ps1).toContain("[Environment]::GetEnvironmentVariable('Path', 'User')");
    expect(ps1).toContain("[Environment]::SetEnvironmentVariable('Path', $newPath, 'User')");
    expect(ps1).toContain("Expand-Archive -LiteralPath $archivePath");
    // Checksum is checked before anything is unpacked or copied.
    expect(ps1.indexOf("Get-FileHash")).toBeLessThan(ps1.indexOf("Expand-Archive"));
    expect(ps1.indexOf("Expand-Archive")).toBeLessThan(ps1.indexOf("Copy-Item"));
    for (const v of ["HEADROOM_VERSION", "HEADROOM_INSTALL_DIR", "HEADROOM_DOWNLOAD_URL", "HEADROOM_INSTALL_OS", "HEADROOM_INSTALL_ARCH"]) {
      expect(code).toContain(`$env:${v}`);
      expect(ps1.split("\n").filter((l) => l.startsWith("#")).join("\n")).toContain(v);
    }
  });

  test("upgrade under a running headroom.exe: the old file is renamed aside before the new one takes its name, put back if that fails, then outdated deployments are restarted", () => {
    // The raw text (string contents matter here); comments hold none of these lines.
    const body = /function Install-Headroom \{([\s\S]*?)\n\}\n/.exec(ps1)![1]!;
    const at = (needle: string) => {
      const i = body.indexOf(needle);
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return i;
    };
    const copy = at("Copy-Item -LiteralPath $newExe -Destination $staged");
    const aside = at("Rename-Item -LiteralPath $dest -NewName $oldName");
    const place = at("Move-Item -LiteralPath $staged -Destination $dest");
    const restore = at("Rename-Item -LiteralPath $old -NewName 'headroom.exe'");
    const restart = at("Restart-HeadroomDeployments $dest $version");
    // Staged first (a failed copy leaves the old program in place), then aside, then placed.
    expect(copy).toBeLessThan(aside);
    expect(aside).toBeLessThan(place);
    // The put-back is in the catch of the placing try, and the restart comes after it.
    const tryAt = body.lastIndexOf("try {", place);
    const catchAt = body.indexOf("} catch {", place);
    expect(tryAt).toBeGreaterThan(aside);
    expect(catchAt).toBeGreaterThan(place);
    expect(restore).toBeGreaterThan(catchAt);
    expect(restart).toBeGreaterThan(restore);
    // Only when a previous headroom.exe was replaced.
    expect(body).toContain("if ($previous) { Restart-HeadroomDeployments $dest $version }");
    // The running file is never deleted or overwritten in place before it was renamed.
    expect(body.slice(0, aside)).not.toMatch(/Remove-Item -LiteralPath \$dest|Copy-Item[^\n]*-Destination \$dest/);

    const fn = /function Restart-HeadroomDeployments[^{]*\{([\s\S]*?)\n\}\n/.exec(ps1)![1]!;
    // The new binary does the restarts, after checking its help names the command; the opt-out is documented.
    expect(fn).toContain("& $Exe install upgrade-restart --help");
    expect(fn).toContain("$help -notmatch 'upgrade-restart'");
    expect(fn).toContain("& $Exe install upgrade-restart 2>&1");
    expect(fn).toContain("$LASTEXITCODE -ne 0");
    expect(fn).toContain("$env:HEADROOM_NO_RESTART -eq '1'");
    expect(ps1.split("\n").filter((l) => l.startsWith("#")).join("\n")).toContain("HEADROOM_NO_RESTART");
    // Every way out of it without restarting still tells the user the manual command.
    expect(ps1).toContain("run 'headroom install restart' to switch it to $Version.");
  });

  test("never exits the caller's shell when piped into iex", () => {
    const exits = code.split("\n").filter((l) => /\bexit\b/.test(l));
    expect(exits.map((l) => l.trim())).toEqual(["if ($PSCommandPath) { exit 1 }"]);
  });

  const pwsh = Bun.which("pwsh");
  if (!pwsh) console.warn("install.ps1: pwsh is not installed; only the text checks ran (PowerShell's parser did not).");
  test.skipIf(!pwsh)("PowerShell's parser reports no errors", () => {
    const cmd = `$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('${ps1Path}', [ref]$null, [ref]$e); $e.Count`;
    const r = Bun.spawnSync([pwsh!, "-NoProfile", "-NonInteractive", "-Command", cmd], { stdout: "pipe", stderr: "pipe" });
    expect(r.stdout.toString().trim()).toBe("0");
  });
});

describe("install.sh", () => {
  test("uses the release's download base and latest pointer", () => {
    expect(sh).toContain(`HEADROOM_DEFAULT_BASE="${DEFAULT_DOWNLOAD_BASE}"`);
    expect(sh).toContain(`HEADROOM_DEFAULT_LATEST="${DEFAULT_LATEST_URL}"`);
    expect(sh).toContain('archive="headroom-$version-$target.tar.gz"');
  });

  const shellcheck = Bun.which("shellcheck");
  if (!shellcheck) console.warn("install.sh: shellcheck is not installed; the lint check did not run.");
  test.skipIf(!shellcheck)("passes shellcheck as POSIX sh", () => {
    const r = Bun.spawnSync([shellcheck!, "-s", "sh", join(repoRoot, "scripts", "install.sh")], { stdout: "pipe", stderr: "pipe" });
    expect(r.stdout.toString() + r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("runs nothing until its last line (a cut-off download executes nothing)", () => {
    const lines = sh.trimEnd().split("\n");
    expect(lines.at(-1)).toBe('main "$@"');
    const topLevel = lines.filter((l) => /^[a-z_]+=|^[a-z]/.test(l) && !/^[a-z0-9_]+\(\) \{$/.test(l) && !l.startsWith("set -eu"));
    expect(topLevel).toEqual(['main "$@"']);
  });
});
