// /metrics as Prometheus itself reads it: the compiled proxy in front of the upstream stub,
// every scrape checked by `promtool check metrics` (the official parser and linter, exit 0
// and no finding), and a real Prometheus server scraping the proxy once a second, whose
// ingested series and metadata the assertions read through its HTTP API. Counts match
// the requests sent; a restart of the proxy resets every counter to 0 (Prometheus counts
// the reset) while the ledger's lifetime gauges carry on. promtool and prometheus come
// from Debian's `prometheus` package (.ci/run installs it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { binPath } from "../support/bin.ts";
import { promtool, promtoolCheck } from "../support/promtool.ts";
import { startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.ts";
import { freePort } from "../support/free-port.ts";

const prometheusBin = Bun.which("prometheus");
const haveTools = promtool !== null && prometheusBin !== null;
if (!haveTools && process.env.CI) throw new Error("prometheus is required in CI (Debian package prometheus)");

let stub: UpstreamStub;
let ws: string;
let proxy: Subprocess | undefined;
let prom: Subprocess | undefined;
let proxyPort: number;
let base: string;
let promBase: string;


async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

async function startProxy(): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("HEADROOM_")) env[k] = v;
  proxy = Bun.spawn([binPath, "proxy", "--port", String(proxyPort), "--no-optimize", "--anthropic-api-url", stub.url, "--openai-api-url", `${stub.url}/v1/`], {
    env: { ...env, HOME: ws, HEADROOM_WORKSPACE_DIR: ws },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const p = proxy;
  await waitFor("the proxy", async () => {
    if (p.exitCode !== null) throw new Error("the proxy exited");
    return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(500) })).ok ? true : undefined;
  }, 15_000);
}

async function stopProxy(): Promise<void> {
  proxy?.kill("SIGTERM");
  await proxy?.exited;
  proxy = undefined;
}

