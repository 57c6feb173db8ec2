// The CLI's contract on bad input and help, run against the compiled binary.
import { describe, expect, test } from "bun:test";
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

  test("the binary under test exists", () => {
    expect(Bun.file(binPath).size).toBeGreaterThan(1_000_000);
  });
});
