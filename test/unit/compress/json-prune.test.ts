// JSON of any shape, pruned by copying spans of the original: the output parses, every kept
// value is byte-identical to the original's, marker counts add up, the question's fact
// survives however deep it sits, and no line is invented (pretty or minified).
import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { jsonArrayCompressor, jsonStart } from "../../../src/proxy/compress/compressors/json-array.ts";
import { ARR, OBJ, STR, parseJson, type JNode } from "../../../src/proxy/compress/compressors/json-parse.ts";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { estimateTokens } from "../../../src/proxy/compress/tokens.ts";
import { explainInvented, inventedLines } from "../../support/never-invent.ts";
import { repoRoot } from "../../support/bin.ts";

// ------------------------------------------------------------------ checks

const ITEMS = /^"… (\d+) items omitted …"$/;
const KEYS = /^"… (\d+) keys omitted …"$/;
const CUT = / … (\d+) chars cut … /;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Tally {
  items: number;
  keys: number;
  cuts: number;
}

/**
 * Walks the output alongside the original: an unchanged value is the original's exact text;
 * a changed container has the same type, keeps its members' keys and order, and its
 * markers count exactly the members missing; a cut string keeps pieces of the original in
 * order. Returns what was dropped.
 */
function checkAligned(orig: string, o: JNode, out: string, c: JNode, tally: Tally = { items: 0, keys: 0, cuts: 0 }): Tally {
  const fail = (why: string): never => {
    throw new Error(`${why}: ${orig.slice(o.start, o.start + 80)} -> ${out.slice(c.start, c.start + 80)}`);
  };
  const a = orig.slice(o.start, o.end);
  const b = out.slice(c.start, c.end);
  if (a === b) return tally;
  if (c.type !== o.type) fail("type changed");
  if (c.type === STR) {
    if (!CUT.test(b)) fail("string changed without a cut marker");
    if (LONE_SURROGATE.test(JSON.parse(b) as string)) fail("cut splits a surrogate pair");
    let at = 0;
    for (const piece of b.split(/ … \d+ chars cut … /)) {
      const i = a.indexOf(piece, at);
      if (i < 0) fail(`piece not in the original string: ${piece.slice(0, 40)}`);
      at = i + piece.length;
    }
    tally.cuts++;
    return tally;
  }
  if (c.type !== ARR && c.type !== OBJ) fail("scalar changed");
  let p = 0;
  c.kids!.forEach((kid, i) => {
    const text = out.slice(kid.start, kid.end);
    if (c.type === ARR) {
      const m = kid.type === STR ? ITEMS.exec(text) : null;
      if (m) {
        p += Number(m[1]);
        tally.items += Number(m[1]);
        return;
      }
    } else {
      const key = out.slice(c.keyStart![i], c.keyEnd![i]);
      const m = KEYS.exec(key);
      if (m) {
        if (text !== "null") fail("key marker without null");
        p += Number(m[1]);
        tally.keys += Number(m[1]);
        return;
      }
      if (key !== orig.slice(o.keyStart![p], o.keyEnd![p])) fail(`key ${key} out of place`);
    }
    if (p >= o.kids!.length) fail("more members than the original");
    checkAligned(orig, o.kids![p]!, out, kid, tally);
    p++;
  });
  if (p !== o.kids!.length) fail(`members and markers add up to ${p}, not ${o.kids!.length}`);
  return tally;
}

