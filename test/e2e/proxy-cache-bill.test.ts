// The cache bill as the user sees it: the compiled proxy in cache mode in front of the
// emulated Anthropic upstream (bench/cache-bill/upstream.ts, which bills every request with
// the prompt-cache emulator and answers real-shaped usage). After a 3-turn session with a
// big tool result, /stats reports the cache read and write tokens the upstream returned,
// and a net saving equal to the emulated bill of what the client sent minus what the
// upstream billed for what it received.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type CacheUpstream, startCacheUpstream } from "../../bench/cache-bill/upstream.ts";
import { PromptCache } from "../../src/proxy/prompt-cache.ts";
import { binPath } from "../support/bin.ts";
import { freePort } from "../support/free-port.ts";

let upstream: CacheUpstream;
let ws: string;
let proc: Subprocess;
let base: string;


beforeAll(async () => {
  upstream = await startCacheUpstream({ keepBodies: true });
  ws = mkdtempSync(join(tmpdir(), "headroom-cache-bill-e2e-"));
  const port = freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("HEADROOM_")) env[k] = v;
  proc = Bun.spawn([binPath, "proxy", "--port", String(port), "--mode", "cache", "--anthropic-api-url", upstream.url], {
    env: { ...env, HOME: ws, HEADROOM_WORKSPACE_DIR: ws },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(500) })).ok) break;
    } catch {
      // not yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error("the proxy did not become ready");
    await Bun.sleep(25);
  }
}, 60_000);

afterAll(async () => {
  proc?.kill("SIGTERM");
  await proc?.exited;
  await upstream?.stop();
  rmSync(ws, { recursive: true, force: true });
}, 30_000);

const CC = { type: "ephemeral" };
type Block = Record<string, unknown>;
type Message = { role: string; content: Block[] };

/** 400 issue objects: a tool result well above the compression floor. */
const issues = JSON.stringify(
  Array.from({ length: 400 }, (_, i) => ({ id: 9000 + i, title: i === 271 ? "Login page flickers on Safari" : `Tidy the module ${i % 17}`, state: i % 3 ? "open" : "closed", assignee: ["ana", "bo", "cy"][i % 3], comments: i % 11 })),
  null,
  2,
);

/** Claude Code's placement: the last system block, the last block of the last two messages. */
function request(messages: Message[], stream: boolean) {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream,
    system: [{ type: "text", text: `You are a coding assistant. ${"Follow the repository's conventions. ".repeat(60)}`, cache_control: CC }],
    tools: [{ name: "Bash", description: "Run a shell command.", input_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } }],
    messages: messages.map((m, i) => (i >= messages.length - 2 ? { ...m, content: m.content.map((b, j) => (j === m.content.length - 1 ? { ...b, cache_control: CC } : b)) } : m)),
  };
}

test("after a 3-turn session /stats shows the upstream's cache tokens and the emulated net saving", async () => {
  const history: Message[] = [];
  const sent: unknown[] = [];
  const send = async (stream: boolean) => {
    const body = request(history, stream);
    sent.push(body);
    const res = await fetch(`${base}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    await res.text();
  };
  // Turn 1: a question, the tool call, its big result.
  history.push({ role: "user", content: [{ type: "text", text: "Which issue is about the login page flickering on Safari?" }] });
  await send(true);
  history.push({ role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "gh issue list --json" } }] });
  history.push({ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: issues }] });
  await send(true);
  history.push({ role: "assistant", content: [{ type: "text", text: "Issue 9271." }] });
  // Turn 2 and 3: questions answered from what is already there.
  history.push({ role: "user", content: [{ type: "text", text: "Who is it assigned to?" }] });
  await send(false);
  history.push({ role: "assistant", content: [{ type: "text", text: "To bo." }] });
  history.push({ role: "user", content: [{ type: "text", text: "And how many comments does it have?" }] });
  await send(true);

  const recs = upstream.records;
  expect(recs.length).toBe(4);
  const sum = (f: (r: (typeof recs)[number]) => number) => recs.reduce((n, r) => n + f(r), 0);
  // The emulated bill of what the client sent: passthrough's bill.
  const passthrough = new PromptCache({ ttlMs: Infinity });
  const wouldBe = sent.reduce<number>((n, b) => n + passthrough.bill(b).billed, 0);
  const billed = sum((r) => r.billed);

  const stats = (await (await fetch(`${base}/stats`)).json()) as { tokens: Record<string, number>; lifetime: Record<string, number> };
  const t = stats.tokens;
  expect(t.cache_read).toBe(sum((r) => r.cacheRead));
  expect(t.cache_write).toBe(sum((r) => r.cacheWrite));
  expect(t.input).toBe(sum((r) => r.input));
  expect(t.cache_read).toBeGreaterThan(0);
  expect(t.cache_write).toBeGreaterThan(0);
  // The big result was compressed, and that paid on the bill.
  expect(t.saved).toBeGreaterThan(0);
  expect(billed).toBeLessThan(wouldBe);
  expect(t.billed_passthrough).toBeCloseTo(wouldBe, 1);
  expect(t.billed).toBeCloseTo(billed, 1);
  expect(t.net_saved).toBeCloseTo(wouldBe - billed, 1);
  expect(stats.lifetime.tokens_net_saved).toBeCloseTo(wouldBe - billed, 1);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  // The net saving is the emulated bill as sent minus as forwarded.
  const billedAs = (as: string) => metrics.split("\n").filter((l) => l.startsWith(`headroom_billed_input_tokens_total{as="${as}",`)).reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
  expect(billedAs("sent") - billedAs("forwarded")).toBeCloseTo(wouldBe - billed, 1);
});
