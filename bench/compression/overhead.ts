// Proxy overhead with compression on versus --no-optimize, for a realistic request with
// nothing to compress (system prompt, tool definitions, a conversation with small tool
// results). Two proxies (the compiled binary) in front of one local upstream that answers
// at once; requests alternate between them; p50 and p90 of the client-observed latency,
// and the direct-to-upstream baseline, all measured in the same run. Loopback only, bounded.
// Run: bun bench/compression/overhead.ts   (HEADROOM_BIN overrides dist/headroom)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const BIN = process.env.HEADROOM_BIN ?? process.env.HEADROOM_TEST_BIN ?? resolve(import.meta.dir, "../../dist/headroom");
const ROUNDS = Number(process.env.ROUNDS ?? 400);
const WARMUP = 50;

const body = JSON.stringify({
  model: "claude-sonnet-4-5",
  max_tokens: 1024,
  system: [{ type: "text", text: "You are a careful coding agent. ".repeat(300) }],
  tools: Array.from({ length: 20 }, (_, i) => ({ name: `tool_${i}`, description: "Does a thing. ".repeat(40), input_schema: { type: "object", properties: { path: { type: "string" } } } })),
  messages: Array.from({ length: 24 }, (_, i) =>
    i % 2 === 0
      ? { role: "user", content: i === 0 ? "Fix the failing test." : [{ type: "tool_result", tool_use_id: `t${i}`, content: `ok: ${"line of output\n".repeat(20)}` }] }
      : { role: "assistant", content: [{ type: "text", text: "Looking." }, { type: "tool_use", id: `t${i + 1}`, name: "tool_1", input: { path: "src/a.ts" } }] },
  ),
});
const answer = JSON.stringify({ id: "msg", type: "message", role: "assistant", content: [{ type: "text", text: "done" }], stop_reason: "end_turn", usage: { input_tokens: 1000, output_tokens: 2 } });

const upstream = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (req) => { await req.arrayBuffer(); return new Response(answer, { headers: { "content-type": "application/json" } }); } });

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

const dirs: string[] = [];
const procs: ReturnType<typeof Bun.spawn>[] = [];
async function startProxy(extra: string[]) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "headroom-bench-"));
  dirs.push(dir);
  const proc = Bun.spawn([BIN, "proxy", "--port", String(port), "--anthropic-api-url", `http://127.0.0.1:${upstream.port}`, ...extra], {
    env: { ...process.env, HOME: dir, HEADROOM_WORKSPACE_DIR: dir, HEADROOM_TELEMETRY: "0" },
    stdout: "ignore",
    stderr: "ignore",
  });
  procs.push(proc);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`the proxy (${BIN}) did not become ready on port ${port}`);
    await Bun.sleep(50);
  }
  return { url: `http://127.0.0.1:${port}`, proc };
}

async function once(base: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" }, body });
  await res.arrayBuffer();
  return performance.now() - t0;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;

// In-process: the fast path of compressRequest alone on the parsed body.
{
  const { compressRequest } = await import("../../src/proxy/compress/index.ts");
  const parsed = JSON.parse(body);
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await compressRequest({ api: "anthropic-messages", body: parsed, mode: "token", headers: new Headers() });
    if (i >= 200) times.push(performance.now() - t0);
  }
  console.log(`compressRequest fast path (in-process): p50 ${(pct(times, 0.5) * 1000).toFixed(1)} µs, p90 ${(pct(times, 0.9) * 1000).toFixed(1)} µs`);
}

try {
  // In-process: a long session (30 earlier tool results from the corpus, all seen before),
// i.e. the cost of a typical later turn: every earlier result re-served from memory.
{
  const { compressRequest } = await import("../../src/proxy/compress/index.ts");
  const { buildCorpus } = await import("./corpus.ts");
  const items = buildCorpus();
  const messages: unknown[] = [{ role: "user", content: items[0]!.question }];
  for (let i = 0; i < 30; i++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `t${i}`, name: "run", input: {} }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `t${i}`, content: items[i % items.length]!.text }] });
  }
  messages.push({ role: "user", content: "continue" });
  const session = { model: "claude-sonnet-4-5", system: "agent", messages };
  const size = JSON.stringify(session).length;
  const times: number[] = [];
  let saved = 0;
  for (let i = 0; i < 60; i++) {
    const fresh = JSON.parse(JSON.stringify(session)); // a new request's parsed body
    const t0 = performance.now();
    const r = await compressRequest({ api: "anthropic-messages", body: fresh, mode: "token", headers: new Headers() });
    if (i >= 10) times.push(performance.now() - t0);
    saved = 1 - r.tokensAfter / r.tokensBefore;
  }
  console.log(`long session (${(size / 1024 / 1024).toFixed(1)} MB, 30 tool results, repeat turn): compressRequest p50 ${pct(times, 0.5).toFixed(2)} ms, saves ${(saved * 100).toFixed(1)}%`);
}

const on = await startProxy([]);
  const off = await startProxy(["--no-optimize"]);
  const targets = { direct: `http://127.0.0.1:${upstream.port}`, "compression on": on.url, "--no-optimize": off.url };
  const samples: Record<string, number[]> = { direct: [], "compression on": [], "--no-optimize": [] };
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    for (const [name, base] of Object.entries(targets)) {
      const ms = await once(base);
      if (i >= WARMUP) samples[name]!.push(ms);
    }
  }
  console.log(`request: ${(body.length / 1024).toFixed(0)} KB, nothing to compress; ${ROUNDS} rounds, alternating`);
  for (const [name, xs] of Object.entries(samples)) console.log(`${name.padEnd(16)} p50 ${pct(xs, 0.5).toFixed(3)} ms   p90 ${pct(xs, 0.9).toFixed(3)} ms`);
  const diff = pct(samples["compression on"]!, 0.5) - pct(samples["--no-optimize"]!, 0.5);
  console.log(`compression on minus --no-optimize at p50: ${diff.toFixed(3)} ms (target within 0.5 ms)`);
  console.log(`proxy overhead over direct at p50: ${(pct(samples["compression on"]!, 0.5) - pct(samples.direct!, 0.5)).toFixed(3)} ms (upstream Python reports 52 ms in the field)`);
} finally {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  upstream.stop(true);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
