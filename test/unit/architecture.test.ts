// The floors of src/ (docs/architecture.md): a module imports only from its own floor or
// the floors below it, no two modules import each other (type-only imports and lazy
// `import()` included), and supervisor adapters build plans without the executor or the
// lifecycle code above them. Read from the source itself, so a new import that breaks a
// rule fails here.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dir, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every relative import of every module under src/, as paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(root)) {
    const src = readFileSync(f, "utf8");
    const targets: string[] = [];
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|import\("(\.[^"]+)"\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.endsWith(".ts")) continue; // package.json (the version)
      targets.push(relative(root, resolve(dirname(f), spec)));
    }
    graph.set(relative(root, f), targets);
  }
  return graph;
}

/** Bottom to top. A module's floor is the first whose pattern matches its path. */
const FLOORS: [string, RegExp][] = [
  ["base", /^(errors|version|paths)\.ts$|^host\//],
  ["options", /^options\//],
  ["edits", /^edits\//],
  ["proxy", /^proxy\//],
  ["tools", /^tools\//],
  ["install", /^install\//],
  ["wrap", /^wrap\//],
  ["doctor", /^doctor\//],
  ["cli", /^cli\//],
  ["main", /^main\.ts$/],
];

const floorOf = (path: string): number => {
  const i = FLOORS.findIndex(([, re]) => re.test(path));
  if (i < 0) throw new Error(`${path} is on no floor: add its folder to FLOORS and to docs/architecture.md`);
  return i;
};

function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) found.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the floors of src/", () => {
  const graph = importGraph();

  test("the graph is read (every module is on a floor, imports resolve to modules)", () => {
    expect(graph.size).toBeGreaterThan(150);
    for (const [from, to] of graph) {
      floorOf(from);
      for (const t of to) expect(graph.has(t) ? t : `${from} imports a missing ${t}`).toBe(t);
    }
  });

  test("imports point down or sideways, never up", () => {
    const up: string[] = [];
    for (const [from, to] of graph) for (const t of to) if (floorOf(t) > floorOf(from)) up.push(`${from} -> ${t}`);
    expect(up).toEqual([]);
  });

  test("no two modules import each other, through any number of steps", () => {
    expect(cycles(graph)).toEqual([]);
  });

  test("supervisor adapters build plans: they import neither the executor nor the lifecycle above them", () => {
    const above = ["install/executor.ts", "install/deploy.ts", "install/apply.ts", "install/table.ts", "install/bound.ts", "install/context.ts"];
    const reach: string[] = [];
    for (const [from, to] of graph) if (from.startsWith("install/supervisors/")) for (const t of to) if (above.includes(t)) reach.push(`${from} -> ${t}`);
    expect(reach).toEqual([]);
  });

  test("the edit engine and the change records import nothing from install, tools, wrap or cli", () => {
    const out: string[] = [];
    for (const [from, to] of graph) if (from.startsWith("edits/")) for (const t of to) if (/^(install|tools|wrap|cli|proxy)\//.test(t)) out.push(`${from} -> ${t}`);
    expect(out).toEqual([]);
  });

  test("the checker catches what it is for: an upward import and a cycle", () => {
    const bad = new Map<string, string[]>([
      ["host/a.ts", ["install/b.ts"]],
      ["install/b.ts", ["host/a.ts"]],
    ]);
    expect(cycles(bad)).toEqual([["host/a.ts", "install/b.ts"]]);
    expect(floorOf("install/b.ts")).toBeGreaterThan(floorOf("host/a.ts"));
  });
});
