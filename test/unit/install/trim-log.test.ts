// runner.log stays bounded, trimmed in place (same inode) so an appending supervisor
// keeps writing into the file that is read.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { trimLog } from "../../../src/install/runtime-process.ts";

const dir = mkdtempSync("/tmp/headroom-trim-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("past the limit only the last whole lines stay; an open appender keeps writing into it", () => {
  const path = join(dir, "runner.log");
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${String(i).padStart(5, "0")} ${"x".repeat(40)}`);
  writeFileSync(path, lines.join("\n") + "\n");
  const appender = openSync(path, "a");
  const inode = statSync(path).ino;
  expect(trimLog(path, 10_000_000, 1000)).toBe(false);
  expect(trimLog(path, 50_000, 1000)).toBe(true);
  expect(statSync(path).ino).toBe(inode);
  writeSync(appender, "after trim\n");
  closeSync(appender);
  const text = readFileSync(path, "utf8");
  expect(text.length).toBeLessThan(1200);
  expect(text.startsWith("[headroom: runner.log trimmed")).toBe(true);
  const body = text.split("\n").slice(1, -2);
  for (const l of body) expect(l).toMatch(/^line \d{5} x{40}$/);
  expect(text.endsWith("line 01999 " + "x".repeat(40) + "\nafter trim\n")).toBe(true);
});
