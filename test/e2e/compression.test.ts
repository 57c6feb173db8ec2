// End to end through the compiled proxy against the local upstream stub (Anthropic and
// OpenAI wire formats, SSE included, scripted per request): the upstream sees compressed tool results, earlier turns
// keep their bytes turn after turn (token and cache mode), and a headroom_retrieve call
// the upstream makes is answered by the proxy and never reaches the client.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath } from "../support/bin.ts";
import { buildCorpus, type CorpusItem } from "../../bench/compression/corpus.ts";
import { startUpstreamStub, type Reply, type UpstreamStub } from "../support/upstream-stub.ts";

type J = Record<string, any>;

// ------------------------------------------------------------------ upstream stub
let stub: UpstreamStub;
const seen = () => stub.requests.map((r) => ({ path: r.path, body: r.json as J }));
/** The next upstream reply is decided from the request it answers. */
const custom = (handle: (body: J) => Reply): Reply => ({ kind: "custom", handle: (req) => handle(req.json as J) });

function parseSse(text: string): { event?: string; data: any }[] {
  return text.split("\n\n").filter((c) => c.trim()).map((chunk) => {
    const event = /^event: (.*)$/m.exec(chunk)?.[1];
    const data = /^data: (.*)$/m.exec(chunk)![1]!;
    return { event, data: data === "[DONE]" ? data : JSON.parse(data) };
  });
}

// The marker sits inside a JSON string, so its quotes may be escaped.
const HASH_RE = /headroom_retrieve \{\\?"hash\\?":\\?"([0-9a-f]{24})\\?"\}/;
function firstHash(body: J): string {
  const m = HASH_RE.exec(JSON.stringify(body));
  if (!m) throw new Error("the upstream saw no marker");
  return m[1]!;
}

// ------------------------------------------------------------------ proxies
const homes: string[] = [];
const procs: ReturnType<typeof Bun.spawn>[] = [];

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

async function startProxy(extra: string[]): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), "headroom-e2e-compress-"));
  homes.push(home);
  const port = await freePort();
  const base = stub.url;
  const proc = Bun.spawn([binPath, "proxy", "--port", String(port), "--anthropic-api-url", base, "--openai-api-url", base, ...extra], {
    env: { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: join(home, "ws"), HEADROOM_TELEMETRY: "0" },
    stdout: "ignore",
    stderr: "pipe",
  });
  procs.push(proc);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return `http://127.0.0.1:${port}`;
    } catch {}
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the proxy did not start: ${await new Response(proc.stderr as ReadableStream).text()}`);
    await Bun.sleep(50);
  }
}

let token = "";
let cache = "";
let corpus: CorpusItem[] = [];
let ISSUES = "";
let LOG = "";
let SEARCH = "";

beforeAll(async () => {
  if (!existsSync(binPath)) throw new Error(`no binary at ${binPath}; run bun scripts/build.ts first (or set HEADROOM_TEST_BIN)`);
  stub = await startUpstreamStub();
  corpus = buildCorpus();
  ISSUES = corpus.find((c) => c.name === "issues-100.json")!.text;
  LOG = corpus.find((c) => c.name === "bun-test.log")!.text;
  SEARCH = corpus.find((c) => c.name === "search-100.json")!.text;
  // The default mode (auto) is token mode for these requests, which carry no cache_control;
  // the threshold is raised so that the 100-row fixture counts as a result of ordinary size.
  [token, cache] = await Promise.all([startProxy(["--fresh-threshold", "50000"]), startProxy(["--mode", "cache"])]);
}, 60_000);

afterAll(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  await stub?.stop();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
}, 30_000);

beforeEach(() => stub.reset());

const anthropicHeaders = { "content-type": "application/json", "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" };

async function post(base: string, path: string, body: J, headers: Record<string, string> = anthropicHeaders): Promise<Response> {
  return fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
}

// A conversation that grows by one tool round per turn.
function conversation(turns: number, stream = false, tag = ""): J {
  const outputs = [ISSUES, LOG, SEARCH];
  const messages: J[] = [{ role: "user", content: `Which issue is about the login page flickering on Safari? ${tag}` }];
  for (let t = 0; t < turns; t++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `toolu_${t}`, name: "run", input: { step: t } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${t}`, content: outputs[t % 3] }] });
  }
  return { model: "claude-sonnet-4-5", max_tokens: 512, system: "You are a coding agent.", messages, tools: [{ name: "run", description: "runs", input_schema: { type: "object" } }], ...(stream ? { stream: true } : {}) };
}