/** Compresses through the engine (marker line included) and checks every rule; returns the JSON part. */
function compressChecked(text: string, question: string, heading = ""): { json: string; summary: string; saved: number; tally: Tally; full: string } {
  resetMemo();
  const c = compressToolText(text, { queryTerms: queryTerms(question) });
  expect(c).not.toBeNull();
  expect(c!.kind).toBe("json");
  const lines = c!.text.split("\n");
  const markerLine = lines.pop()!;
  expect(markerLine).toMatch(/^\[headroom: .+; original: headroom_retrieve \{"hash":"[0-9a-f]{24}"\}\]$/);
  const body = lines.join("\n");
  expect(body.startsWith(heading)).toBe(true);
  const json = body.slice(heading.length);
  expect(() => JSON.parse(json)).not.toThrow();
  expect(explainInvented(text, c!.text)).toEqual([]);
  expect(inventedLines(text, c!.text)).toEqual([]);
  const start = jsonStart(text);
  const tally = checkAligned(text, parseJson(text, start), json, parseJson(json));
  const summary = /^\[headroom: (.*); original:/.exec(markerLine)![1]!;
  return { json, summary, saved: 1 - c!.tokensAfter / c!.tokensBefore, tally, full: c!.text };
}

// ------------------------------------------------------------------ real-shaped inputs

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function npmVersions(): string[] {
  const v: string[] = [];
  for (let major = 1; major <= 5; major++) for (let minor = 0; minor < 10; minor++) for (let patch = 0; patch < 4; patch++) v.push(`${major}.${minor}.${patch}`);
  for (let d = 1; d <= 31; d++) v.push(`4.4.0-dev.202107${String(d).padStart(2, "0")}`);
  return v;
}

/** Like `npm view <pkg> --json`: a record of scalars, small records, and big maps and arrays. */
function npmView() {
  const r = rng(11);
  const versions = npmVersions();
  const time: Record<string, string> = { created: "2012-10-01T15:12:26.200Z", modified: "2026-11-13T21:33:34.000Z" };
  for (const v of versions) time[v] = new Date(Date.UTC(2013, 0, 1) + Math.floor(r() * 4e11)).toISOString();
  return {
    _id: "typescript@5.9.3",
    _rev: "2871-4b2d1c1e1f9e3b6a7c8d9e0f1a2b3c4d",
    name: "typescript",
    description: "TypeScript is a language for application scale JavaScript development",
    "dist-tags": { latest: "5.4.3", beta: "5.0.0-beta", next: "4.4.0-dev.20210731" },
    versions,
    time,
    maintainers: Array.from({ length: 12 }, (_, i) => `maintainer${i} <m${i}@example.com>`),
    author: "Microsoft Corp.",
    repository: { type: "git", url: "git+https://github.com/microsoft/TypeScript.git" },
    license: "Apache-2.0",
    homepage: "https://www.typescriptlang.org/",
    keywords: ["TypeScript", "Microsoft", "compiler", "language", "javascript"],
    bugs: { url: "https://github.com/microsoft/TypeScript/issues" },
    devDependencies: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`@dev/tool-${i}`, `^${1 + (i % 9)}.${i}.0`])),
    engines: { node: ">=14.17" },
    dist: { shasum: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", tarball: "https://registry.npmjs.org/typescript/-/typescript-5.9.3.tgz" },
  };
}

const APPS = ["billing-api", "checkout-web", "search-indexer", "auth-gateway", "media-transcoder", "notifications", "ledger", "reports", "geo-lookup", "mailer"];