/** One scrape, checked by promtool: parse errors exit 1, lint findings exit 3. */
async function scrapeChecked(): Promise<string> {
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(await promtoolCheck(text)).toEqual({ code: 0, findings: "" });
  return text;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(q: string): Promise<Sample[]> {
  const res = (await (await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { status: string; data: { result: Sample[] } };
  if (res.status !== "success") throw new Error(`query failed: ${q}`);
  return res.data.result;
}

const scalar = async (q: string) => {
  const r = await query(q);
  return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
};

function send(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}
const anthropic = (model: string) =>
  send("/v1/messages", { model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }, { "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" });
const openai = (model: string) => send("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] }, { authorization: "Bearer sk-test" });

beforeAll(async () => {
  if (!haveTools) return;
  stub = await startUpstreamStub();
  ws = mkdtempSync(join(tmpdir(), "headroom-metrics-e2e-"));
  proxyPort = freePort();
  base = `http://127.0.0.1:${proxyPort}`;
  await startProxy();
  const promPort = freePort();
  promBase = `http://127.0.0.1:${promPort}`;
  const config = join(ws, "prometheus.yml");
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: headroom\n    static_configs:\n      - targets: ["127.0.0.1:${proxyPort}"]\n`);
  prom = Bun.spawn([prometheusBin!, `--config.file=${config}`, `--storage.tsdb.path=${join(ws, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  await waitFor("prometheus", async () => ((await fetch(`${promBase}/-/ready`)).ok ? true : undefined));
}, 60_000);

afterAll(async () => {
  await stopProxy();
  prom?.kill("SIGTERM");
  await prom?.exited;
  await stub?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
}, 30_000);

describe.skipIf(!haveTools)("/metrics through promtool and a real Prometheus", () => {
  test("families, histograms and counts after requests through the proxy", async () => {
    // Before any request: valid, and no request series yet.
    expect(await scrapeChecked()).not.toContain("headroom_requests_total{");
    stub.setBehavior({ usage: { input: 100, output: 10, cacheRead: 40, cacheWrite: 4 } });
    for (let i = 0; i < 3; i++) expect((await anthropic("claude-x")).status).toBe(200);
    expect((await openai("gpt-y")).status).toBe(200);
    stub.enqueue({ status: 400 });
    expect((await anthropic("claude-x")).status).toBe(400);

    const text = await scrapeChecked();
    expect(text).toContain('headroom_requests_total{provider="anthropic",model="claude-x",status="200"} 3');
    // The error carried no usage, and with --no-optimize the body is not read: no model.
    expect(text).toContain('headroom_requests_total{provider="anthropic",model="",status="400"} 1');
    expect(text).toContain('headroom_requests_total{provider="openai",model="gpt-y",status="200"} 1');

    // Prometheus has scraped the state after the five requests.
    await waitFor("a scrape with 5 requests", async () => ((await scalar("sum(headroom_requests_total)")) === 5 ? true : undefined));

    // Every family Prometheus ingested has HELP and TYPE; counters end in _total.
    const meta = (await (await fetch(`${promBase}/api/v1/metadata`)).json()) as { data: Record<string, Array<{ type: string; help: string }>> };
    const names = ((await (await fetch(`${promBase}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data
      .filter((n) => n.startsWith("headroom_") || n.startsWith("process_"));
    const families = new Set(names.map((n) => (meta.data[n] ? n : n.replace(/_(bucket|sum|count)$/, ""))));
    for (const f of ["headroom_requests_total", "headroom_request_duration_seconds", "headroom_proxy_overhead_seconds", "headroom_tokens_total", "headroom_cache_tokens_total",
      "headroom_lifetime_requests", "process_start_time_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds"]) {
      expect(families.has(f)).toBe(true);
    }
    for (const f of families) {
      const m = meta.data[f]?.[0];
      expect({ f, type: m?.type, help: Boolean(m?.help) }).toMatchObject({ f, help: true });
      expect(["counter", "gauge", "histogram"]).toContain(m!.type);
      if (m!.type === "counter") expect(f).toEndWith("_total");
      else expect(f).not.toEndWith("_total");
      if (m!.type === "histogram") expect(names).toEqual(expect.arrayContaining([`${f}_bucket`, `${f}_sum`, `${f}_count`]));
    }
    // No ratios: percentages are PromQL's job.
    expect(names.filter((n) => /percent|_ratio$/.test(n))).toEqual([]);

    // Histograms: cumulative buckets ending in +Inf equal to _count, per series.
    for (const h of ["headroom_request_duration_seconds", "headroom_proxy_overhead_seconds"]) {
      const buckets = await query(`${h}_bucket`);
      const counts = await query(`${h}_count`);
      const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).filter(([k]) => k !== "le" && k !== "__name__").sort());
      const groups = new Map<string, Array<[number, number]>>();
      for (const b of buckets) {
        const le = b.metric.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(b.metric.le);
        groups.set(key(b.metric), [...(groups.get(key(b.metric)) ?? []), [le, Number(b.value[1])]]);
      }
      expect(groups.size).toBe(counts.length);
      for (const c of counts) {
        const g = groups.get(key(c.metric))!.sort((a, b) => a[0] - b[0]);
        expect(g[0]![0]).toBe(0.0005);
        expect(g.at(-1)![0]).toBe(Number.POSITIVE_INFINITY);
        for (let i = 1; i < g.length; i++) expect(g[i]![1]).toBeGreaterThanOrEqual(g[i - 1]![1]);
        expect(g.at(-1)![1]).toBe(Number(c.value[1]));
      }
    }
    expect(await scalar('sum(headroom_request_duration_seconds_count{provider="anthropic",status="200"})')).toBe(3);
    expect(await scalar('sum(headroom_request_duration_seconds_count{status="400"})')).toBe(1);
    expect(await scalar("sum(headroom_proxy_overhead_seconds_count)")).toBe(5);
    // Every request took less than a minute and more than nothing.
    expect(await scalar('sum(headroom_request_duration_seconds_bucket{le="60"})')).toBe(5);
    expect(await scalar("sum(headroom_request_duration_seconds_sum)")).toBeGreaterThan(0);

    // Tokens: 4 answered requests with usage (the 400 had none), by direction and model.
    expect(await scalar('sum(headroom_tokens_total{direction="in"})')).toBe(400);
    expect(await scalar('sum(headroom_tokens_total{direction="out"})')).toBe(40);
    expect(await scalar('headroom_tokens_total{direction="in",provider="anthropic",model="claude-x"}')).toBe(300);
    expect(await scalar('headroom_tokens_total{direction="out",provider="openai",model="gpt-y"}')).toBe(10);
    expect(await scalar('sum(headroom_cache_tokens_total{op="read"})')).toBe(160);
    expect(await scalar('headroom_cache_tokens_total{op="write",model="claude-x"}')).toBe(12);
    // Errors are a status label.
    expect(await scalar('sum(headroom_requests_total{status=~"4..|5.."})')).toBe(1);
    expect(await scalar("headroom_requests_in_flight")).toBe(0);
    expect(await scalar("process_resident_memory_bytes")).toBeGreaterThan(1e6);
    expect(await scalar("process_open_fds")).toBeGreaterThan(2);
    const started = (await scalar("process_start_time_seconds"))!;
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(600);
  }, 90_000);

  test("a restart resets the counters to 0; the ledger's lifetime gauges keep counting", async () => {
    const before = (await scalar("process_start_time_seconds"))!;
    await waitFor("the ledger's 5 requests", async () => ((await scalar("headroom_lifetime_requests")) === 5 ? true : undefined));
    await stopProxy();
    await startProxy();
    // Nothing counted yet in the new process.
    const fresh = await scrapeChecked();
    expect(fresh).not.toContain("headroom_requests_total{");
    expect(fresh).not.toContain("headroom_request_duration_seconds_bucket{");
    expect(fresh).toMatch(/^headroom_compressed_requests_total 0$/m);
    expect(fresh).toMatch(/^headroom_lifetime_requests 5$/m);
    expect((await anthropic("claude-x")).status).toBe(200);
    await waitFor("a scrape of the new process", async () => ((await scalar("process_start_time_seconds")) !== before ? true : undefined));
    await waitFor("the new request", async () => ((await scalar("sum(headroom_requests_total)")) === 1 ? true : undefined));
    // The series that stood at 3 starts again at 1, and Prometheus counts that as one reset;
    // the series of the other requests are gone.
    expect(await scalar('headroom_requests_total{provider="anthropic",model="claude-x",status="200"}')).toBe(1);
    expect(await scalar('resets(headroom_requests_total{provider="anthropic",model="claude-x",status="200"}[5m])')).toBe(1);
    expect(await query('headroom_requests_total{status="400"}')).toEqual([]);
    expect(await query('headroom_requests_total{provider="openai"}')).toEqual([]);
    expect(await scalar("sum(headroom_proxy_overhead_seconds_count)")).toBe(1);
    expect(await scalar('sum(headroom_tokens_total{direction="in"})')).toBe(100);
    await waitFor("the ledger's 6 requests", async () => ((await scalar("headroom_lifetime_requests")) === 6 ? true : undefined));
    expect(await scalar("headroom_lifetime_requests")).toBe(6);
  }, 90_000);
});
