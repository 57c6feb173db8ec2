// Column-structured output (ls -l, dpkg -l, ps aux, docker ps, df, CSV/TSV, git log
// --oneline): the header stays, the asked-for row survives, every output line is a line
// of the original, and the row gaps add up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tableCompressor, tableShape } from "../../../src/proxy/compress/compressors/table.ts";
import { splitLines } from "../../../src/proxy/compress/compressors/lines.ts";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { gapTotals, inventedLines, keptLines } from "../../support/never-invent.ts";
import { dockerPs, dpkgList, makeRepo, pick, psAux, rng, run, tempDir, WORDS } from "./line-fixtures.ts";

const ask = (question: string) => ({ queryTerms: queryTerms(question) });

/** Compresses, checks the never-invent rule and that kept rows + gap rows = all lines. */
function squeeze(text: string, question: string) {
  const out = tableCompressor.compress(text, ask(question));
  expect(out).not.toBeNull();
  expect(inventedLines(text, out!.text)).toEqual([]);
  const kept = keptLines(text, out!.text).length;
  expect(kept + (gapTotals(out!.text).row ?? 0)).toBe(splitLines(text).length);
  return { ...out!, lines: out!.text.split("\n") };
}

describe("ls -l of a real directory", () => {
  let listing = "";
  let done = () => {};
  beforeAll(() => {
    const t = tempDir("ls");
    done = t.done;
    const r = rng(1);
    for (let i = 0; i < 90; i++) writeFileSync(join(t.dir, `${pick(r, WORDS)}_${String(i).padStart(3, "0")}.log`), "x".repeat(1 + Math.floor(r() * 9000)));
    writeFileSync(join(t.dir, "zeppelin-manifest.yaml"), "z".repeat(7777));
    listing = run(["ls", "-l"], t.dir);
  }, 60_000);
  afterAll(() => done());

  test("detected as a table; the asked-for row, the total line, first and last rows survive", () => {
    expect(tableShape(splitLines(listing))).toEqual({ kind: "ls", rowsFrom: 1 });
    const out = squeeze(listing, "How big is zeppelin-manifest.yaml?");
    const rows = splitLines(listing);
    expect(out.lines[0]).toMatch(/^total \d+$/);
    expect(out.lines.slice(1, 4)).toEqual(rows.slice(1, 4));
    expect(out.lines.slice(-2)).toEqual(rows.slice(-2));
    expect(out.text).toMatch(/ 7777 .* zeppelin-manifest\.yaml$/m);
    expect(out.text).toMatch(/^… \d+ rows …$/m);
    expect(out.summary).toMatch(/^\d+ of 91 rows omitted$/);
  });
});

describe("dpkg -l", () => {
  const text = dpkgList();
  test("its five header lines, the asked-for package and the row with an error word survive", () => {
    expect(tableShape(splitLines(text))).toEqual({ kind: "dpkg", rowsFrom: 5 });
    const out = squeeze(text, "Which version of libzeppelin3 is installed?");
    expect(out.lines.slice(0, 5)).toEqual(splitLines(text).slice(0, 5));
    expect(out.text).toContain("libzeppelin3:amd64             3.0.13-1~deb12u1");
    expect(out.text).toContain("post-install script failed");
    // first 3 + last 2 + the match + the error row, in original order.
    expect(keptLines(text, out.text)).toHaveLength(5 + 3 + 2 + 2);
  });
});

describe("processes and containers", () => {
  test("ps aux: the asked-for process", () => {
    const text = psAux();
    expect(tableShape(splitLines(text))?.kind).toBe("aligned");
    const out = squeeze(text, "What is the PID of zeppelind?");
    expect(out.lines[0]).toStartWith("USER         PID %CPU");
    expect(out.text).toContain("/usr/sbin/zeppelind --hangar 7 --foreground");
  });

  test("the real ps of this machine is a table and invents nothing", () => {
    const text = run(["ps", "-eo", "user,pid,ppid,pri,ni,stat,comm"], "/");
    if (splitLines(text).length < 12) return; // a container with few processes: nothing to thin
    expect(tableShape(splitLines(text))?.kind).toBe("aligned");
    const out = tableCompressor.compress(text, ask("which process is ps?"));
    if (out) expect(inventedLines(text, out.text)).toEqual([]);
  });

  test("docker ps: the asked-for container and the exited one", () => {
    const text = dockerPs();
    expect(tableShape(splitLines(text))?.kind).toBe("aligned");
    const out = squeeze(text, "Which image does the zeppelin-db container run?");
    expect(out.lines[0]).toStartWith("CONTAINER ID");
    expect(out.text).toMatch(/postgres:16 .* zeppelin-db$/m);
    expect(out.text).toContain("Exited (1) 2 hours ago");
  });

  test("df: the asked-for mount", () => {
    // Columns as df lays them out: Size, Used, Avail and Use% right-aligned under their names.
    const row = (fs: string, size: string, used: string, avail: string, pct: string, at: string) => `${fs.padEnd(15)} ${size.padStart(4)} ${used.padStart(5)} ${avail.padStart(5)} ${pct.padStart(4)} ${at}`;
    const rows = Array.from({ length: 40 }, (_, i) => row(`/dev/loop${i}`, "64M", "64M", "0", "100%", `/snap/core${i}/${1000 + i}`));
    rows.splice(20, 0, row("/dev/nvme0n1p2", "468G", "401G", "44G", "91%", "/srv/zeppelin"));
    const text = `${["Filesystem      Size  Used Avail Use% Mounted on", ...rows].join("\n")}\n`;
    expect(tableShape(splitLines(text))?.kind).toBe("aligned");
    const out = squeeze(text, "How full is /srv/zeppelin?");
    expect(out.text).toContain("/srv/zeppelin");
  });
});

