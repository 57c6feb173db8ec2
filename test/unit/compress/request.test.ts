// compressRequest: what is touched and what never is, per API; same bytes turn after turn;
// cache mode's frozen prefix; never worse; failures forward the original.
import { beforeEach, describe, expect, test } from "bun:test";
import { compressRequest, type ApiKind } from "../../../src/proxy/compress/index.ts";
import { conversations } from "../../../src/proxy/compress/conversations.ts";
import { DEFAULT_COMPRESSORS, resetMemo } from "../../../src/proxy/compress/engine.ts";
import type { Compressor } from "../../../src/proxy/compress/compressors/types.ts";
import { hasMarker } from "../../../src/proxy/compress/marker.ts";
import { originals } from "../../../src/proxy/compress/store.ts";

type J = Record<string, any>;

const rows = (n: number, tag = "") => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i, name: `item ${tag}${i}`, status: "ok", size: 100 + (i % 5) })), null, 2);
const BIG = rows(200);
const BIG2 = rows(150, "b");
const SMALL = rows(5);

function anthropicBody(extra: J[] = [], last: J = { role: "user", content: "thanks, continue" }): J {
  return {
    model: "claude-sonnet-4",
    system: [{ type: "text", text: BIG }],
    messages: [
      { role: "user", content: BIG },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "list", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: BIG }] },
      ...extra,
      last,
    ],
  };
}

const run = (api: ApiKind, body: unknown, mode: "token" | "cache" = "token") => compressRequest({ api, body, mode, headers: new Headers() });

beforeEach(() => {
  resetMemo();
  conversations.clear();
});

