// The net-saving accounting: the emulated bill of what the client sent minus that of what
// was forwarded, per conversation, and how it reaches /stats, /metrics and the ledger.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CacheAccount } from "../../../src/proxy/cache-account.ts";
import { resolveProxyConfig } from "../../../src/proxy/config.ts";
import type { ProxyContext } from "../../../src/proxy/context.ts";
import { Ledger, parseLedger } from "../../../src/proxy/ledger.ts";
import { createLogger } from "../../../src/proxy/log.ts";
import { PromptCache } from "../../../src/proxy/prompt-cache.ts";
import { metricsText, statsBody } from "../../../src/proxy/report.ts";
import { type RequestRecord, Stats } from "../../../src/proxy/stats.ts";
import { DEFAULT_RETRY } from "../../../src/proxy/upstream.ts";

const dir = mkdtempSync(join(tmpdir(), "headroom-cache-account-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CC = { type: "ephemeral" };
/** A text of exactly `tokens` tokens as a block (JSON of tokens x 3.5 characters). */
const text = (tokens: number, tag: string) => {
  const pad = tokens * 3.5 - JSON.stringify({ type: "text", text: `${tag}:` }).length;
  return { type: "text", text: `${tag}:${"x".repeat(pad)}` };
};
const result = (id: string, body: string) => ({ type: "tool_result", tool_use_id: id, content: body });
const BIG = "row ".repeat(3500); // 14,000 characters
const SMALL = "3 rows omitted";

type Block = Record<string, unknown>;
type Message = { role: string; content: Block[] };
/** Claude Code's placement: the last system block and the last block of the last two messages. */
function body(messages: Message[], tools: Block[] = [{ name: "Bash", description: "run", input_schema: { type: "object" } }]) {
  return {
    model: "claude-x",
    tools,
    system: [{ ...text(100, "system"), cache_control: CC }],
    messages: messages.map((m, i) => (i >= messages.length - 2 ? { ...m, content: m.content.map((b, j) => (j === m.content.length - 1 ? { ...b, cache_control: CC } : b)) } : m)),
  };
}

const ask = (tag: string): Message => ({ role: "user", content: [text(20, tag)] });
const use = (id: string): Message => ({ role: "assistant", content: [{ type: "tool_use", id, name: "Bash", input: { command: "ls" } }] });
const answer = (tag: string): Message => ({ role: "assistant", content: [text(10, tag)] });

describe("cache account", () => {
  test("an unchanged body saves nothing but moves the conversation's cache on", () => {
    const acc = new CacheAccount();
    const first = body([ask("q1")]);
    const a = acc.observe(first)!;
    expect(a.passthrough).toBe(a.billed);
    const b = acc.observe(first)!;
    // The second time the whole prefix is read at 0.1x in both worlds.
    expect(b.passthrough).toBeCloseTo(a.passthrough / 12.5, 6);
    expect(b.billed).toBe(b.passthrough);
    expect(acc.observe({ model: "m" })).toBeUndefined();
  });

  test("net saving is the emulated bill of the original minus that of the forwarded body", () => {
    const acc = new CacheAccount();
    const origWorld = new PromptCache();
    const fwdWorld = new PromptCache();
    const turns: Array<[ReturnType<typeof body>, ReturnType<typeof body>]> = [];
    const h = [ask("q1"), use("t1")];
    const compressed = (m: Message[]) => m.map((msg) => ({ ...msg, content: msg.content.map((b) => (b.type === "tool_result" ? { ...b, content: SMALL } : b)) }));
    // Turn 1 carries the big result; the forwarded body compressed it at first sight.
    turns.push([body([...h, { role: "user", content: [result("t1", BIG)] }]), body(compressed([...h, { role: "user", content: [result("t1", BIG)] }]))]);
    const h2 = [...h, { role: "user", content: [result("t1", BIG)] }, answer("a1"), ask("q2")];
    turns.push([body(h2), body(compressed(h2))]);
    let net = 0;
    for (const [orig, fwd] of turns) {
      const got = acc.observe(orig, fwd)!;
      const want = { passthrough: origWorld.bill(orig).billed, billed: fwdWorld.bill(fwd).billed };
      expect(got).toEqual(want);
      net += got.passthrough - got.billed;
    }
    // 14,000 characters are 4,000 tokens: written once at 1.25x, then read at 0.1x.
    const removed = Math.ceil(JSON.stringify(result("t1", BIG)).length / 3.5) - Math.ceil(JSON.stringify(result("t1", SMALL)).length / 3.5);
    expect(net).toBeCloseTo(removed * 1.25 + removed * 0.1, 6);
  });

  test("a change that busts the cache shows as a negative saving", () => {
    const acc = new CacheAccount();
    const h = [ask("q1"), answer("a1"), ask("q2")];
    acc.observe(body(h));
    const withTool = body(h, [{ name: "Bash", description: "run", input_schema: { type: "object" } }, { name: "headroom_retrieve", description: "get", input_schema: { type: "object" } }]);
    const net = acc.observe(body(h), withTool)!;
    expect(net.passthrough).toBeLessThan(net.billed); // the original reads everything; the forwarded rewrites it
  });

  test("conversations are apart and least recently used out", () => {
    const acc = new CacheAccount({ maxConversations: 2 });
    const conv = (tag: string) => body([ask(tag)]);
    const cold = acc.observe(conv("a"))!.passthrough;
    acc.observe(conv("b"));
    expect(acc.observe(conv("a"))!.passthrough).toBeLessThan(cold); // warm
    acc.observe(conv("c")); // evicts b, the least recently used
    expect(acc.size).toBe(2);
    expect(acc.observe(conv("b"))!.passthrough).toBe(acc.observe(conv("d"))!.passthrough); // both cold
  });

  test("a request the provider would reject (five breakpoints) is not billed", () => {
    const b = { model: "m", system: [1, 2, 3, 4, 5].map((i) => ({ ...text(10, `s${i}`), cache_control: CC })), messages: [] };
    expect(new CacheAccount().observe(b)).toBeUndefined();
  });
});

const rec = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  provider: "anthropic", status: 200, latencyMs: 1, overheadMs: 0.1, model: "claude-x",
  usage: { model: "claude-x", input: 10, output: 5, cacheRead: 900, cacheWrite: 300 },
  compression: { tokensBefore: 2000, tokensAfter: 500, changed: true, failed: false, savedByKind: { json: 1500 }, cache: { passthrough: 1000.25, billed: 400.1 } },
  ...over,
});

