// A corpus of realistic tool outputs this machine produces itself: JSON arrays generated
// deterministically, a real bun test run with one failing test, real grep hits over this
// repository, shell output, and source code. Each item carries the question the agent asked
// and the facts that must survive compression.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface CorpusItem {
  name: string;
  /** Expected treatment: "json", "log", "search", "table" or "none" (passes through). */
  kind: string;
  question: string;
  text: string;
  /** Substrings that must be in the compressed text. */
  facts: string[];
}

export const repoRoot = resolve(import.meta.dir, "../..");

/** Deterministic pseudo-random numbers (mulberry32). */
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

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

const WORDS = ["cache", "router", "parser", "session", "upload", "billing", "search", "profile", "export", "webhook", "scheduler", "sidebar", "settings", "migration", "token", "locale"];
const VERBS = ["Improve", "Refactor", "Add", "Document", "Tidy", "Speed up", "Simplify", "Rename", "Split", "Test"];
const PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
const LABELS = ["enhancement", "docs", "refactor", "good first issue", "performance", "ui", "backend"];

export function issueTracker(count: number, seed = 1): CorpusItem {
  const r = rng(seed);
  const special = Math.floor(count * 0.62);
  const errors = new Set([Math.floor(count * 0.23), Math.floor(count * 0.71), Math.floor(count * 0.88)]);
  const issues = Array.from({ length: count }, (_, i) => {
    const area = pick(r, WORDS);
    let title = `${pick(r, VERBS)} the ${area} ${pick(r, WORDS)} module`;
    let body = `The ${area} code could be clearer. Steps are in the linked design note; nothing urgent.`;
    if (errors.has(i)) {
      title = `Crash in ${area} worker: TypeError: cannot read properties of undefined`;
      body = `Stack trace attached. The ${area} worker fails on startup with an unhandled exception after the last deploy.`;
    }
    if (i === special) {
      title = "Login page flickers on Safari 17 after the dark mode toggle";
      body = "When switching to dark mode on Safari 17.2 the login form re-renders twice.";
    }
    return {
      id: 100000 + i * 7,
      number: 1200 + i,
      title,
      state: r() < 0.7 ? "open" : "closed",
      labels: [pick(r, LABELS), ...(r() < 0.3 ? [pick(r, LABELS)] : [])],
      assignee: pick(r, PEOPLE),
      comments: Math.floor(r() * 12),
      created_at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000 * 7).toISOString(),
      updated_at: new Date(Date.UTC(2026, 5, 1) + i * 3_600_000 * 5).toISOString(),
      body,
    };
  });
  return {
    name: `issues-${count}.json`,
    kind: "json",
    question: "Which issue is about the login page flickering on Safari? Give me its number.",
    text: JSON.stringify(issues, null, 2),
    facts: [`"number":${1200 + special}`, "Login page flickers on Safari 17", `"number":${1200 + [...errors][0]!}`, "Crash in", `"number":1200,`, `"number":${1200 + count - 1}`],
  };
}

export function searchResults(count: number, seed = 2): CorpusItem {
  const r = rng(seed);
  const special = Math.floor(count * 0.41);
  const failing = [Math.floor(count * 0.15), Math.floor(count * 0.77)];
  const outlier = Math.floor(count * 0.55);
  const results = Array.from({ length: count }, (_, i) => {
    const topic = `${pick(r, WORDS)} ${pick(r, WORDS)}`;
    const item: Record<string, unknown> = {
      rank: i + 1,
      url: `https://docs.example.org/${topic.replace(" ", "/")}/${i}`,
      title: `Guide to ${topic} patterns (part ${1 + (i % 9)})`,
      snippet: `An overview of ${topic} with examples, trade-offs and a short checklist for reviewers.`,
      score: Math.round((0.9 - i * 0.001 + r() * 0.05) * 1000) / 1000,
      latency_ms: 80 + Math.floor(r() * 40),
      status: "ok",
    };
    if (failing.includes(i)) Object.assign(item, { status: "error", error: "upstream timeout after 30s", snippet: "" });
    if (i === outlier) item.latency_ms = 9_400;
    if (i === special) Object.assign(item, { title: "Quantum annealing scheduler: configuration reference", url: "https://docs.example.org/annealing/scheduler" });
    return item;
  });
  return {
    name: `search-${count}.json`,
    kind: "json",
    question: "Find the configuration reference for the quantum annealing scheduler.",
    text: JSON.stringify(results, null, 2),
    facts: ["https://docs.example.org/annealing/scheduler", "upstream timeout after 30s", '"latency_ms":9400', '"rank":1,', `"rank":${count},`],
  };
}

