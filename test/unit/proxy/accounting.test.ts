// Stats windows, the savings ledger file (merge, history bound, unreadable file moved
// aside), the Prometheus text, readiness while draining, and the proxy flags.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proxyFlagsFromArgs } from "../../../src/cli/proxy.ts";
import { UsageError } from "../../../src/errors.ts";
import { resolveProxyConfig } from "../../../src/proxy/config.ts";
import type { ProxyContext } from "../../../src/proxy/context.ts";
import { health, readyz } from "../../../src/proxy/health.ts";
import { HISTORY_LIMIT, Ledger, parseLedger } from "../../../src/proxy/ledger.ts";
import { createLogger } from "../../../src/proxy/log.ts";
import { metricsText, statsBody } from "../../../src/proxy/report.ts";
import { Histogram, SampleWindow, savingsPercent, Stats, type RequestRecord } from "../../../src/proxy/stats.ts";
import { DEFAULT_RETRY } from "../../../src/proxy/upstream.ts";
import { promtool, promtoolCheck } from "../../support/promtool.ts";

const dir = mkdtempSync(join(tmpdir(), "headroom-proxy-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rec = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  provider: "anthropic", status: 200, latencyMs: 10, overheadMs: 0.2,
  usage: { model: "claude-x", input: 100, output: 10, cacheRead: 5, cacheWrite: 1 }, ...over,
});

describe("stats", () => {
  test("percentiles over a bounded window; the average over everything", () => {
    const w = new SampleWindow(100);
    for (let i = 1; i <= 100; i++) w.add(i);
    expect(w.summary()).toEqual({ avg: 50.5, p50: 50, p99: 99 });
    for (let i = 0; i < 100; i++) w.add(1000);
    expect(w.summary().p50).toBe(1000);
    expect(new SampleWindow().summary()).toEqual({ avg: 0, p50: 0, p99: 0 });
  });

  test("compression savings by kind and the savings percent", () => {
    const s = new Stats();
    s.record(rec({ compression: { tokensBefore: 1000, tokensAfter: 200, changed: true, failed: false, savedByKind: { json: 700, log: 100 } } }));
    s.record(rec({ compression: { tokensBefore: 1000, tokensAfter: 1000, changed: false, failed: true, savedByKind: {} } }));
    s.record(rec({ provider: "openai", status: 429, usage: undefined, model: "gpt" }));
    expect(s.tokens).toMatchObject({ before: 2000, after: 1200, saved: 800, input: 200 });
    expect(savingsPercent(s.tokens)).toBe(40);
    expect(s.compressionFailures).toBe(1);
    expect(s.byKind.get("json")).toEqual({ count: 1, tokensSaved: 700 });
    expect(s.errors).toBe(1);
    expect(s.byModel.get("gpt")?.requests).toBe(1);
    expect(s.byModel.get("claude-x")?.saved).toBe(800);
  });
});