describe("net saving in /stats, /metrics and the ledger", () => {
  test("stats sum the bills of answered requests, next to the raw tokens removed", async () => {
    const path = join(dir, "ledger.json");
    const ctx: ProxyContext = {
      config: resolveProxyConfig({ port: 9999 }, { HEADROOM_WORKSPACE_DIR: dir }), port: 9999, stats: new Stats(), ledger: new Ledger({ path, intervalMs: 0 }),
      log: createLogger("error"), retry: DEFAULT_RETRY, life: { ready: true, draining: false, inFlight: 0 },
      compression: { compressRequest: async () => { throw new Error("unused"); }, handleRetrievals: async (c) => c.response },
    };
    for (const r of [rec(), rec({ compression: { ...rec().compression!, cache: { passthrough: 100, billed: 300 } } }), rec({ status: 529 })]) {
      ctx.stats.record(r);
      ctx.ledger.record(r);
    }
    const tokens = statsBody(ctx).tokens as Record<string, number>;
    // The 529 is not billed; the second request cost 200 more than passthrough.
    expect(tokens).toMatchObject({ cache_read: 2700, cache_write: 900, saved: 4500, billed_passthrough: 1100.25, billed: 700.1, net_saved: 400.15 });
    expect(tokens.net_savings_percent).toBe(36.37);
    const byModel = (statsBody(ctx).requests as { by_model: Record<string, Record<string, number>> }).by_model["claude-x"]!;
    expect(byModel.tokens_net_saved).toBe(400.15);
    const text = metricsText(ctx);
    // The net saving is sent minus forwarded, in PromQL.
    expect(text).toContain('headroom_billed_input_tokens_total{as="sent",provider="anthropic",model="claude-x"} 1100.25');
    expect(text).toContain('headroom_billed_input_tokens_total{as="forwarded",provider="anthropic",model="claude-x"} 700.1');
    await ctx.ledger.close();
    const file = parseLedger(readFileSync(path, "utf8"))!;
    expect(file.lifetime).toMatchObject({ tokens_billed_passthrough: 1100.25, tokens_billed: 700.1, tokens_net_saved: 400.15, tokens_saved: 4500 });
    expect((statsBody(ctx).lifetime as Record<string, number>).tokens_net_saved).toBe(400.15);
    expect(text).toContain('headroom_lifetime_billed_input_tokens{as="sent"} 1100.25');
    expect(text).toContain('headroom_lifetime_billed_input_tokens{as="forwarded"} 700.1');
    // An older ledger without the fields reads as zero.
    expect(parseLedger(JSON.stringify({ lifetime: { requests: 3 } }))!.lifetime.tokens_net_saved).toBe(0);
  });
});
