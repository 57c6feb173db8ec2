// Source code, prose, Markdown and HTML pass through whole: none of the line compressors
// (nor the engine as a whole) takes them for a log, a table or a listing. Checked on this
// repository's own sources and docs, the READMEs of its dependencies, and the system's
// Python modules, license texts and HTML manuals where the machine has them.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { repoRoot } from "../../support/bin.ts";

function walk(dir: string, keep: (path: string) => boolean, out: string[] = [], depth = 8): string[] {
  if (depth < 0 || !existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) walk(path, keep, out, depth - 1);
    else if (st.size >= 2048 && st.size <= 400_000 && keep(path)) out.push(path);
  }
  return out;
}

/** Paths whose content the engine compressed (with the compressor's kind). */
function compressed(paths: string[]): string[] {
  resetMemo();
  const hits: string[] = [];
  for (const path of paths) {
    const text = readFileSync(path, "utf8");
    const c = compressToolText(text, { queryTerms: ["error", "config"] });
    if (c) hits.push(`${c.kind}: ${path}`);
  }
  return hits;
}

describe("source code", () => {
  test("this repository's TypeScript", () => {
    const files = [...walk(join(repoRoot, "src"), (p) => p.endsWith(".ts")), ...walk(join(repoRoot, "test"), (p) => p.endsWith(".ts")), ...walk(join(repoRoot, "scripts"), (p) => p.endsWith(".ts"))];
    expect(files.length).toBeGreaterThan(50);
    expect(compressed(files)).toEqual([]);
  });

  test("type declarations and JavaScript of the dependencies", () => {
    const files = walk(join(repoRoot, "node_modules"), (p) => /\.(d\.ts|js|mjs)$/.test(p) && !p.includes(".min.")).filter((_, i) => i % 7 === 0);
    expect(files.length).toBeGreaterThan(50);
    expect(compressed(files)).toEqual([]);
  });

  test.skipIf(!existsSync("/usr/lib/python3"))("Python modules of the system", () => {
    const dirs = readdirSync("/usr/lib").filter((d) => /^python3\.\d+$/.test(d));
    const names = ["argparse.py", "subprocess.py", "json/encoder.py", "json/decoder.py", "logging/__init__.py", "http/client.py", "email/message.py", "shutil.py", "tarfile.py", "unittest/case.py"];
    const files = dirs.flatMap((d) => names.map((n) => join("/usr/lib", d, n))).filter(existsSync);
    expect(files.length).toBeGreaterThan(3);
    expect(compressed(files)).toEqual([]);
  });
});

describe("prose", () => {
  test("this repository's docs and the dependencies' READMEs and changelogs", () => {
    const files = [
      ...walk(join(repoRoot, "docs"), (p) => p.endsWith(".md")),
      ...walk(join(repoRoot, "node_modules"), (p) => /\/(README|CHANGELOG|readme|changelog)\.md$/.test(p), [], 3),
    ];
    expect(files.length).toBeGreaterThan(10);
    expect(compressed(files)).toEqual([]);
  });

  test.skipIf(!existsSync("/usr/share/common-licenses"))("license texts", () => {
    expect(compressed(readdirSync("/usr/share/common-licenses").map((n) => join("/usr/share/common-licenses", n)).filter((p) => statSync(p).size > 2048))).toEqual([]);
  });
});

describe("HTML", () => {
  test("a page with navigation, paragraphs, a table and a list", () => {
    const rows = Array.from({ length: 40 }, (_, i) => `      <tr><td>item-${i}</td><td>${i * 3}</td><td class="state">ok</td></tr>`);
    const paras = Array.from({ length: 30 }, (_, i) => `    <p>Paragraph ${i} explains how the <a href="/docs/${i}">feature ${i}</a> works, and what to do when it fails.</p>`);
    const page = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "  <meta charset=\"utf-8\">", "  <title>Manual</title>", "</head>", "<body>", "  <nav><ul>", ...Array.from({ length: 20 }, (_, i) => `    <li><a href="#s${i}">Section ${i}</a></li>`), "  </ul></nav>", "  <main>", ...paras, "    <table>", ...rows, "    </table>", "  </main>", "</body>", "</html>"].join("\n");
    expect(compressed([writeTemp(page)])).toEqual([]);
  });

  test("the system's HTML manuals", () => {
    const files = walk("/usr/share/doc", (p) => p.endsWith(".html"), [], 3);
    expect(compressed(files)).toEqual([]);
  });
});

function writeTemp(text: string): string {
  const path = join(tmpdir(), `headroom-passthrough-${process.pid}.html`);
  writeFileSync(path, text);
  return path;
}
