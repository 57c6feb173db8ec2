// handleRetrievals at the seam: scripted upstream responses (JSON and SSE) and a recording
// resend. A headroom_retrieve call never reaches the client; retrieval-only responses are
// answered and resent; streams stay valid event sequences with blocks renumbered.
import { beforeAll, describe, expect, test } from "bun:test";
import { handleRetrievals, type ApiKind } from "../../../src/proxy/compress/index.ts";
import { contentHash } from "../../../src/proxy/compress/hash.ts";
import { originals } from "../../../src/proxy/compress/store.ts";

type J = Record<string, any>;
const ORIGINAL = "the full original tool output\n".repeat(10);
const HASH = contentHash(ORIGINAL);
beforeAll(() => originals.put(HASH, ORIGINAL));

const json = (data: unknown) => new Response(JSON.stringify(data), { headers: { "content-type": "application/json" } });
function sse(events: [string | undefined, unknown][]): Response {
  const text = events.map(([e, d]) => `${e ? `event: ${e}\n` : ""}data: ${typeof d === "string" ? d : JSON.stringify(d)}\n\n`).join("");
  // Split into small chunks to exercise event reassembly.
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 17) c.enqueue(bytes.slice(i, i + 17));
      c.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}
function parseSse(text: string): { event?: string; data: any }[] {
  return text.split("\n\n").filter((c) => c.trim()).map((chunk) => {
    const event = /^event: (.*)$/m.exec(chunk)?.[1];
    const data = /^data: (.*)$/m.exec(chunk)![1]!;
    return { event, data: data === "[DONE]" ? data : JSON.parse(data) };
  });
}

function recorder(responses: Response[]) {
  const sent: J[] = [];
  return { sent, resend: async (body: unknown) => { sent.push(body as J); return responses.shift()!; } };
}

const call = (api: ApiKind, body: J, response: Response, responses: Response[], stream = false) => {
  const r = recorder(responses);
  return { r, out: handleRetrievals({ api, body, stream, response, resend: r.resend }) };
};

// ---------------------------------------------------------------- Anthropic
const aBody = { model: "claude", messages: [{ role: "user", content: "q" }], tools: [{ name: "headroom_retrieve" }] };
const retrieveUse = (id = "r1") => ({ type: "tool_use", id, name: "headroom_retrieve", input: { hash: HASH } });