describe("ledger", () => {
  test("two writers add up; history is hourly and bounded", async () => {
    const path = join(dir, "shared.json");
    const a = new Ledger({ path, intervalMs: 0 });
    const b = new Ledger({ path, intervalMs: 0 });
    a.record(rec({ compression: { tokensBefore: 500, tokensAfter: 100, changed: true, failed: false, savedByKind: { json: 400 } } }));
    await a.flush();
    b.record(rec());
    b.record(rec());
    await b.flush();
    const file = parseLedger(readFileSync(path, "utf8"))!;
    expect(file.lifetime).toMatchObject({ requests: 3, tokens_saved: 400, tokens_input: 300, saved_by_kind: { json: 400 } });
    expect(file.history.reduce((n, h) => n + h.requests, 0)).toBe(3);
    expect(readFileSync(path, "utf8").endsWith("\n")).toBe(true);
    // A new process sees the lifetime totals.
    expect(new Ledger({ path }).lifetime().requests).toBe(3);

    const many = { ...file, history: Array.from({ length: HISTORY_LIMIT + 50 }, (_, i) => ({ hour: new Date(Date.UTC(2020, 0, 1, i)).toISOString(), requests: 1, tokens_input: 0, tokens_output: 0, tokens_before: 0, tokens_saved: 0 })) };
    writeFileSync(path, JSON.stringify(many));
    const c = new Ledger({ path, intervalMs: 0 });
    c.record(rec());
    await c.flush();
    expect(parseLedger(readFileSync(path, "utf8"))!.history.length).toBe(HISTORY_LIMIT);
  });

  test("writes are batched: many records, one write per interval", async () => {
    const path = join(dir, "batched.json");
    const l = new Ledger({ path, intervalMs: 60_000 });
    for (let i = 0; i < 100; i++) l.record(rec());
    await Bun.sleep(30);
    // The first write goes out at once; the next waits for the interval.
    expect(parseLedger(readFileSync(path, "utf8"))!.lifetime.requests).toBeGreaterThanOrEqual(1);
    expect(l.lifetime().requests).toBe(100);
    await l.close();
    expect(parseLedger(readFileSync(path, "utf8"))!.lifetime.requests).toBe(100);
  });

  test("an unreadable ledger is moved aside, not overwritten", async () => {
    const path = join(dir, "corrupt.json");
    writeFileSync(path, "{ not json");
    const warnings: string[] = [];
    const l = new Ledger({ path, intervalMs: 0, onWarn: (m) => warnings.push(m) });
    expect(warnings.length).toBe(1);
    const aside = readdirSync(dir).filter((f) => f.startsWith("corrupt.json.corrupt-"));
    expect(aside.length).toBe(1);
    expect(readFileSync(join(dir, aside[0]!), "utf8")).toBe("{ not json");
    l.record(rec());
    await l.close();
    expect(parseLedger(readFileSync(path, "utf8"))!.lifetime.requests).toBe(1);
  });

  test("parsing: bad counts read 0 and bad entries are dropped; a file without lifetime totals is unreadable", () => {
    const file = parseLedger(JSON.stringify({
      version: 9, created_at: 5, extra: true,
      lifetime: { requests: "7", tokens_input: 12, tokens_saved: 1e999, saved_by_kind: { json: 40, log: "x", diff: null } },
      history: [null, 3, { hour: 1 }, { hour: "2024-01-01T00:00:00.000Z", requests: 2, tokens_input: 1, tokens_output: 0, tokens_before: 9, tokens_saved: 4 }],
    }))!;
    expect(file.version).toBe(1);
    expect(typeof file.created_at).toBe("string");
    expect("extra" in file).toBe(false);
    expect(file.lifetime).toMatchObject({ requests: 0, tokens_input: 12, tokens_saved: 0, tokens_output: 0, saved_by_kind: { json: 40 } });
    expect(Object.keys(file.lifetime.saved_by_kind)).toEqual(["json"]);
    expect(file.history).toEqual([{ hour: "2024-01-01T00:00:00.000Z", requests: 2, tokens_input: 1, tokens_output: 0, tokens_before: 9, tokens_saved: 4 }]);
    for (const text of ["{ not json", "null", "[]", "{}", '{"lifetime":null}', '{"lifetime":"x"}', '{"history":[]}']) expect(parseLedger(text)).toBeNull();
  });

  test("a file without lifetime totals is moved aside too", () => {
    const path = join(dir, "no-lifetime.json");
    writeFileSync(path, '{"version":1,"history":[]}');
    const warnings: string[] = [];
    const l = new Ledger({ path, intervalMs: 0, onWarn: (m) => warnings.push(m) });
    expect(warnings.length).toBe(1);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith("no-lifetime.json.corrupt-")).length).toBe(1);
    expect(l.lifetime().requests).toBe(0);
  });

  test("the ledger file is private (0600)", async () => {
    const path = join(dir, "private", "p.json");
    const l = new Ledger({ path, intervalMs: 0 });
    l.record(rec());
    await l.close();
    expect(existsSync(path)).toBe(true);
    const { statSync } = await import("node:fs");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

function context(over: Partial<ProxyContext> = {}): ProxyContext {
  const config = resolveProxyConfig({ port: 9999 }, { HEADROOM_WORKSPACE_DIR: dir });
  return {
    config, port: 9999, stats: new Stats(), ledger: new Ledger({ path: join(dir, "ctx.json") }),
    log: createLogger("error"), retry: DEFAULT_RETRY, life: { ready: true, draining: false, inFlight: 0 },
    compression: { compressRequest: async () => { throw new Error("unused"); }, handleRetrievals: async (c) => c.response }, ...over,
  };
}

describe("health and reports", () => {
  test("readyz: 503 while starting and while draining", async () => {
    const ctx = context();
    expect(readyz(ctx).status).toBe(200);
    ctx.life.draining = true;
    const r = readyz(ctx);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, status: "draining" });
    expect(readyz(context({ life: { ready: false, draining: false, inFlight: 0 } })).status).toBe(503);
  });

  test("health: config block only for loopback callers", async () => {
    const ctx = context();
    expect(((await health(ctx, true).json()) as Record<string, unknown>).config).toBeDefined();
    expect(((await health(ctx, false).json()) as Record<string, unknown>).config).toBeUndefined();
  });

  test.skipIf(promtool === null)("metrics text is valid exposition format with labels escaped", async () => {
    const ctx = context();
    ctx.stats.record(rec({ usage: { model: 'we"ird\\model', input: 1, output: 2, cacheRead: 0, cacheWrite: 0 } }));
    ctx.stats.record(rec({ user: "line\nbreak", usage: { model: "m", input: 1, output: 2, cacheRead: 0, cacheWrite: 0 } }));
    const text = metricsText(ctx);
    // The official parser and linter accept it without a finding.
    expect(await promtoolCheck(text)).toEqual({ code: 0, findings: "" });
    for (const line of text.trim().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) (headroom|process)_[a-z_]+ .+|(headroom|process)_[a-z_]+(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf))$/);
    }
    expect(text).toContain('model="we\\"ird\\\\model"');
    expect(text).toContain('user="line\\nbreak"');
    expect(statsBody(ctx).requests).toMatchObject({ total: 2 });
  });
});

