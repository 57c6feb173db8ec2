// What compression costs the user once prompt caching is billed. Starts the emulated
// Anthropic upstream (upstream.ts), then for each mode a compiled proxy in front of it,
// replays every session of sessions.ts (the client's requests, whole history each time,
// Claude Code's cache_control placement) and prints per session and mode the billed input
// (input + 1.25 x cache write + 0.1 x cache read, in base-input tokens), its three parts,
// the peak context (largest input + write + read of one request) and the ratios to
// passthrough (the proxy with --no-optimize), then the totals and the targets of issue 18.
// The upstream's cache is emptied before each session, so sessions and modes are billed
// independently of the order they run in.
//   bun bench/cache-bill/run.ts [--json out.json] [--session name]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BIN, freePort, spawnChild, waitReady } from "../support/common.ts";
import { buildSessions, type Session } from "./sessions.ts";
import { startCacheUpstream, type UpstreamRecord } from "./upstream.ts";

interface Mode {
  name: string;
  args: string[];
}

interface SessionResult {
  session: string;
  heavy: boolean;
  mode: string;
  requests: number;
  upstreamRequests: number;
  input: number;
  write: number;
  read: number;
  billed: number;
  peak: number;
  /** Index of the first request that carried headroom_retrieve (-1: none). */
  retrieveFrom: number;
  /** Per upstream request: input, write, read, context. */
  perRequest: Array<[number, number, number, number]>;
}

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const jsonOut = flag("--json");
const only = flag("--session");
/** Per-request bills (input/write/read) for each session and mode. */
const verbose = args.includes("--requests");

const repoRoot = resolve(import.meta.dir, "../..");
if (!(await Bun.file(BIN).exists())) {
  console.log(`${BIN} is missing: building it`);
  const build = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/build.ts")], { cwd: repoRoot, stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("the build failed");
}

/** The modes this build accepts: passthrough, token, cache, and auto when --help lists it. */
function modes(): Mode[] {
  const help = Bun.spawnSync([BIN, "proxy", "--help"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const text = help.stdout.toString() + help.stderr.toString();
  const modeLine = text.split("\n").find((l) => l.includes("--mode")) ?? "";
  const out: Mode[] = [
    { name: "passthrough", args: ["--no-optimize"] },
    { name: "token", args: ["--mode", "token"] },
    { name: "cache", args: ["--mode", "cache"] },
  ];
  if (/\bauto\b/.test(modeLine)) out.push({ name: "auto", args: ["--mode", "auto"] });
  return out;
}

const sessions: Session[] = (await buildSessions()).filter((s) => !only || s.name === only);
const upstream = await startCacheUpstream();
const results: SessionResult[] = [];
const proxyStats: Record<string, Record<string, unknown>> = {};
const headers = { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01", "anthropic-beta": "prompt-caching-2024-07-31" };

async function runMode(mode: Mode): Promise<void> {
  const ws = mkdtempSync(join(tmpdir(), "headroom-cache-bill-"));
  const port = freePort();
  const proc = spawnChild([BIN, "proxy", "--port", String(port), "--anthropic-api-url", upstream.url, "--log-level", "error", ...mode.args], {
    HEADROOM_WORKSPACE_DIR: ws,
    HEADROOM_SAVINGS_PATH: join(ws, "proxy_savings.json"),
    HEADROOM_TELEMETRY: "0",
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${base}/readyz`);
    for (const s of sessions) {
      upstream.reset();
      for (const [i, body] of s.requests.entries()) {
        const res = await fetch(`${base}/v1/messages`, { method: "POST", headers, body: JSON.stringify(body) });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${mode.name} ${s.name} request ${i}: ${res.status} ${text.slice(0, 300)}`);
      }
      const recs: UpstreamRecord[] = upstream.records.slice();
      const sum = (f: (r: UpstreamRecord) => number) => recs.reduce((n, r) => n + f(r), 0);
      results.push({
        session: s.name,
        heavy: s.heavy,
        mode: mode.name,
        requests: s.requests.length,
        upstreamRequests: recs.length,
        input: sum((r) => r.input),
        write: sum((r) => r.cacheWrite),
        read: sum((r) => r.cacheRead),
        billed: sum((r) => r.billed),
        peak: Math.max(...recs.map((r) => r.context)),
        retrieveFrom: recs.findIndex((r) => r.tools.includes("headroom_retrieve")),
        perRequest: recs.map((r) => [r.input, r.cacheWrite, r.cacheRead, r.context]),
      });
    }
    proxyStats[mode.name] = (await (await fetch(`${base}/stats`)).json()) as Record<string, unknown>;
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(ws, { recursive: true, force: true });
  }
}

const t0 = performance.now();
const list = modes();
for (const m of list) await runMode(m);
await upstream.stop();

// ---- report
const k = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)));
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : "n/a");
const get = (session: string, mode: string) => results.find((r) => r.session === session && r.mode === mode);

