// The CLI's contract on bad input and help, run against the compiled binary.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { binPath, runBin } from "../support/bin.ts";
import pkg from "../../package.json" with { type: "json" };

describe("headroom CLI", () => {
  test("--version prints the embedded version", async () => {
    const r = await runBin(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test("version --json names the target", async () => {
    const r = await runBin(["version", "--json"]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.version).toBe(pkg.version);
    expect(info.target).toBe(`${process.platform}-${process.arch}`);
  });

  test("an unknown command is a one-line usage error with exit 2", async () => {
    const r = await runBin(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("frobnicate");
  });

  test("help works at every level", async () => {
    for (const argv of [["--help"], ["proxy", "--help"], ["install", "--help"], ["install", "apply", "--help"], ["install", "agent", "--help"], ["wrap", "--help"]]) {
      const r = await runBin(argv);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).toContain("USAGE");
    }
  });

  test("--verbose is accepted everywhere and adds the stack to a failure; without it, one sentence", async () => {
    const home = mkdtempSync("/tmp/headroom-cli-");
    try {
      const env = { HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), HEADROOM_DEBUG: undefined };
      for (const argv of [["install", "status", "--profile", "nope"], ["install", "start", "--profile", "nope"]]) {
        const plain = await runBin(argv, { env });
        const verbose = await runBin([...argv, "--verbose"], { env });
        // 3: no such deployment profile (src/cli/exit-codes.ts).
        expect(plain.code).toBe(3);
        expect(verbose.code).toBe(3);
        expect(plain.stderr).toStartWith(`headroom: No deployment profile "nope"`);
        expect(plain.stderr).not.toContain("    at ");
        // The same message first, then where it came from.
        expect(verbose.stderr.startsWith(plain.stderr.trimEnd())).toBe(true);
        expect(verbose.stderr).toContain("    at ");
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("install status: plain forms and the full parser agree (messages, exit codes, JSON)", async () => {
    const home = mkdtempSync("/tmp/headroom-cli-");
    try {
      const env = { HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom") };
      // --verbose is not a plain form, so each pair runs once each way.
      for (const argv of [["--profile", "bad name"], ["--all", "--profile", "x"], ["--all", "--json"], ["--profile=nope", "--json"]]) {
        const plain = await runBin(["install", "status", ...argv], { env });
        const full = await runBin(["install", "status", ...argv, "--verbose"], { env });
        expect(full.code).toBe(plain.code);
        expect(full.stdout).toBe(plain.stdout);
        // --json puts the failure on stdout; --verbose then adds only the stack on stderr.
        if (plain.stderr) expect(full.stderr.split("\n")[0]).toBe(plain.stderr.split("\n")[0]!);
      }
      const bad = await runBin(["install", "status", "--profile", "bad name"], { env });
      expect(bad.code).toBe(2);
      const none = await runBin(["install", "status", "--all", "--json"], { env });
      expect(none.code).toBe(3);
      expect(JSON.parse(none.stdout)).toEqual({ ok: false, error: "No deployment profiles.", code: 3, profiles: [], errors: [] });
      // Forms it does not take fall through to the full parser and its messages.
      const unknown = await runBin(["install", "status", "--bogus"], { env });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.trim()).toBe("headroom: Unknown option --bogus.");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("the binary under test exists", () => {
    expect(Bun.file(binPath).size).toBeGreaterThan(1_000_000);
  });
});