describe("delimited", () => {
  const r = rng(4);
  const rows = Array.from({ length: 300 }, (_, i) => `${i},"${pick(r, WORDS)}, ${pick(r, WORDS)}",${Math.floor(r() * 1000)},${i === 150 ? "zeppelin" : pick(r, WORDS)}`);
  test("CSV with quoted commas: header and the asked-for row", () => {
    const text = `${["id,name,size,owner", ...rows].join("\n")}\n`;
    expect(tableShape(splitLines(text))).toEqual({ kind: "delimited", rowsFrom: 1 });
    const out = squeeze(text, "Which row does zeppelin own?");
    expect(out.lines[0]).toBe("id,name,size,owner");
    expect(out.text).toContain(rows[150]!);
  });

  test("TSV", () => {
    const text = `${["id\tname\tsize\towner", ...rows.map((l) => l.replace(/"[^"]*"/, "x").replaceAll(",", "\t"))].join("\n")}\n`;
    expect(tableShape(splitLines(text))?.kind).toBe("delimited");
    const out = squeeze(text, "what does zeppelin own");
    expect(out.text).toMatch(/^150\tx\t\d+\tzeppelin$/m);
  });

  test("a term in many rows picks out none of them", () => {
    const text = `${["id,name,size,owner,state", ...rows.map((l, i) => `${l},${i % 3 === 0 ? "paused" : "active"}`)].join("\n")}\n`;
    const out = squeeze(text, "which ones are active?");
    expect(keptLines(text, out.text)).toHaveLength(1 + 3 + 2);
  });
});

describe("git log --oneline of a real repository", () => {
  let text = "";
  let done = () => {};
  beforeAll(() => {
    const t = tempDir("oneline");
    done = t.done;
    makeRepo(t.dir, 40, 23);
    text = run(["git", "log", "--oneline"], t.dir);
  }, 60_000);
  afterAll(() => done());

  test("a list of rows; the asked-for commit survives", () => {
    expect(tableShape(splitLines(text))?.kind).toBe("oneline");
    const out = squeeze(text, "which commit fixed the zeppelin hangar race?");
    expect(out.text).toMatch(/^[0-9a-f]{7,} Fix the zeppelin hangar door race$/m);
  });
});

describe("not tables", () => {
  test("prose, a log with levels, and markdown prose with commas are not tables", () => {
    const prose = Array.from({ length: 30 }, (_, i) => `This is sentence ${i} of a long explanation, which goes on for a while and then stops.`).join("\n");
    expect(tableShape(splitLines(prose))).toBeNull();
    const log = Array.from({ length: 40 }, (_, i) => `2026-11-24 10:${String(i).padStart(2, "0")}:00 INFO  worker ${i} started job ${i * 7}`).join("\n");
    expect(tableShape(splitLines(`time level message\n${log}`))).toBeNull();
  });

  test("through the engine, a log with levels still goes to the log compressor", () => {
    resetMemo();
    const log = Array.from({ length: 200 }, (_, i) => `2026-11-24 10:${String(i % 60).padStart(2, "0")}:00 INFO  worker ${i} started job ${i * 7}`);
    log[120] = "2026-11-24 10:00:00 ERROR worker 120 failed: disk full";
    const c = compressToolText(log.join("\n"), ask("why did the worker fail"));
    expect(c?.kind).toBe("log");
    expect(c!.text).toContain("worker 120 failed: disk full");
  });
});