describe("histogram", () => {
  test("a value on a bound counts in that bucket (le is inclusive); cumulative counts end at count", () => {
    const h = new Histogram([0.001, 0.01, 1]);
    for (const v of [0.0004, 0.001, 0.0011, 0.5, 1, 7]) h.observe(v);
    expect(h.cumulative()).toEqual([2, 3, 5, 6]);
    expect(h.count).toBe(6);
    expect(h.sum).toBeCloseTo(8.5025, 6);
  });
});

describe("proxy flags", () => {
  test("flags given are set, others left to the environment", () => {
    expect(proxyFlagsFromArgs({ port: "9000", "no-optimize": true, optimize: false }, ["--port", "9000", "--no-optimize"])).toMatchObject({ port: 9000, optimize: false, telemetry: undefined });
    expect(proxyFlagsFromArgs({ optimize: true }, [])).toMatchObject({ optimize: undefined });
    expect(proxyFlagsFromArgs({ mode: "cache", "log-level": "DEBUG" }, [])).toMatchObject({ mode: "cache", logLevel: "DEBUG" });
  });

  test("bad values are usage errors", () => {
    expect(() => proxyFlagsFromArgs({ mode: "turbo" })).toThrow(UsageError);
    expect(() => proxyFlagsFromArgs({ port: "0" })).toThrow(UsageError);
    expect(() => proxyFlagsFromArgs({ "anthropic-api-url": "ftp://x" })).toThrow(UsageError);
    expect(() => proxyFlagsFromArgs({ "log-level": "loud" })).toThrow(UsageError);
  });
});