/** Like a kubectl List: Namespaces, Deployments, Services and ConfigMaps of several apps. */
function kubectlList() {
  const items: unknown[] = [];
  APPS.forEach((app, i) => {
    const meta = { name: app, namespace: app, creationTimestamp: null, labels: { app, tier: i % 2 ? "web" : "backend" } };
    items.push({ kind: "Namespace", apiVersion: "v1", metadata: { name: app, creationTimestamp: null }, spec: {}, status: {} });
    items.push({
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: meta,
      spec: {
        replicas: 1 + (i % 5),
        selector: { matchLabels: { app } },
        template: {
          metadata: { creationTimestamp: null, labels: { app } },
          spec: {
            containers: [
              {
                name: app,
                image: `registry.internal/${app}:${1 + i}.${(i * 7) % 13}.${(i * 3) % 5}`,
                ports: [{ containerPort: 8080 }],
                env: Array.from({ length: 12 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}` })),
                resources: { limits: { cpu: "500m", memory: "256Mi" } },
              },
            ],
          },
        },
        strategy: {},
      },
      status: {},
    });
    items.push({ kind: "Service", apiVersion: "v1", metadata: meta, spec: { ports: [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }], selector: { app }, type: "ClusterIP" }, status: { loadBalancer: {} } });
    items.push({ kind: "ConfigMap", apiVersion: "v1", metadata: { ...meta, name: `${app}-config` }, data: { "app.properties": Array.from({ length: 30 }, (_, k) => `${app}.option${k}=value${k}`).join("\n") } });
  });
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items };
}

/** Clusters of nodes of pods of containers: a fact four levels down. */
function clusters() {
  return {
    generated: "2026-11-24T10:00:00Z",
    clusters: Array.from({ length: 6 }, (_, c) => ({
      name: `cluster-${c}`,
      region: ["eu-west-1", "us-east-1", "ap-south-1"][c % 3],
      nodes: Array.from({ length: 10 }, (_, n) => ({
        name: `node-${c}-${n}`,
        pods: Array.from({ length: 12 }, (_, p) => ({
          name: `pod-${c}-${n}-${p}`,
          phase: "Running",
          containers: [{ name: "app", image: c === 3 && n === 7 && p === 5 ? "registry.internal/zeppelin-hangar:9.9.1" : `registry.internal/app:${(c + n + p) % 7}.0`, restarts: 0 }],
        })),
      })),
    })),
  };
}

// ------------------------------------------------------------------ tests

beforeEach(() => resetMemo());

describe("npm view: an object of big maps and arrays", () => {
  const question = "When was typescript version 4.4.0-dev.20210721 published?";
  const view = npmView();
  const fact = `"4.4.0-dev.20210721": "${view.time["4.4.0-dev.20210721"]}"`;

  test("pretty: the record keeps every key, big maps and arrays shrink, the asked version's time survives", () => {
    const text = JSON.stringify(view, null, 2);
    const { json, saved, tally, summary } = compressChecked(text, question);
    expect(json).toContain(fact);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    // Every key of the record is there (maps were thinned, not the record).
    for (const key of Object.keys(view)) expect(Object.keys(parsed)).toContain(key);
    expect(parsed["license"]).toBe("Apache-2.0");
    expect((parsed["versions"] as string[]).slice(0, 3)).toEqual(["1.0.0", "1.0.1", "1.0.2"]);
    expect(Object.keys(parsed["time"] as object).slice(0, 3)).toEqual(["created", "modified", "1.0.0"]);
    expect(tally.items).toBeGreaterThan(150);
    expect(tally.keys).toBeGreaterThan(150);
    expect(summary).toMatch(/^\d+ of \d+ items and \d+ of \d+ keys omitted$/);
    expect(saved).toBeGreaterThan(0.8);
  });

  test("minified: one line whose kept pieces are the original's, in order", () => {
    const text = JSON.stringify(view);
    const { json, saved } = compressChecked(text, question);
    expect(json.split("\n")).toHaveLength(1);
    expect(json).toContain(fact.replace('": "', '":"'));
    // No indentation to drop with the members: markers weigh a little more.
    expect(saved).toBeGreaterThan(0.75);
  });

  test("a version in the list keeps its neighbours (what comes right after it)", () => {
    const { json } = compressChecked(JSON.stringify(view, null, 2), "Which version comes right after 3.7.2 in the versions list?");
    const versions = (JSON.parse(json) as { versions: string[] }).versions;
    const at = versions.indexOf("3.7.2");
    expect(versions.slice(at - 1, at + 2)).toEqual(["3.7.1", "3.7.2", "3.7.3"]);
  });
});

describe("nested kubectl-like List", () => {
  const list = kubectlList();

  test("the Deployment asked about keeps its image; other items thin to examples", () => {
    const { json, saved, tally } = compressChecked(JSON.stringify(list, null, 2), "Which container image does the Deployment auth-gateway run?");
    expect(json).toContain('"image": "registry.internal/auth-gateway:4.8.4"');
    const items = (JSON.parse(json) as { items: unknown[] }).items;
    expect(items.filter((i) => typeof i === "object").length).toBeLessThan(12);
    expect(tally.items).toBeGreaterThan(25);
    expect(saved).toBeGreaterThan(0.7);
  });

  test("a fact four levels down survives (clusters > nodes > pods > containers), pretty and minified", () => {
    const data = clusters();
    for (const text of [JSON.stringify(data, null, 2), JSON.stringify(data)]) {
      const { json, saved } = compressChecked(text, "Which pod runs the zeppelin-hangar image?");
      expect(json).toContain("registry.internal/zeppelin-hangar:9.9.1");
      const parsed = JSON.parse(json) as { clusters: { name: string; nodes: { name: string; pods: { name: string }[] }[] }[] };
      const cluster = parsed.clusters.find((c) => c.name === "cluster-3")!;
      const node = cluster.nodes.find((n) => n.name === "node-3-7")!;
      expect(node.pods.some((p) => p.name === "pod-3-7-5")).toBe(true);
      expect(saved).toBeGreaterThan(0.9);
    }
  });
});

describe("arrays", () => {
  test("an array of scalars: first and last kept, the rest one marker", () => {
    const text = JSON.stringify(Array.from({ length: 600 }, (_, i) => `v${i}.0.${i % 7}`), null, 2);
    const { json, tally } = compressChecked(text, "show me the list");
    const parsed = JSON.parse(json) as string[];
    expect(parsed.slice(0, 3)).toEqual(["v0.0.0", "v1.0.1", "v2.0.2"]);
    expect(parsed.slice(-2)).toEqual(["v598.0.3", "v599.0.4"]);
    expect(tally.items).toBe(595);
  });

  test("arrays of objects keep problems and numeric outliers", () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: i, job: `build-${i}`, seconds: 30 + (i % 9), status: i === 77 ? "failed: exit code 2" : "ok" }));
    rows[50]!.seconds = 4000;
    const { json } = compressChecked(JSON.stringify(rows, null, 2), "how did the builds go?");
    const ids = (JSON.parse(json) as unknown[]).filter((r) => typeof r === "object").map((r) => (r as { id: number }).id);
    expect(ids).toContain(77);
    expect(ids).toContain(50);
  });

  test("numbers wrapped several to a line: markers never glue two lines together", () => {
    const nums = Array.from({ length: 400 }, (_, i) => String(i * 3));
    const rows: string[] = [];
    for (let i = 0; i < nums.length; i += 8) rows.push(`    ${nums.slice(i, i + 8).join(", ")}${i + 8 < nums.length ? "," : ""}`);
    const text = `{\n  "name": "samples",\n  "data": [\n${rows.join("\n")}\n  ]\n}`;
    const { json, tally } = compressChecked(text, "samples");
    expect(tally.items).toBeGreaterThan(300);
    expect((JSON.parse(json) as { data: number[] }).data.slice(0, 3)).toEqual([0, 3, 6]);
  });

  test("a short inline array inside pretty JSON is cut within its line", () => {
    const text = JSON.stringify({ about: "x".repeat(20), ids: Array.from({ length: 300 }, (_, i) => i * 11), rows: Array.from({ length: 40 }, (_, i) => ({ n: i, label: `row ${i}` })) }, null, 2).replace(/"ids": \[[^\]]*\]/, (m) => m.replace(/\s+/g, " "));
    const { json } = compressChecked(text, "list the ids");
    const line = json.split("\n").find((l) => l.includes('"ids"'))!;
    expect(line).toMatch(/^ {2}"ids": \[ 0, 11, 22, "… \d+ items omitted …", \d+, \d+ \],$/);
  });

  test("elements on a line of their own after `},{` (findmnt's layout)", () => {
    const mounts = Array.from({ length: 40 }, (_, i) => `      {\n         "target": "/sys/fs/cgroup/c${i}",\n         "options": "rw,relatime,c${i}"\n      }`);
    const text = `{\n   "filesystems": [\n${mounts.join(",").replaceAll("},\n      {", "},{")}\n   ]\n}`;
    expect(() => JSON.parse(text)).not.toThrow();
    const { json } = compressChecked(text, "Which options for /sys/fs/cgroup/c17?");
    expect(json).toContain('"options": "rw,relatime,c17"');
  });
});

describe("long strings", () => {
  test("cut inside the quotes: head kept, a window around the question's term kept, JSON still valid", () => {
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 50}`).join(" ");
    const doc = { id: 1, title: "notes", body: `${filler(200)} the zeppelin hangar door is jammed ${filler(300)}`, items: Array.from({ length: 3 }, (_, i) => ({ i })) };
    const { json, tally } = compressChecked(JSON.stringify(doc, null, 2), "what about the zeppelin hangar?");
    const body = (JSON.parse(json) as { body: string }).body;
    expect(body.startsWith("word0 word1 word2")).toBe(true);
    expect(body).toContain("the zeppelin hangar door is jammed");
    expect(body.match(/ … \d+ chars cut … /g)).toHaveLength(2);
    expect(tally.cuts).toBe(1);
  });

  test("never inside an escape sequence or a surrogate pair", () => {
    const r = rng(5);
    const atoms = ["a", "b", " ", "\n", "\t", '"', "\\", "é", "😀", "\u0001", "\u2028", "/"];
    for (let round = 0; round < 20; round++) {
      const strings = Array.from({ length: 4 }, () => Array.from({ length: 900 + Math.floor(r() * 400) }, () => atoms[Math.floor(r() * atoms.length)]).join(""));
      const text = JSON.stringify({ round, strings, pad: Array.from({ length: 50 }, (_, i) => i) }, null, 2);
      const { json, tally } = compressChecked(text, "anything");
      expect(tally.cuts).toBe(4);
      for (const s of (JSON.parse(json) as { strings: string[] }).strings) expect(LONE_SURROGATE.test(s)).toBe(false);
    }
  });
});

describe("JSON Lines and headings", () => {
  test("JSON Lines: kept lines verbatim (not trimmed), dropped runs one marker line each", () => {
    const lines = Array.from({ length: 80 }, (_, i) => `${i % 2 ? "  " : ""}${JSON.stringify({ commit: `c${i}`.padEnd(12, "0"), subject: i === 44 ? "fix: the zeppelin hangar door" : `chore: tidy ${i}` })}  `);
    const text = `${lines.join("\n")}\n`;
    resetMemo();
    const c = compressToolText(text, { queryTerms: queryTerms("which commit fixed the zeppelin door?") })!;
    const out = c.text.split("\n").slice(0, -1);
    expect(out).toEqual([lines[0]!, lines[1]!, lines[2]!, "… 41 lines omitted …", lines[44]!, "… 33 lines omitted …", lines[78]!, lines[79]!]);
    expect(inventedLines(text, c.text)).toEqual([]);
    expect(c.text).toContain("[headroom: 74 of 80 lines omitted;");
  });

  test("a heading line before the JSON is kept as it is", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ number: 1000 + i, title: i === 120 ? "Login page flickers on Safari" : `Improve module ${i}`, state: "open" }));
    const heading = "Found 200 issues:\n";
    const { json, saved } = compressChecked(heading + JSON.stringify(rows, null, 2), "Which issue is about the login page flickering on Safari?", heading);
    expect(json).toContain('"number": 1120');
    expect(saved).toBeGreaterThan(0.8);
  });
});

describe("contract", () => {
  test("deterministic: the same input and terms give the same bytes", () => {
    const text = JSON.stringify(kubectlList(), null, 2);
    const a = jsonArrayCompressor.compress(text, { queryTerms: queryTerms("auth-gateway image") })!;
    const b = jsonArrayCompressor.compress(text, { queryTerms: queryTerms("auth-gateway image") })!;
    expect(b.text).toBe(a.text);
    expect(b.summary).toBe(a.summary);
  });

  test("null when nothing would be dropped: small containers stay whole", () => {
    const records = Array.from({ length: 6 }, (_, i) => ({ id: i, text: "y".repeat(150), tags: ["a", "b", "c"] }));
    expect(jsonArrayCompressor.compress(JSON.stringify(records, null, 2), { queryTerms: [] })).toBeNull();
    expect(jsonArrayCompressor.compress(JSON.stringify({ a: Array.from({ length: 100 }, (_, i) => i) }), { queryTerms: [] })).toBeNull();
  });

  test("not JSON, or broken JSON, is left to the other compressors", () => {
    expect(jsonArrayCompressor.compress(`[INFO] start\n${"line\n".repeat(500)}`, { queryTerms: [] })).toBeNull();
    const broken = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ i })), null, 2).slice(0, -3);
    expect(jsonArrayCompressor.compress(broken, { queryTerms: [] })).toBeNull();
  });

  test("a 100 KB array: the row asked about survives among 900", () => {
    const text = JSON.stringify(Array.from({ length: 900 }, (_, i) => ({ id: i, name: `svc-${i}`, owner: { team: `t${i % 30}` }, tags: ["x", "y"] })), null, 2);
    expect(text.length).toBeGreaterThan(100_000);
    const out = jsonArrayCompressor.compress(text, { queryTerms: queryTerms("who owns svc-431?") })!;
    expect(out.text).toContain('"name": "svc-431"');
    expect(out.summary).toMatch(/^\d+ of 900 items omitted$/);
  });
});