/** Texts of the streamed content blocks, by client index. */
function blockTexts(events: { event?: string; data: any }[]): string[] {
  const texts: string[] = [];
  for (const e of events) {
    if (e.event === "content_block_delta" && e.data.delta.type === "text_delta") texts[e.data.index] = (texts[e.data.index] ?? "") + e.data.delta.text;
  }
  return texts;
}

describe("Anthropic, token mode", () => {
  test("earlier tool results reach the upstream compressed, with the same bytes turn after turn", async () => {
    const views: J[] = [];
    for (let turns = 1; turns <= 3; turns++) {
      const res = await post(token, "/v1/messages", conversation(turns, false, "t1"));
      expect(res.status).toBe(200);
      await res.text();
      views.push(seen().at(-1)!.body);
    }
    // Turn 1: the only tool result is live (last message) and goes out as it is.
    expect(views[0]!.messages[2].content[0].content).toBe(ISSUES);
    // Turn 2 on: it is compressed; the live one is not.
    const compressed = views[1]!.messages[2].content[0].content as string;
    expect(compressed).toContain("Login page flickers on Safari 17");
    expect(compressed.length).toBeLessThan(ISSUES.length / 5);
    expect(views[1]!.messages[4].content[0].content).toBe(LOG);
    expect(views[1]!.tools.map((t: J) => t.name)).toEqual(["run", "headroom_retrieve"]);
    // Turn 3: everything turn 2 had already compressed is byte-identical.
    expect(JSON.stringify(views[2]!.messages.slice(0, 4))).toBe(JSON.stringify(views[1]!.messages.slice(0, 4)));
    expect(JSON.stringify(views[2]!.tools)).toBe(JSON.stringify(views[1]!.tools));
    expect(views[2]!.messages[4].content[0].content).toContain("(fail) rejects an expired session token");
    expect(views[2]!.system).toBe("You are a coding agent.");
    expect(views[2]!.messages[0].content).toBe(conversation(1, false, "t1").messages[0].content);
  });

  test("a headroom_retrieve call is answered by the proxy; the client gets only the final answer", async () => {
    stub.enqueue(
      custom((body) => ({ content: [{ type: "text", text: "Let me see all rows." }, { type: "tool_use", id: "toolu_r", name: "headroom_retrieve", input: { hash: firstHash(body) } }] })),
      { text: "Issue 1262." },
    );
    const res = await post(token, "/v1/messages", conversation(2, false, "t2"));
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain("headroom_retrieve");
    const msg = JSON.parse(text) as J;
    expect(msg.content.map((b: J) => b.text)).toEqual(["Let me see all rows.", "Issue 1262."]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(stub.requests).toHaveLength(2);
    const followUp = seen()[1]!.body.messages;
    expect(followUp.at(-1).content[0]).toEqual({ type: "tool_result", tool_use_id: "toolu_r", content: ISSUES });
    expect(Number(res.headers.get("x-headroom-tokens-saved"))).toBeGreaterThan(0);
  });

  test("streamed: retrieval resolved inside one valid client stream; no headroom_retrieve reaches the client", async () => {
    stub.enqueue(
      custom((body) => ({ content: [{ type: "text", text: "Checking." }, { type: "tool_use", id: "toolu_r", name: "headroom_retrieve", input: { hash: firstHash(body) } }] })),
      { text: "It is issue 1262." },
    );
    const res = await post(token, "/v1/messages", conversation(2, true, "t3"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text).not.toContain("headroom_retrieve");
    const events = parseSse(text);
    expect(events.filter((e) => e.event === "message_start")).toHaveLength(1);
    expect(events.at(-1)!.event).toBe("message_stop");
    expect(events.filter((e) => e.event === "content_block_start").map((e) => e.data.index)).toEqual([0, 1]);
    expect(blockTexts(events)).toEqual(["Checking.", "It is issue 1262."]);
    expect(events.find((e) => e.event === "message_delta")!.data.delta.stop_reason).toBe("end_turn");
    expect(stub.requests).toHaveLength(2);
    expect(seen()[1]!.body.stream).toBe(true);
    expect(seen()[1]!.body.messages.at(-1).content[0].content).toBe(ISSUES);
  });

  test("streamed without retrieval: events pass through as the upstream sent them", async () => {
    stub.enqueue({ text: "Plain answer, relayed as it came." });
    const res = await post(token, "/v1/messages", conversation(2, true, "t4"));
    const text = await res.text();
    await stub.requests[0]!.ended;
    expect(text).toBe(new TextDecoder().decode(stub.requests[0]!.responseBody));
  });

  test("x-headroom-bypass: true forwards the tool results untouched", async () => {
    const body = conversation(3, false, "t5");
    await (await post(token, "/v1/messages", body, { ...anthropicHeaders, "x-headroom-bypass": "true" })).text();
    expect(JSON.stringify(seen()[0]!.body)).toBe(JSON.stringify(body));
  });
});

describe("Anthropic, cache mode", () => {
  test("new tool results are compressed once (the last one too) and earlier turns never change", async () => {
    const views: J[] = [];
    for (let turns = 1; turns <= 3; turns++) {
      await (await post(cache, "/v1/messages", conversation(turns, turns === 2, "c1"))).text();
      views.push(seen().at(-1)!.body);
    }
    expect(views[0]!.messages[2].content[0].content).toContain("headroom_retrieve");
    for (let t = 1; t < views.length; t++) {
      const prev = views[t - 1]!.messages;
      expect(JSON.stringify(views[t]!.messages.slice(0, prev.length))).toBe(JSON.stringify(prev));
      expect(JSON.stringify(views[t]!.tools)).toBe(JSON.stringify(views[t - 1]!.tools));
    }
  });
});

describe("OpenAI", () => {
  const openaiHeaders = { "content-type": "application/json", authorization: "Bearer sk-test" };
  const chatBody = (stream: boolean) => ({
    model: "gpt-4.1",
    ...(stream ? { stream: true } : {}),
    messages: [
      { role: "system", content: "You are a coding agent." },
      { role: "user", content: "Which issue is about the login page flickering on Safari?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "list", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_1", content: ISSUES },
      { role: "user", content: "Go on." },
    ],
  });
  const retrieveCall = custom((body) => ({ toolCalls: [{ id: "call_r", name: "headroom_retrieve", arguments: { hash: firstHash(body) } }] }));

  test("chat completions: tool messages compressed, retrieval answered inside the proxy", async () => {
    stub.enqueue(retrieveCall, { text: "Issue 1262." });
    const res = await post(token, "/v1/chat/completions", chatBody(false), openaiHeaders);
    const text = await res.text();
    expect(text).not.toContain("headroom_retrieve");
    expect((JSON.parse(text) as J).choices[0].message.content).toBe("Issue 1262.");
    const [first, second] = seen();
    expect(first!.body.messages[3].content).toContain("headroom_retrieve");
    expect(first!.body.messages[3].content.length).toBeLessThan(ISSUES.length / 5);
    expect(first!.body.messages[0]).toEqual(chatBody(false).messages[0]);
    expect(first!.body.tools.at(-1).function.name).toBe("headroom_retrieve");
    expect(second!.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_r", content: ISSUES });
  });

  test("chat completions streamed: retrieval answered inside one stream with a single [DONE]", async () => {
    stub.enqueue(retrieveCall, { text: "Issue 1262." });
    const res = await post(token, "/v1/chat/completions", chatBody(true), openaiHeaders);
    const text = await res.text();
    expect(text).not.toContain("headroom_retrieve");
    const events = parseSse(text);
    expect(events.filter((e) => e.data === "[DONE]")).toHaveLength(1);
    expect(events.at(-1)!.data).toBe("[DONE]");
    const chunks = events.filter((e) => e.data !== "[DONE]" && e.data.choices.length > 0);
    expect(chunks.map((e) => e.data.choices[0].delta.content ?? "").join("")).toBe("Issue 1262.");
    expect(chunks.some((e) => e.data.choices[0].delta.tool_calls)).toBe(false);
    expect(stub.requests).toHaveLength(2);
    expect(seen()[1]!.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_r", content: ISSUES });
  });

  test("responses: function_call_output compressed, streamed retrieval answered inside one stream", async () => {
    stub.enqueue(retrieveCall, { text: "Issue 1262." });
    const body = {
      model: "gpt-5",
      stream: true,
      input: [
        { role: "user", content: "Which issue is about the login page flickering on Safari?" },
        { type: "function_call", call_id: "call_1", name: "list", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: ISSUES },
        { role: "user", content: "Go on." },
      ],
    };
    const res = await post(token, "/v1/responses", body, openaiHeaders);
    const text = await res.text();
    expect(text).not.toContain("headroom_retrieve");
    const events = parseSse(text);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.event === "response.created")).toHaveLength(1);
    expect(events.at(-1)!.event).toBe("response.completed");
    expect(events.at(-1)!.data.response.output.map((i: J) => i.type)).toEqual(["message"]);
    expect(events.filter((e) => e.event === "response.output_text.delta").map((e) => e.data.delta).join("")).toBe("Issue 1262.");
    const [first, second] = seen();
    expect(first!.body.input[2].output).toContain("headroom_retrieve");
    expect(second!.body.input.at(-1)).toEqual({ type: "function_call_output", call_id: "call_r", output: ISSUES });
  });
});

describe("compress and retrieve routes", () => {
  test("POST /v1/compress compresses without calling the upstream; /v1/retrieve returns the original", async () => {
    const res = await post(token, "/v1/compress", { api: "anthropic", messages: conversation(2, false, "r1").messages });
    expect(res.status).toBe(200);
    const out = (await res.json()) as J;
    expect(out.changed).toBe(true);
    expect(out.tokens_saved).toBeGreaterThan(0);
    expect(out.tokens_after).toBeLessThan(out.tokens_before);
    expect(stub.requests).toHaveLength(0);
    const hash = firstHash(out.messages);
    const got = (await (await fetch(`${token}/v1/retrieve/${hash}`)).json()) as J;
    expect(got.original).toBe(ISSUES);
    const posted = (await (await post(token, "/v1/retrieve", { hash })).json()) as J;
    expect(posted.original).toBe(ISSUES);
  });
});

describe("accounting", () => {
  test("/stats and /metrics count tokens saved by compressor kind", async () => {
    await (await post(token, "/v1/messages", conversation(3, false, "acct"))).text();
    const stats = (await (await fetch(`${token}/stats`)).json()) as J;
    expect(JSON.stringify(stats)).toContain('"json"');
    expect(JSON.stringify(stats)).toContain('"log"');
    const metrics = await (await fetch(`${token}/metrics`)).text();
    expect(metrics).toMatch(/^headroom_compression_tokens_saved_total\{compressor="json"\} [1-9]/m);
    expect(metrics).toMatch(/^headroom_compressions_total\{compressor="log"\} [1-9]/m);
  });
});
