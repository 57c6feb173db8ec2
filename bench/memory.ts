// Resident memory of the compiled proxy: idle after start, then after each of three batches
// of 10,000 requests (plain and streamed, both APIs, concurrency 8) once the load has
// settled. Targets: idle <= 60 MB; no growth from the first settled figure to the second.
// The upstream stub runs in its own process. Loopback only, bounded (well under a minute).
//   bun bench/memory.ts     (HEADROOM_BIN overrides dist/headroom; REQUESTS per batch)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BIN, fmt, freePort, killChildren, rssMb, spawnChild, waitReady } from "./support/common.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 10_000);
/** Extra proxy flags, e.g. FLAGS=--no-optimize. */
const FLAGS = (process.env.FLAGS ?? "").split(" ").filter(Boolean);
const home = mkdtempSync(join(tmpdir(), "headroom-bench-memory-"));
const upPort = freePort();
const hrPort = freePort();
const upstream = `http://127.0.0.1:${upPort}`;
const base = `http://127.0.0.1:${hrPort}`;

const kinds: Array<{ path: string; headers: Record<string, string>; stream: boolean }> = [
  { path: "/v1/messages", headers: { "content-type": "application/json", "x-api-key": "k" }, stream: false },
  { path: "/v1/messages", headers: { "content-type": "application/json", "x-api-key": "k" }, stream: true },
  { path: "/v1/chat/completions", headers: { "content-type": "application/json", authorization: "Bearer sk-x" }, stream: false },
  { path: "/v1/chat/completions", headers: { "content-type": "application/json", authorization: "Bearer sk-x" }, stream: true },
];
const bodies = kinds.map((k) => JSON.stringify({ model: "bench-model", stream: k.stream, messages: [{ role: "user", content: "Say hello. ".repeat(50) }] }));

async function batch(n: number): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (i < n) {
        const k = i++ % kinds.length;
        const res = await fetch(base + kinds[k]!.path, { method: "POST", headers: kinds[k]!.headers, body: bodies[k] });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`proxy answered ${res.status}`);
      }
    }),
  );
}

async function settled(pid: number): Promise<number> {
  // Let timers (ledger write) and the collector run; take the lowest of a few readings.
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    await Bun.sleep(500);
    low = Math.min(low, rssMb(pid));
  }
  return low;
}

try {
  spawnChild([process.execPath, resolve(import.meta.dir, "support/upstream-server.ts"), String(upPort)]);
  await waitReady(`${upstream}/v1/models`); // the stub answers only under /v1/
  const proxy = spawnChild([BIN, "proxy", "--port", String(hrPort), "--anthropic-api-url", upstream, "--openai-api-url", upstream, "--log-level", "warn", ...FLAGS], {
    HOME: home,
    HEADROOM_WORKSPACE_DIR: join(home, ".headroom"),
  });
  await waitReady(`${base}/readyz`);
  const pid = proxy.pid;
  console.log(`headroom: ${BIN} (pid ${pid}), flags: ${FLAGS.join(" ") || "default (compression on; the requests have nothing to compress)"}`);
  const idle = await settled(pid);
  console.log(`idle:                         ${fmt(idle, 1)} MB  (target <= 60 MB) ${idle <= 60 ? "OK" : "MISSED"}`);
  let t0 = performance.now();
  await batch(REQUESTS);
  const peak1 = rssMb(pid);
  const after1 = await settled(pid);
  console.log(`after ${REQUESTS} requests:       ${fmt(after1, 1)} MB settled (${fmt(peak1, 1)} MB right after; ${fmt(REQUESTS / ((performance.now() - t0) / 1000), 0)} req/s)`);
  let last = after1;
  for (const n of [2, 3]) {
    await batch(REQUESTS);
    last = await settled(pid);
    console.log(`after ${n * REQUESTS} requests:       ${fmt(last, 1)} MB settled`);
  }
  const growth = last - after1;
  console.log(`growth between the settled figures: ${fmt(growth, 1)} MB (target: none; allowance 5 MB for allocator noise) ${growth <= 5 ? "OK" : "MISSED"}`);
  const stats = (await (await fetch(`${base}/stats`)).json()) as { requests: { total: number } };
  console.log(`proxy counted ${stats.requests.total} requests`);
} finally {
  killChildren();
  rmSync(home, { recursive: true, force: true });
}