// ------------------------------------------------------------------ the real corpus

const corpusIndex = join(repoRoot, "bench/corpus/index.json");
describe.skipIf(!existsSync(corpusIndex))("real corpus (bench/corpus): JSON items", async () => {
  const { loadCorpus } = (await import("../../../bench/corpus/load.ts")) as typeof import("../../../bench/corpus/load.ts");
  const items = existsSync(corpusIndex) ? loadCorpus().filter((i) => i.shape.startsWith("json")) : [];
  for (const item of items) {
    test(`${item.id}: mustSurvive survives, nothing invented, output parses`, () => {
      resetMemo();
      const c = compressToolText(item.text, { queryTerms: queryTerms(item.question) });
      const out = c?.text ?? item.text;
      for (const m of item.mustSurvive) expect({ m, kept: out.includes(m) }).toEqual({ m, kept: true });
      if (!c) return;
      expect(c.kind).toBe("json");
      expect(inventedLines(item.text, c.text)).toEqual([]);
      const body = c.text.slice(0, c.text.lastIndexOf("\n"));
      const start = jsonStart(body);
      if (item.shape !== "jsonl") {
        expect(() => JSON.parse(body.slice(start))).not.toThrow();
        checkAligned(item.text, parseJson(item.text, jsonStart(item.text)), body, parseJson(body, start));
      }
      expect(estimateTokens(c.text)).toBeLessThan(estimateTokens(item.text));
    });
  }
});