describe("Anthropic messages", () => {
  test("compresses tool_result content above the floor; leaves system, user and assistant text alone", async () => {
    const body = anthropicBody();
    const before = JSON.stringify(body);
    const r = await run("anthropic-messages", body);
    expect(JSON.stringify(body)).toBe(before); // input not mutated
    expect(r.changed).toBe(true);
    expect(r.hasMarkers).toBe(true);
    const out = r.body as J;
    expect(out.system).toBe(body.system);
    expect(out.messages[0]).toBe(body.messages[0]);
    const block = out.messages[2].content[0];
    expect(hasMarker(block.content)).toBe(true);
    expect(block.content.length).toBeLessThan(BIG.length / 5);
    expect(out.tools.at(-1).name).toBe("headroom_retrieve");
    expect(r.tokensAfter).toBeLessThan(r.tokensBefore);
    expect(r.savedByKind.json).toBeGreaterThan(0);
    expect(r.compressed).toBe(1);
  });

  test("never touches error results, small results, marked content, user text, or the last message; a cache_control block is compressed and keeps its marker", async () => {
    const marked = `${BIG}\n[headroom: 1 of 2 items omitted; original: headroom_retrieve {"hash":"${"b".repeat(24)}"}]`;
    const body = anthropicBody(
      [
        { role: "user", content: [
          { type: "tool_result", tool_use_id: "a", content: BIG, cache_control: { type: "ephemeral" } },
          { type: "tool_result", tool_use_id: "b", content: BIG, is_error: true },
          { type: "tool_result", tool_use_id: "c", content: SMALL },
          { type: "tool_result", tool_use_id: "d", content: marked },
          { type: "text", text: BIG },
        ] },
      ],
      { role: "user", content: [{ type: "tool_result", tool_use_id: "e", content: BIG2 }] },
    );
    const r = await run("anthropic-messages", body);
    const out = r.body as J;
    const [cached, ...rest] = out.messages[3].content;
    expect(hasMarker(cached.content)).toBe(true);
    expect(cached.cache_control).toEqual({ type: "ephemeral" });
    expect(rest).toEqual(body.messages[3].content.slice(1));
    for (let i = 1; i < 5; i++) expect(out.messages[3].content[i]).toBe(body.messages[3].content[i]);
    expect(out.messages[4]).toBe(body.messages[4]);
  });

  test("text-block content of a tool_result is compressed block by block", async () => {
    const body = anthropicBody([{ role: "user", content: [{ type: "tool_result", tool_use_id: "x", content: [{ type: "text", text: BIG2 }, { type: "image", source: {} }] }] }]);
    const out = (await run("anthropic-messages", body)).body as J;
    const content = out.messages[3].content[0].content;
    expect(hasMarker(content[0].text)).toBe(true);
    expect(content[1]).toBe(body.messages[3].content[0].content[1]);
  });

  test("the retrieve tool is in every request that declares tools, from the first on, compressed or not", async () => {
    const tools = [{ name: "bash", description: "run", input_schema: { type: "object" } }];
    const small = { model: "m", tools, messages: [{ role: "user", content: "hi" }] };
    const r1 = await run("anthropic-messages", small);
    expect(r1.changed).toBe(true);
    expect((r1.body as J).messages).toBe(small.messages);
    expect((r1.body as J).tools.map((t: J) => t.name)).toEqual(["bash", "headroom_retrieve"]);
    const big: J = { ...anthropicBody(), tools };
    const r2 = await run("anthropic-messages", big);
    expect(JSON.stringify((r2.body as J).tools)).toBe(JSON.stringify((r1.body as J).tools));
    // A failure forwards the client's messages, still with the tool.
    const throwing: Compressor = { kind: "boom", detect: () => true, compress: () => { throw new Error("boom"); } };
    const r3 = await compressRequest({ api: "anthropic-messages", body: big, mode: "token", headers: new Headers(), engine: { compressors: [throwing] } });
    expect(r3.failed).toBe(true);
    expect((r3.body as J).messages).toBe(big.messages);
    expect(JSON.stringify((r3.body as J).tools)).toBe(JSON.stringify((r1.body as J).tools));
    // A request that already has it is not given a second one.
    const again = await run("anthropic-messages", r1.body);
    expect((again.body as J).tools).toHaveLength(2);
  });

  test("token mode: a fresh result of ordinary size stays whole; one over the threshold is compressed at first sight", async () => {
    const fresh = (content: string) => anthropicBody([], { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content }] });
    const ordinary = (await run("anthropic-messages", fresh(BIG2))).body as J;
    expect(ordinary.messages[3].content[0].content).toBe(BIG2);
    const huge = rows(3000, "h");
    expect(huge.length / 3.2).toBeGreaterThan(10_000);
    const crowded = (await run("anthropic-messages", fresh(huge))).body as J;
    expect(hasMarker(crowded.messages[3].content[0].content)).toBe(true);
    // The threshold is a setting.
    const low = await compressRequest({ api: "anthropic-messages", body: fresh(BIG2), mode: "token", freshThreshold: 500, headers: new Headers() });
    expect(hasMarker((low.body as J).messages[3].content[0].content)).toBe(true);
  });

  test("auto mode: cache semantics for a request that carries cache_control, token semantics otherwise", async () => {
    const cc = { type: "ephemeral" };
    const plain = anthropicBody([], { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2 }] });
    const rPlain = (await run("anthropic-messages", plain, "auto" as "token")).body as J;
    expect(rPlain.messages[3].content[0].content).toBe(BIG2); // live tail, ordinary size: whole
    const cached = { ...plain, system: [{ type: "text", text: "sys", cache_control: cc }] };
    const rCached = (await run("anthropic-messages", cached, "auto" as "token")).body as J;
    expect(hasMarker(rCached.messages[3].content[0].content)).toBe(true); // first sight
  });

  test("the question may sit in an earlier user message", async () => {
    const wanted = rows(300, "q");
    const body = anthropicBody([
      { role: "user", content: "which row is item q217?" },
      { role: "assistant", content: [{ type: "tool_use", id: "t9", name: "list", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t9", content: wanted }] },
      { role: "assistant", content: "Looking." },
    ], { role: "user", content: "continue" });
    const out = (await run("anthropic-messages", body)).body as J;
    const text = out.messages[5].content[0].content as string;
    expect(hasMarker(text)).toBe(true);
    expect(text).toContain("item q217");
  });

  test("fast path: nothing above the floor returns the same body object, unchanged", async () => {
    const body = { model: "m", messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: SMALL }] }, { role: "user", content: "hi" }] };
    const r = await run("anthropic-messages", body);
    expect(r.changed).toBe(false);
    expect(r.body).toBe(body);
    expect(r.hasMarkers).toBeUndefined();
  });

  test("token mode: a result compressed on one turn has the same bytes on every later turn", async () => {
    const t2 = anthropicBody([], { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2 }] });
    const r2 = (await run("anthropic-messages", t2)).body as J;
    // Turn 3: more history, and a different question that would pick other rows.
    const t3 = anthropicBody(
      [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2 }] }, { role: "assistant", content: "ok" }],
      { role: "user", content: "now look at item 77" },
    );
    const r3 = (await run("anthropic-messages", t3)).body as J;
    expect(JSON.stringify(r3.messages.slice(0, 3))).toBe(JSON.stringify(r2.messages.slice(0, 3)));
    expect(JSON.stringify(r3.tools)).toBe(JSON.stringify(r2.tools));
    // The result that was live on turn 2 is compressed from turn 3 on.
    expect(hasMarker(r3.messages[3].content[0].content)).toBe(true);
    expect(r2.messages[3].content[0].content).toBe(BIG2);
  });

  test("cache mode: earlier messages go out byte-identical, new ones (the last included) compressed once", async () => {
    const t1 = anthropicBody([], { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2 }] });
    const r1 = (await run("anthropic-messages", t1, "cache")).body as J;
    expect(hasMarker(r1.messages[3].content[0].content)).toBe(true);
    const t2 = { ...t1, messages: [...t1.messages, { role: "assistant", content: "ok" }, { role: "user", content: "go on" }] };
    const r2 = (await run("anthropic-messages", t2, "cache")).body as J;
    for (let i = 0; i < r1.messages.length; i++) expect(JSON.stringify(r2.messages[i])).toBe(JSON.stringify(r1.messages[i]));
    // Even when the memo is gone, the frozen prefix holds.
    resetMemo();
    const r3 = (await run("anthropic-messages", t2, "cache")).body as J;
    expect(JSON.stringify(r3.messages)).toBe(JSON.stringify(r2.messages));
  });

  test("cache mode: the newest result carrying the breakpoint is compressed at first sight and never changes again", async () => {
    const cc = { type: "ephemeral" };
    // Turn 1: the newest tool result carries the breakpoint (Claude Code): compressed now, marker kept.
    const t1 = anthropicBody([], { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2, cache_control: cc }] });
    const r1 = (await run("anthropic-messages", t1, "cache")).body as J;
    expect(hasMarker(r1.messages[3].content[0].content)).toBe(true);
    expect(r1.messages[3].content[0].cache_control).toEqual(cc);
    // Turn 2: the client moved the breakpoint to its newest message.
    const t2 = {
      ...t1,
      messages: [
        ...t1.messages.slice(0, 3),
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2 }] },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "now look at item b77", cache_control: cc }] },
      ],
    };
    const r2 = (await run("anthropic-messages", t2, "cache")).body as J;
    // The same compressed bytes, without the old breakpoint; one breakpoint in all.
    expect(r2.messages[3].content[0].content).toBe(r1.messages[3].content[0].content);
    expect(r2.messages[3].content[0].cache_control).toBeUndefined();
    expect(JSON.stringify(r2.messages.slice(0, 3))).toBe(JSON.stringify(r1.messages.slice(0, 3)));
    expect(JSON.stringify(r2).match(/cache_control/g)).toHaveLength(1);
  });

  test("cache mode: a failed compression is remembered, so the output is never compressed later", async () => {
    const throwing: Compressor = { kind: "boom", detect: () => true, compress: () => { throw new Error("boom"); } };
    const t1 = anthropicBody([], { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: BIG2 }] });
    const r1 = await compressRequest({ api: "anthropic-messages", body: t1, mode: "cache", headers: new Headers(), engine: { compressors: [throwing] } });
    expect(r1.failed).toBe(true);
    const t2 = { ...t1, messages: [...t1.messages, { role: "assistant", content: "ok" }, { role: "user", content: "go on" }] };
    const r2 = (await run("anthropic-messages", t2, "cache")).body as J;
    for (let i = 0; i < t1.messages.length; i++) expect(r2.messages[i]).toBe(t1.messages[i]);
    expect(r2.tools).toEqual((r1.body as J).tools);
  });

  test("cache mode: a frozen compressed message follows the client's breakpoint placement", async () => {
    const cc = { type: "ephemeral" };
    const msg = (withCc: boolean) => ({ role: "user", content: [{ type: "tool_result", tool_use_id: "a", content: BIG2 }, { type: "text", text: "note", ...(withCc ? { cache_control: cc } : {}) }] });
    const t1 = anthropicBody([msg(true)]);
    const r1 = (await run("anthropic-messages", t1, "cache")).body as J;
    expect(hasMarker(r1.messages[3].content[0].content)).toBe(true);
    expect(r1.messages[3].content[1].cache_control).toEqual(cc);
    const t2 = { ...t1, messages: [...t1.messages.slice(0, 3), msg(false), ...t1.messages.slice(4)] };
    const r2 = (await run("anthropic-messages", t2, "cache")).body as J;
    expect(r2.messages[3].content[0].content).toBe(r1.messages[3].content[0].content);
    expect(r2.messages[3].content[1].cache_control).toBeUndefined();
  });

  test("cache mode: an edited history re-compresses from the first changed message on", async () => {
    const t1 = anthropicBody();
    await run("anthropic-messages", t1, "cache");
    const edited = { ...t1, messages: [t1.messages[0], { role: "assistant", content: "different" }, ...t1.messages.slice(2)] };
    const r = (await run("anthropic-messages", edited, "cache")).body as J;
    expect(r.messages[1].content).toBe("different");
    expect(hasMarker(r.messages[2].content[0].content)).toBe(true);
  });
});