const corpus = sessions[0]?.corpus ?? "?";
console.log(`cache-bill: ${sessions.length} sessions from ${corpus}; writes 1.25x, reads 0.1x of base input; tokens are chars/3.5 estimates`);
const rows: string[][] = [["session", "kind", "turns/req", "mode", "billed", "input", "write", "read", "peak ctx", "billed/pass", "peak/pass", "retrieve@"]];
for (const s of sessions) {
  const pass = get(s.name, "passthrough")!;
  for (const m of list) {
    const r = get(s.name, m.name)!;
    rows.push([
      s.name, s.heavy ? "heavy" : "light", `${s.turns}/${s.requests.length}`, m.name, k(r.billed), k(r.input), k(r.write), k(r.read), k(r.peak),
      x(r.billed / pass.billed), x(r.peak / pass.peak), r.retrieveFrom >= 0 ? `req ${r.retrieveFrom}` : "-",
    ]);
  }
}
for (const m of list) {
  const mine = results.filter((r) => r.mode === m.name);
  const pass = results.filter((r) => r.mode === "passthrough");
  const sum = (rs: SessionResult[], f: (r: SessionResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  rows.push(["TOTAL", "", "", m.name, k(sum(mine, (r) => r.billed)), k(sum(mine, (r) => r.input)), k(sum(mine, (r) => r.write)), k(sum(mine, (r) => r.read)),
    k(Math.max(...mine.map((r) => r.peak))), x(sum(mine, (r) => r.billed) / sum(pass, (r) => r.billed)), "", ""]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
console.log("\nsessions' tool results from the corpus:");
for (const s of sessions) console.log(`  ${s.name} (${s.heavy ? "tool-heavy" : "light"}, ${k(s.resultTokens)} result tokens): ${s.items.join(", ") || "-"}`);
if (verbose) {
  console.log("\nper request (write/read; input is 0 unless shown):");
  for (const r of results) {
    const cells = r.perRequest.map(([i, w, rd], n) => `${n}:${k(w)}/${k(rd)}${i ? `+${k(i)}` : ""}`);
    console.log(`  ${r.session} ${r.mode}: ${cells.join(" ")}`);
  }
}

// The proxy's own accounting: its emulated net saving should equal the measured difference.
console.log("\nproxy /stats per mode (upstream-reported cache tokens; emulated net saving vs the measured one):");
for (const m of list) {
  const st = proxyStats[m.name] as { tokens?: Record<string, number> } | undefined;
  const t = st?.tokens ?? {};
  const measured = results.filter((r) => r.mode === "passthrough").reduce((n, r) => n + r.billed, 0) - results.filter((r) => r.mode === m.name).reduce((n, r) => n + r.billed, 0);
  const net = t.net_saved;
  console.log(`  ${m.name.padEnd(12)} cache_read ${t.cache_read ?? "?"}, cache_write ${t.cache_write ?? "?"}, raw saved ${t.saved ?? "?"}, net saved ${net === undefined ? "(not reported)" : Math.round(net)}, measured ${Math.round(measured)}`);
}

// ---- targets (issue 18)
console.log("\ntargets:");
const heavy = sessions.filter((s) => s.heavy);
const compressing = list.filter((m) => m.name !== "passthrough");
const check = (label: string, ok: boolean, detail: string) => console.log(`  ${ok ? "met   " : "MISSED"}  ${label}: ${detail}`);
for (const m of compressing) {
  const over = sessions.filter((s) => get(s.name, m.name)!.billed > get(s.name, "passthrough")!.billed + 1e-9);
  check(`${m.name}: no session billed above passthrough`, over.length === 0, over.length === 0 ? "none above" : over.map((s) => `${s.name} ${(get(s.name, m.name)!.billed / get(s.name, "passthrough")!.billed).toFixed(3)}x`).join(", "));
}
const ratios = (mode: string, f: (r: SessionResult) => number) => heavy.map((s) => f(get(s.name, mode)!) / f(get(s.name, "passthrough")!));
const bound = (mode: string, limit: number, f: (r: SessionResult) => number, what: string) => {
  if (!list.some((m) => m.name === mode)) return;
  const rs = ratios(mode, f);
  check(`${mode}: ${what} on tool-heavy sessions <= ${limit}x`, rs.every((r) => r <= limit), rs.map((r, i) => `${heavy[i]!.name} ${x(r)}`).join(", "));
};
bound("cache", 0.6, (r) => r.billed, "billed input");
bound("token", 0.95, (r) => r.billed, "billed input");
for (const m of compressing) bound(m.name, 0.8, (r) => r.peak, "peak context");
console.log(`\n${results.length} session replays, ${results.reduce((n, r) => n + r.upstreamRequests, 0)} upstream requests, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ corpus, modes: list.map((m) => m.name), results, proxyStats }, null, 2)}\n`);