// ------------------------------------------------------------------ any layout

/** Random JSON, big enough to thin, written with random whitespace between every token. */
function randomDoc(r: () => number, depth = 0): unknown {
  const pick = r();
  if (depth > 2 || pick < 0.35) {
    const s = r();
    if (s < 0.3) return Math.floor(r() * 100000) / (r() < 0.5 ? 1 : 100);
    if (s < 0.4) return [true, false, null][Math.floor(r() * 3)];
    const words = ["alpha", "beta", "gamma", "error", "zeppelin", "delta", "x", "path/to/file.ts", "é😀", 'q"uote', "back\\slash", "line\nbreak"];
    const n = r() < 0.05 ? 120 : 1 + Math.floor(r() * 4);
    return Array.from({ length: n }, () => words[Math.floor(r() * words.length)]).join(" ");
  }
  const n = r() < 0.3 ? 10 + Math.floor(r() * 40) : Math.floor(r() * 6);
  if (pick < 0.7) return Array.from({ length: n }, () => randomDoc(r, depth + 1));
  const obj: Record<string, unknown> = {};
  const uniform = r() < 0.5;
  for (let i = 0; i < n; i++) obj[`k${i}${r() < 0.1 ? "-zeppelin" : ""}`] = uniform ? `v${Math.floor(r() * 1000)}` : randomDoc(r, depth + 1);
  return obj;
}

