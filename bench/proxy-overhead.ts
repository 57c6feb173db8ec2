// What the proxy adds to a request. One local upstream stub (its own process) is called
// directly, through a bare fetch-and-relay Bun forwarder (bench/support/bare-forwarder.ts),
// and through the compiled `headroom proxy --no-optimize`, alternating between the three
// in every round, at concurrency 1 (latency, time to first byte) and 8 (throughput),
// plain JSON and SSE streams. Loopback only, bounded (about a minute).
// Targets: headroom's added p50 within 0.3 ms of the bare forwarder's; throughput at
// least 0.9x the bare forwarder's.
//   bun bench/proxy-overhead.ts     (HEADROOM_BIN overrides dist/headroom; ROUNDS, BATCH, C8_COUNT)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BIN, cpuMs, fmt, freePort, killChildren, percentile, spawnChild, waitReady } from "./support/common.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const BATCH = Number(process.env.BATCH ?? 150);
const C8_COUNT = Number(process.env.C8_COUNT ?? 800);
const WARMUP = 300;

type Target = "direct" | "bare" | "headroom";
type Kind = "plain" | "stream";
const TARGETS: Target[] = ["direct", "bare", "headroom"];
const KINDS: Kind[] = ["plain", "stream"];

const home = mkdtempSync(join(tmpdir(), "headroom-bench-overhead-"));
const upPort = freePort();
const barePort = freePort();
const hrPort = freePort();
const upstream = `http://127.0.0.1:${upPort}`;
const bases: Record<Target, string> = {
  direct: upstream,
  bare: `http://127.0.0.1:${barePort}`,
  headroom: `http://127.0.0.1:${hrPort}`,
};

const headers = { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" };
const bodies: Record<Kind, string> = {
  plain: JSON.stringify({ model: "claude-bench", max_tokens: 256, messages: [{ role: "user", content: "Say hello." }] }),
  stream: JSON.stringify({ model: "claude-bench", max_tokens: 256, stream: true, messages: [{ role: "user", content: "Say hello." }] }),
};

async function once(target: Target, kind: Kind): Promise<{ total: number; ttfb: number }> {
  const t0 = performance.now();
  const res = await fetch(`${bases[target]}/v1/messages`, { method: "POST", headers, body: bodies[kind] });
  const reader = res.body!.getReader();
  let first = await reader.read();
  const ttfb = performance.now() - t0;
  while (!first.done) first = await reader.read();
  if (res.status !== 200) throw new Error(`${target} answered ${res.status}`);
  return { total: performance.now() - t0, ttfb };
}

async function concurrent(target: Target, kind: Kind, count: number, workers: number): Promise<number> {
  let left = count;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (left-- > 0) await once(target, kind);
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

try {
  spawnChild([process.execPath, resolve(import.meta.dir, "support/upstream-server.ts"), String(upPort)]);
  await waitReady(`${upstream}/v1/models`); // the stub answers only under /v1/
  const bare = spawnChild([process.execPath, resolve(import.meta.dir, "support/bare-forwarder.ts"), String(barePort), upstream]);
  const headroom = spawnChild([BIN, "proxy", "--port", String(hrPort), "--no-optimize", "--anthropic-api-url", upstream, "--log-level", "warn"], {
    HOME: home,
    HEADROOM_WORKSPACE_DIR: join(home, ".headroom"),
  });
  await Promise.all([waitReady(`${bases.bare}/readyz`), waitReady(`${bases.headroom}/readyz`)]);
  console.log(`headroom: ${BIN}`);
  console.log(`rounds ${ROUNDS}; concurrency 1: ${BATCH} requests per target and kind per round; concurrency 8: ${C8_COUNT} per round`);

  for (const t of TARGETS) for (const k of KINDS) for (let i = 0; i < WARMUP / 2; i++) await once(t, k);

  const lat: Record<string, number[]> = {};
  const ttfb: Record<string, number[]> = {};
  const tput: Record<string, number[]> = {};
  // CPU time the forwarding process spent per request at concurrency 8 (less noisy than req/s on a shared machine).
  const cpu: Record<string, { ms: number; n: number }> = {};
  const pids: Partial<Record<Target, number>> = { bare: bare.pid, headroom: headroom.pid };
  const key = (t: Target, k: Kind) => `${t}/${k}`;
  for (let round = 0; round < ROUNDS; round++) {
    const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]!);
    for (const kind of KINDS) {
      for (const t of order) {
        for (let i = 0; i < BATCH; i++) {
          const r = await once(t, kind);
          (lat[key(t, kind)] ??= []).push(r.total);
          (ttfb[key(t, kind)] ??= []).push(r.ttfb);
        }
      }
      for (const t of order) {
        const pid = pids[t];
        const c0 = pid ? cpuMs(pid) : 0;
        (tput[key(t, kind)] ??= []).push(await concurrent(t, kind, C8_COUNT, 8));
        if (pid) {
          const c = (cpu[key(t, kind)] ??= { ms: 0, n: 0 });
          c.ms += cpuMs(pid) - c0;
          c.n += C8_COUNT;
        }
      }
    }
  }

  for (const kind of KINDS) {
    console.log(`\n-- ${kind} (${kind === "stream" ? "SSE, 12 events" : "JSON"}), concurrency 1`);
    console.log("target     p50 ms   p99 ms   ttfb p50   added p50   added p99");
    const d50 = percentile(lat[key("direct", kind)]!, 0.5);
    const d99 = percentile(lat[key("direct", kind)]!, 0.99);
    const added: Record<string, { p50: number; p99: number }> = {};
    for (const t of TARGETS) {
      const l = lat[key(t, kind)]!;
      const p50 = percentile(l, 0.5);
      const p99 = percentile(l, 0.99);
      added[t] = { p50: p50 - d50, p99: p99 - d99 };
      console.log(
        `${t.padEnd(9)} ${fmt(p50).padStart(7)}  ${fmt(p99).padStart(7)}  ${fmt(percentile(ttfb[key(t, kind)]!, 0.5)).padStart(9)}  ${t === "direct" ? "        -" : `${fmt(p50 - d50).padStart(9)}`}   ${t === "direct" ? "        -" : fmt(p99 - d99).padStart(9)}`,
      );
    }
    const diff = added.headroom!.p50 - added.bare!.p50;
    console.log(`headroom added p50 minus bare added p50: ${fmt(diff)} ms (target <= 0.300) ${diff <= 0.3 ? "OK" : "MISSED"}`);
    console.log(`-- ${kind}, concurrency 8 (median of ${ROUNDS} rounds)`);
    const med = (t: Target) => percentile(tput[key(t, kind)]!, 0.5);
    for (const t of TARGETS) console.log(`${t.padEnd(9)} ${fmt(med(t), 0).padStart(7)} req/s  (${fmt(med(t) / med("direct"), 2)}x direct)`);
    const ratio = med("headroom") / med("bare");
    console.log(`headroom / bare throughput: ${fmt(ratio, 2)}x (target >= 0.90) ${ratio >= 0.9 ? "OK" : "MISSED"}`);
    const us = (t: Target) => (cpu[key(t, kind)]!.ms * 1000) / cpu[key(t, kind)]!.n;
    console.log(`CPU per request in the forwarder: bare ${fmt(us("bare"), 1)} us, headroom ${fmt(us("headroom"), 1)} us (${fmt(us("headroom") / us("bare"), 2)}x)`);
  }
} finally {
  killChildren();
  rmSync(home, { recursive: true, force: true });
}