describe("Anthropic JSON", () => {
  test("retrieval-only: answered with the original and resent; the client gets the final answer", async () => {
    const first = json({ id: "m1", type: "message", role: "assistant", content: [{ type: "text", text: "Let me look." }, retrieveUse()], stop_reason: "tool_use", usage: { input_tokens: 100, output_tokens: 7, service_tier: "standard" } });
    const { r, out } = call("anthropic-messages", aBody, first, [json({ id: "m2", type: "message", content: [{ type: "text", text: "Found it." }], stop_reason: "end_turn", usage: { input_tokens: 400, output_tokens: 3, service_tier: "standard" } })]);
    const msg = (await (await out).json()) as J;
    // Usage covers both rounds: the client's request cost both.
    expect(msg.usage).toEqual({ input_tokens: 500, output_tokens: 10, service_tier: "standard" });
    expect(msg.content).toEqual([{ type: "text", text: "Let me look." }, { type: "text", text: "Found it." }]);
    expect(r.sent).toHaveLength(1);
    const msgs = r.sent[0]!.messages;
    expect(msgs[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Let me look." }, retrieveUse()] });
    expect(msgs[2]).toEqual({ role: "user", content: [{ type: "tool_result", tool_use_id: "r1", content: ORIGINAL }] });
  });

  test("mixed with a client tool call: nothing resolved, only the retrieve block stripped", async () => {
    const first = json({ content: [retrieveUse(), { type: "tool_use", id: "c1", name: "bash", input: {} }], stop_reason: "tool_use" });
    const { r, out } = call("anthropic-messages", aBody, first, []);
    const msg = (await (await out).json()) as J;
    expect(msg.content).toEqual([{ type: "tool_use", id: "c1", name: "bash", input: {} }]);
    expect(msg.stop_reason).toBe("tool_use");
    expect(r.sent).toHaveLength(0);
  });

  test("rounds are bounded: a model that keeps asking gets its calls stripped and the turn ended", async () => {
    const ask = () => json({ content: [retrieveUse()], stop_reason: "tool_use" });
    const { r, out } = call("anthropic-messages", aBody, ask(), [ask(), ask(), ask()]);
    const msg = (await (await out).json()) as J;
    expect(r.sent).toHaveLength(2);
    expect(JSON.stringify(msg)).not.toContain("headroom_retrieve");
    expect(msg.stop_reason).toBe("end_turn");
  });

  test("a follow-up that cannot reach the upstream answers 502 in the API's error shape", async () => {
    const first = json({ content: [retrieveUse()], stop_reason: "tool_use" });
    const out = await handleRetrievals({ api: "anthropic-messages", body: aBody, stream: false, response: first, resend: async () => { throw new Error("connection refused"); } });
    expect(out.status).toBe(502);
    const err = (await out.json()) as J;
    expect(err.type).toBe("error");
    expect(err.error.message).toContain("connection refused");
  });

  test("a response without retrieve calls passes through with its bytes", async () => {
    const text = '{"content":[{"type":"text","text":"hi"}],  "stop_reason":"end_turn"}';
    const out = await handleRetrievals({ api: "anthropic-messages", body: aBody, stream: false, response: new Response(text, { headers: { "content-type": "application/json" } }), resend: async () => { throw new Error("no"); } });
    expect(await out.text()).toBe(text);
  });
});

const start = (id: string) => ["message_start", { type: "message_start", message: { id, type: "message", role: "assistant", content: [], usage: { input_tokens: 10, output_tokens: 1 } } }] as [string, unknown];
const textBlock = (index: number, text: string): [string, unknown][] => [
  ["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }],
  ["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } }],
  ["content_block_stop", { type: "content_block_stop", index }],
];
const toolBlock = (index: number, id: string, name: string, input: unknown): [string, unknown][] => {
  const s = JSON.stringify(input);
  return [
    ["content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } }],
    ["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: s.slice(0, 5) } }],
    ["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: s.slice(5) } }],
    ["content_block_stop", { type: "content_block_stop", index }],
  ];
};
const end = (stop: string): [string, unknown][] => [
  ["message_delta", { type: "message_delta", delta: { stop_reason: stop }, usage: { output_tokens: 9 } }],
  ["message_stop", { type: "message_stop" }],
];

describe("Anthropic streams", () => {
  test("retrieval-only: one continuous client stream, second response's blocks renumbered, no headroom_retrieve", async () => {
    const first = sse([start("m1"), ["ping", { type: "ping" }], ...textBlock(0, "Checking."), ...toolBlock(1, "r1", "headroom_retrieve", { hash: HASH }), ...end("tool_use")]);
    const second = sse([start("m2"), ...textBlock(0, "The answer."), ...toolBlock(1, "c9", "bash", { cmd: "ls" }), ...end("tool_use")]);
    const { r, out } = call("anthropic-messages", { ...aBody, stream: true }, first, [second], true);
    const events = parseSse(await (await out).text());
    const text = JSON.stringify(events);
    expect(text).not.toContain("headroom_retrieve");
    expect(events.filter((e) => e.event === "message_start")).toHaveLength(1);
    expect(events.filter((e) => e.event === "message_stop")).toHaveLength(1);
    expect(events.at(-1)!.event).toBe("message_stop");
    const starts = events.filter((e) => e.event === "content_block_start").map((e) => [e.data.index, e.data.content_block.type]);
    expect(starts).toEqual([[0, "text"], [1, "text"], [2, "tool_use"]]);
    // Every delta and stop refers to a block that was started, in order.
    const open = new Set<number>();
    for (const e of events) {
      if (e.event === "content_block_start") open.add(e.data.index);
      if (e.event === "content_block_delta" || e.event === "content_block_stop") expect(open.has(e.data.index)).toBe(true);
    }
    // The follow-up carried the rebuilt assistant turn and the original.
    const msgs = r.sent[0]!.messages;
    expect(msgs[1].content).toEqual([{ type: "text", text: "Checking." }, { type: "tool_use", id: "r1", name: "headroom_retrieve", input: { hash: HASH } }]);
    expect(msgs[2].content[0].content).toBe(ORIGINAL);
    expect(events.find((e) => e.event === "message_delta")!.data.delta.stop_reason).toBe("tool_use");
  });

  test("mixed: the retrieve block is held back and later blocks renumbered; nothing resent", async () => {
    const first = sse([start("m1"), ...toolBlock(0, "r1", "headroom_retrieve", { hash: HASH }), ...toolBlock(1, "c1", "bash", { cmd: "ls" }), ...end("tool_use")]);
    const { r, out } = call("anthropic-messages", aBody, first, [], true);
    const events = parseSse(await (await out).text());
    expect(JSON.stringify(events)).not.toContain("headroom_retrieve");
    expect(events.filter((e) => e.event === "content_block_start").map((e) => e.data.index)).toEqual([0]);
    expect(events.filter((e) => e.event === "content_block_delta").every((e) => e.data.index === 0)).toBe(true);
    expect(r.sent).toHaveLength(0);
  });

  test("no retrieval: events reach the client byte for byte", async () => {
    const events: [string, unknown][] = [start("m1"), ...textBlock(0, "Hello"), ...end("end_turn")];
    const expected = events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");
    const { out } = call("anthropic-messages", aBody, sse(events), [], true);
    expect(await (await out).text()).toBe(expected);
  });

  test("an error event from the upstream is relayed and nothing is resent", async () => {
    const first = sse([start("m1"), ...toolBlock(0, "r1", "headroom_retrieve", { hash: HASH }), ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }]]);
    const { r, out } = call("anthropic-messages", aBody, first, [], true);
    const events = parseSse(await (await out).text());
    expect(events.at(-1)!.data.error.type).toBe("overloaded_error");
    expect(JSON.stringify(events)).not.toContain("headroom_retrieve");
    expect(r.sent).toHaveLength(0);
  });

  test("a follow-up that cannot connect ends the stream with an error event", async () => {
    const first = sse([start("m1"), ...toolBlock(0, "r1", "headroom_retrieve", { hash: HASH }), ...end("tool_use")]);
    const out = await handleRetrievals({ api: "anthropic-messages", body: aBody, stream: true, response: first, resend: async () => { throw new Error("connection refused"); } });
    const events = parseSse(await out.text());
    expect(events.at(-1)!.event).toBe("error");
    expect(events.at(-1)!.data.error.message).toContain("connection refused");
  });

  test("a failing follow-up ends the stream with an error event", async () => {
    const first = sse([start("m1"), ...toolBlock(0, "r1", "headroom_retrieve", { hash: HASH }), ...end("tool_use")]);
    const { out } = call("anthropic-messages", aBody, first, [new Response("overloaded", { status: 529 })], true);
    const events = parseSse(await (await out).text());
    expect(events.at(-1)!.event).toBe("error");
    expect(events.at(-1)!.data.error.message).toContain("529");
  });
});

// ---------------------------------------------------------------- OpenAI chat
const cBody = { model: "gpt", messages: [{ role: "user", content: "q" }] };
const tc = (id: string, name: string, args: string) => ({ id, type: "function", function: { name, arguments: args } });

describe("OpenAI chat", () => {
  test("JSON retrieval-only: resent with tool messages; client sees only the answer", async () => {
    const first = json({ choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [tc("r1", "headroom_retrieve", JSON.stringify({ hash: HASH }))] }, finish_reason: "tool_calls" }] });
    const { r, out } = call("openai-chat", cBody, first, [json({ choices: [{ index: 0, message: { role: "assistant", content: "Done." }, finish_reason: "stop" }] })]);
    const msg = (await (await out).json()) as J;
    expect(msg.choices[0].message.content).toBe("Done.");
    expect(r.sent[0]!.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "r1", content: ORIGINAL });
  });

  test("JSON mixed: retrieve call stripped, client call kept", async () => {
    const first = json({ choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [tc("r1", "headroom_retrieve", "{}"), tc("c1", "bash", "{}")] }, finish_reason: "tool_calls" }] });
    const { r, out } = call("openai-chat", cBody, first, []);
    const msg = (await (await out).json()) as J;
    expect(msg.choices[0].message.tool_calls.map((t: J) => t.id)).toEqual(["c1"]);
    expect(r.sent).toHaveLength(0);
  });

  const chunk = (delta: J, finish: string | null = null) => [undefined, { id: "x", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] }] as [undefined, unknown];

  test("stream retrieval-only: resolved, resent, one [DONE], no headroom_retrieve", async () => {
    const first = sse([
      chunk({ role: "assistant", content: "" }),
      chunk({ tool_calls: [{ index: 0, id: "r1", type: "function", function: { name: "headroom_retrieve", arguments: "" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify({ hash: HASH }) } }] }),
      chunk({}, "tool_calls"),
      [undefined, "[DONE]"],
    ]);
    const second = sse([chunk({ role: "assistant", content: "" }), chunk({ content: "All good." }), chunk({}, "stop"), [undefined, "[DONE]"]]);
    const { r, out } = call("openai-chat", { ...cBody, stream: true }, first, [second], true);
    const text = await (await out).text();
    expect(text).not.toContain("headroom_retrieve");
    const events = parseSse(text);
    expect(events.filter((e) => e.data === "[DONE]")).toHaveLength(1);
    expect(events.at(-1)!.data).toBe("[DONE]");
    expect(text).toContain("All good.");
    expect(r.sent[0]!.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "r1", content: ORIGINAL });
    expect(r.sent[0]!.messages.at(-2).tool_calls[0].function.arguments).toBe(JSON.stringify({ hash: HASH }));
  });

  test("stream mixed: client call renumbered to index 0, finish_reason kept", async () => {
    const first = sse([
      chunk({ tool_calls: [{ index: 0, id: "r1", type: "function", function: { name: "headroom_retrieve", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 1, id: "c1", type: "function", function: { name: "bash", arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
      [undefined, "[DONE]"],
    ]);
    const { out } = call("openai-chat", cBody, first, [], true);
    const events = parseSse(await (await out).text());
    const calls = events.flatMap((e) => (e.data === "[DONE]" ? [] : e.data.choices[0].delta.tool_calls ?? []));
    expect(calls).toEqual([{ index: 0, id: "c1", type: "function", function: { name: "bash", arguments: "{}" } }]);
    expect(events.some((e) => e.data !== "[DONE]" && e.data.choices[0].finish_reason === "tool_calls")).toBe(true);
  });
});

// ---------------------------------------------------------------- OpenAI responses
const rBody = { model: "gpt", input: [{ role: "user", content: "q" }] };
const fc = (id: string, name: string) => ({ type: "function_call", id: `fc_${id}`, call_id: id, name, arguments: JSON.stringify({ hash: HASH }) });

describe("OpenAI responses", () => {
  test("JSON retrieval-only: function_call_output appended and resent", async () => {
    const first = json({ id: "r1", output: [fc("a", "headroom_retrieve")] });
    const { r, out } = call("openai-responses", rBody, first, [json({ id: "r2", output: [{ type: "message", content: [{ type: "output_text", text: "ok" }] }] })]);
    const msg = (await (await out).json()) as J;
    expect(JSON.stringify(msg)).not.toContain("headroom_retrieve");
    expect(r.sent[0]!.input.at(-1)).toEqual({ type: "function_call_output", call_id: "a", output: ORIGINAL });
  });

  test("stream retrieval-only: output_index and sequence_number stay consistent", async () => {
    let seq = 0;
    const ev = (type: string, extra: J) => [type, { type, sequence_number: seq++, ...extra }] as [string, unknown];
    const first = sse([
      ev("response.created", { response: { id: "r1" } }),
      ev("response.output_item.added", { output_index: 0, item: fc("a", "headroom_retrieve") }),
      ev("response.function_call_arguments.delta", { output_index: 0, delta: "{}" }),
      ev("response.output_item.done", { output_index: 0, item: fc("a", "headroom_retrieve") }),
      ev("response.completed", { response: { id: "r1", output: [fc("a", "headroom_retrieve")] } }),
    ]);
    seq = 0;
    const msgItem = { type: "message", id: "m1", role: "assistant", content: [{ type: "output_text", text: "Answer" }] };
    const second = sse([
      ev("response.created", { response: { id: "r2" } }),
      ev("response.output_item.added", { output_index: 0, item: msgItem }),
      ev("response.output_text.delta", { output_index: 0, delta: "Answer" }),
      ev("response.output_item.done", { output_index: 0, item: msgItem }),
      ev("response.completed", { response: { id: "r2", output: [msgItem] } }),
    ]);
    const { r, out } = call("openai-responses", rBody, first, [second], true);
    const text = await (await out).text();
    expect(text).not.toContain("headroom_retrieve");
    const events = parseSse(text);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.event === "response.created")).toHaveLength(1);
    expect(events.at(-1)!.event).toBe("response.completed");
    expect(events.at(-1)!.data.response.output).toEqual([msgItem]);
    expect(r.sent[0]!.input.at(-1).output).toBe(ORIGINAL);
  });
});