export function shellListing(lines = 200, seed = 3): CorpusItem {
  const r = rng(seed);
  const out = ["total 81234"];
  for (let i = 0; i < lines - 1; i++) {
    const name = i === 137 ? "release-notes-2026.11.pdf" : `${pick(r, WORDS)}_${String(i).padStart(3, "0")}.${pick(r, ["log", "csv", "json", "txt", "tar.gz"])}`;
    const size = Math.floor(r() * 900_000) + 1000;
    const day = 1 + Math.floor(r() * 28);
    out.push(`-rw-r--r-- 1 build staff ${String(size).padStart(8)} Nov ${String(day).padStart(2)} 10:${String(i % 60).padStart(2, "0")} ${name}`);
  }
  return {
    name: "ls-200.txt",
    kind: "table",
    question: "Is there a release-notes pdf in the artifacts folder?",
    text: `${out.join("\n")}\n`,
    facts: ["release-notes-2026.11.pdf", "total 81234"],
  };
}

/** A real bun test run: 190 passing tests and one failing, captured. */
export function capturedTestLog(): CorpusItem {
  const dir = mkdtempSync(join(tmpdir(), "headroom-corpus-"));
  try {
    const cases = Array.from({ length: 190 }, (_, i) => `test("${pick(rng(i + 9), VERBS).toLowerCase()} ${WORDS[i % WORDS.length]} case ${i}", () => { expect(${i} + 1).toBe(${i + 1}); });`);
    cases.splice(120, 0, `test("rejects an expired session token", () => { const token = { exp: 10 }; expect(token.exp).toBe(20); });`);
    writeFileSync(join(dir, "session.test.ts"), `import { expect, test } from "bun:test";\n${cases.join("\n")}\n`);
    const run = Bun.spawnSync([process.execPath, "test", "./session.test.ts"], { cwd: dir, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, stdout: "pipe", stderr: "pipe" });
    const text = (run.stdout.toString() + run.stderr.toString()).replaceAll(dir, "/work/app");
    return {
      name: "bun-test.log",
      kind: "log",
      question: "Why is the test run failing?",
      text,
      facts: ["(fail) rejects an expired session token", "error: expect(received).toBe(expected)", "Expected: 20", "Received: 10", "190 pass", "1 fail", "session.test.ts:"],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Real grep hits over this repository's sources. */
export function capturedGrep(): CorpusItem {
  const run = Bun.spawnSync(["grep", "-rn", "--include=*.ts", "return", "src/proxy", "src/install", "src/wrap"], { cwd: repoRoot, stdout: "pipe" });
  const lines = run.stdout.toString().split("\n").filter(Boolean).sort().slice(0, 400);
  const first = lines[0] ?? "";
  return {
    name: "grep-return.txt",
    kind: "search",
    question: "Where do we return early from the request handlers?",
    text: `${lines.join("\n")}\n`,
    facts: [first.split(":")[0]!],
  };
}

/** 480 lines of this repository's TypeScript, which must pass through untouched. */
export function sourceCode(): CorpusItem {
  const dir = join(repoRoot, "src/proxy/compress");
  const files = ["index.ts", "engine.ts", "retrieval/anthropic.ts", "retrieval/openai-chat.ts"].map((f) => readFileSync(join(dir, f), "utf8"));
  const text = `${files.join("\n").split("\n").slice(0, 480).join("\n")}\n`;
  return { name: "source-480.ts", kind: "none", question: "How does compressRequest decide what to compress?", text, facts: [] };
}

export function buildCorpus(): CorpusItem[] {
  return [issueTracker(100), issueTracker(500, 11), searchResults(100, 12), searchResults(500), shellListing(), capturedTestLog(), capturedGrep(), sourceCode()];
}