function writeRandomly(value: unknown, r: () => number, indent = ""): string {
  const gap = (inner: string) => {
    const p = r();
    return p < 0.45 ? `\n${inner}` : p < 0.7 ? "" : p < 0.9 ? " " : "\n";
  };
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = `${indent}  `;
    return `[${value.map((v) => gap(inner) + writeRandomly(v, r, inner)).join(",")}${gap(indent)}]`;
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    return `{${entries.map(([k, v]) => `${gap(inner)}${JSON.stringify(k)}${r() < 0.7 ? ": " : ":"}${writeRandomly(v, r, inner)}`).join(",")}${gap(indent)}}`;
  }
  return JSON.stringify(value);
}

describe("any layout", () => {
  test("random documents with random whitespace: valid JSON, original bytes, nothing invented", () => {
    const r = rng(2026);
    let compressed = 0;
    for (let round = 0; round < 60; round++) {
      const doc = { round, data: Array.from({ length: 3 }, () => randomDoc(r)) };
      const text = writeRandomly(doc, r);
      expect(JSON.parse(text)).toEqual(doc as never);
      const out = jsonArrayCompressor.compress(text, { queryTerms: queryTerms(r() < 0.5 ? "where is the zeppelin?" : "") });
      if (!out) continue;
      compressed++;
      expect(() => JSON.parse(out.text)).not.toThrow();
      const invented = inventedLines(text, out.text);
      if (invented.length > 0) expect({ round, invented: explainInvented(text, out.text) }).toEqual({ round, invented: [] });
      checkAligned(text, parseJson(text), out.text, parseJson(out.text));
    }
    expect(compressed).toBeGreaterThan(30);
  });
});