describe("OpenAI", () => {
  test("responses (Codex): tools declared in an additional_tools item get the retrieve tool there, from the first request on; custom tool outputs are compressed", async () => {
    const declared = { type: "additional_tools", role: "developer", tools: [{ type: "namespace", name: "functions", tools: [{ type: "custom", name: "exec" }] }] };
    const first = { model: "gpt-5-codex", input: [declared, { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }] };
    const r1 = (await run("openai-responses", first)).body as J;
    expect(r1.tools).toBeUndefined();
    expect(r1.input[0].tools.map((t: J) => t.name)).toEqual(["functions", "headroom_retrieve"]);
    expect(r1.input[1]).toBe(first.input[1]);
    const later = {
      ...first,
      input: [...first.input, { type: "custom_tool_call", call_id: "c1", name: "exec", input: "ls" }, { type: "custom_tool_call_output", call_id: "c1", output: BIG }, { type: "message", role: "user", content: [{ type: "input_text", text: "go on" }] }],
    };
    const r2 = (await run("openai-responses", later)).body as J;
    expect(JSON.stringify(r2.input[0])).toBe(JSON.stringify(r1.input[0]));
    expect(r2.tools).toBeUndefined();
    expect(hasMarker(r2.input[3].output)).toBe(true);
    // A continuation of a stored response declares nothing and gets nothing.
    const cont = { model: "gpt-5-codex", previous_response_id: "resp_1", input: [{ type: "function_call_output", call_id: "c2", output: BIG }, { type: "message", role: "user", content: "next" }] };
    const r3 = (await run("openai-responses", cont)).body as J;
    expect(r3.tools).toBeUndefined();
    expect(hasMarker(r3.input[0].output)).toBe(true);
  });

  test("chat: tool role messages are compressed; the trailing run of tool results is live", async () => {
    const body = {
      model: "gpt-4.1",
      messages: [
        { role: "system", content: BIG },
        { role: "user", content: "list things" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "list", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: BIG },
        { role: "assistant", content: null, tool_calls: [{ id: "c2", type: "function", function: { name: "list", arguments: "{}" } }, { id: "c3", type: "function", function: { name: "list", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c2", content: BIG2 },
        { role: "tool", tool_call_id: "c3", content: [{ type: "text", text: BIG2 }] },
      ],
    };
    const r = await run("openai-chat", body);
    const out = r.body as J;
    expect(out.messages[0]).toBe(body.messages[0]);
    expect(hasMarker(out.messages[3].content)).toBe(true);
    expect(out.messages[5]).toBe(body.messages[5]);
    expect(out.messages[6]).toBe(body.messages[6]);
    expect(out.tools.at(-1).function.name).toBe("headroom_retrieve");
  });

  test("responses: function_call_output items are compressed, messages are not", async () => {
    const body = {
      model: "gpt-5",
      instructions: "be brief",
      input: [
        { role: "user", content: [{ type: "input_text", text: BIG }] },
        { type: "function_call", call_id: "f1", name: "list", arguments: "{}" },
        { type: "function_call_output", call_id: "f1", output: BIG },
        { role: "user", content: "and?" },
      ],
      tools: [{ type: "function", name: "list", parameters: {} }],
    };
    const out = (await run("openai-responses", body)).body as J;
    expect(out.input[0]).toBe(body.input[0]);
    expect(hasMarker(out.input[2].output)).toBe(true);
    expect(out.tools.map((t: J) => t.name)).toEqual(["list", "headroom_retrieve"]);
  });

  test("odd shapes never throw and pass through", async () => {
    const odd: unknown[] = [
      null, 1, "x", [], {},
      { role: "user", content: null },
      { role: "user", content: [null, 1, "s", { type: "tool_result" }, { type: "tool_result", content: 5 }, { type: "tool_result", content: [null, { type: "text" }, { type: "text", text: 7 }] }] },
      { role: "tool", content: { a: 1 } },
      { type: "function_call_output", output: null },
    ];
    for (const api of ["anthropic-messages", "openai-chat", "openai-responses"] as const) {
      for (const mode of ["token", "cache"] as const) {
        const body = { messages: [...odd, { role: "user", content: [{ type: "tool_result", content: BIG }] }, "end"], input: [...odd, { type: "function_call_output", output: BIG }, "end"] };
        const r = await run(api, body, mode);
        expect(r.failed).toBeUndefined();
      }
    }
  });

  test("other APIs and non-object bodies pass through", async () => {
    expect((await run("other", { messages: [] })).changed).toBe(false);
    expect((await run("openai-chat", "text")).changed).toBe(false);
    expect((await run("openai-responses", { input: "just a string" })).changed).toBe(false);
  });
});

describe("never worse", () => {
  const body = () => anthropicBody();

  test("a compressor that throws forwards the original and sets failed", async () => {
    const boom: Compressor = { kind: "boom", detect: () => true, compress: () => { throw new Error("bad day"); } };
    const b = body();
    const r = await compressRequest({ api: "anthropic-messages", body: b, mode: "token", headers: new Headers(), engine: { compressors: [boom] } });
    expect(r.changed).toBe(false);
    expect(r.failed).toBe(true);
    expect(r.body).toBe(b);
    expect(r.failure).toContain("bad day");
  });

  test("a compressor over its time budget forwards the original and sets failed", async () => {
    const slow: Compressor = { kind: "slow", detect: () => true, compress: (t) => { const end = performance.now() + 30; while (performance.now() < end); return { text: t.slice(0, 10), summary: "cut" }; } };
    const r = await compressRequest({ api: "anthropic-messages", body: body(), mode: "token", headers: new Headers(), engine: { compressors: [slow], budgetMs: 5 } });
    expect(r.failed).toBe(true);
    expect(r.changed).toBe(false);
  });

  test("the whole request has a budget too", async () => {
    const r = await compressRequest({ api: "anthropic-messages", body: body(), mode: "token", headers: new Headers(), engine: { deadline: performance.now() - 1 } });
    expect(r.failed).toBe(true);
    expect(r.failure).toContain("time budget");
  });

  test("a compression that does not make the text smaller is not used", async () => {
    const grow: Compressor = { kind: "grow", detect: () => true, compress: (t) => ({ text: `${t}${t}`, summary: "bigger" }) };
    const r = await compressRequest({ api: "anthropic-messages", body: body(), mode: "token", headers: new Headers(), engine: { compressors: [grow] } });
    expect(r.changed).toBe(false);
    expect(r.failed).toBeUndefined();
  });

  test("originals of compressed results are in the store", async () => {
    const out = (await run("anthropic-messages", body())).body as J;
    const hash = /"hash":"([0-9a-f]{24})"/.exec(out.messages[2].content[0].content)![1]!;
    expect(originals.get(hash)).toBe(BIG);
  });
});

test("the default compressors: json, search, then the line shapes, log last", () => {
  expect(DEFAULT_COMPRESSORS.map((c) => c.kind)).toEqual(["json", "search", "commit-log", "diff", "listing", "table", "log"]);
});
