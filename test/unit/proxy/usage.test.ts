// Usage read from upstream responses in all three API shapes, however the bytes are
// split into chunks.
import { describe, expect, test } from "bun:test";
import { jsonUsageReader, sseUsageReader, usageReaderFor } from "../../../src/proxy/usage.ts";

const enc = new TextEncoder();

const anthropicSse = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"claude-x","usage":{"input_tokens":100,"cache_creation_input_tokens":5,"cache_read_input_tokens":30,"output_tokens":1}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"the word usage and model appear in text"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join("");

const chatSse = [
  'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-y","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}\n\n',
  'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-y","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":7,"total_tokens":57,"prompt_tokens_details":{"cached_tokens":8}}}\n\n',
  "data: [DONE]\n\n",
].join("");

const responsesSse = [
  'event: response.created\ndata: {"type":"response.created","response":{"id":"r","model":"gpt-z","usage":null}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"}\n\n',
  'event: response.completed\ndata: {"type":"response.completed","response":{"id":"r","model":"gpt-z","usage":{"input_tokens":40,"input_tokens_details":{"cached_tokens":10},"output_tokens":4}}}\n\n',
].join("");

function feedSplit(text: string, at: number) {
  const r = sseUsageReader();
  const bytes = enc.encode(text);
  r.push(bytes.subarray(0, at));
  r.push(bytes.subarray(at));
  return r.finish();
}

describe("SSE usage", () => {
  const cases = [
    { name: "Anthropic", text: anthropicSse, want: { model: "claude-x", input: 100, output: 42, cacheRead: 30, cacheWrite: 5 } },
    { name: "Chat Completions", text: chatSse, want: { model: "gpt-y", input: 42, output: 7, cacheRead: 8, cacheWrite: 0 } },
    { name: "Responses", text: responsesSse, want: { model: "gpt-z", input: 30, output: 4, cacheRead: 10, cacheWrite: 0 } },
  ];
  for (const c of cases) {
    test(`${c.name}: the same usage at every split point`, () => {
      for (let at = 0; at <= c.text.length; at += 7) expect(feedSplit(c.text, at)).toEqual(c.want);
    });
    test(`${c.name}: byte by byte`, () => {
      const r = sseUsageReader();
      for (const b of enc.encode(c.text)) r.push(new Uint8Array([b]));
      expect(r.finish()).toEqual(c.want);
    });
  }

  test("CRLF line endings", () => {
    const r = sseUsageReader();
    r.push(enc.encode(chatSse.replace(/\n/g, "\r\n")));
    expect(r.finish()).toMatchObject({ model: "gpt-y", output: 7 });
  });

  test("a stream without usage gives nothing", () => {
    const r = sseUsageReader();
    r.push(enc.encode("data: hello\n\ndata: [DONE]\n\n"));
    expect(r.finish()).toBeUndefined();
  });

  test("a last line without a newline is still read", () => {
    const r = sseUsageReader();
    r.push(enc.encode('data: {"model":"m","usage":{"input_tokens":3,"output_tokens":4}}'));
    expect(r.finish()).toMatchObject({ model: "m", input: 3, output: 4 });
  });
});

describe("JSON usage", () => {
  test("Anthropic message", () => {
    const r = jsonUsageReader();
    const body = JSON.stringify({ model: "claude-x", usage: { input_tokens: 9, output_tokens: 2, cache_read_input_tokens: 1, cache_creation_input_tokens: 3 } });
    const b = enc.encode(body);
    r.push(b.subarray(0, 10));
    r.push(b.subarray(10));
    expect(r.finish()).toEqual({ model: "claude-x", input: 9, output: 2, cacheRead: 1, cacheWrite: 3 });
  });

  test("Chat completion", () => {
    const r = jsonUsageReader();
    r.push(enc.encode(JSON.stringify({ model: "gpt", usage: { prompt_tokens: 10, completion_tokens: 5 } })));
    expect(r.finish()).toEqual({ model: "gpt", input: 10, output: 5, cacheRead: 0, cacheWrite: 0 });
  });

  test("usage and model words inside text do not confuse the quick read", () => {
    const body = JSON.stringify({
      id: "m", model: "claude-real",
      content: [{ type: "text", text: '{"model": "fake", "usage": {"input_tokens": 999}} and "usage": {"output_tokens": 1}' }],
      usage: { input_tokens: 11, output_tokens: 22 },
    });
    expect(jsonUsageReader().finish()).toBeUndefined();
    const r = jsonUsageReader();
    r.push(enc.encode(body));
    expect(r.finish()).toEqual({ model: "claude-real", input: 11, output: 22, cacheRead: 0, cacheWrite: 0 });
  });

  test("pretty-printed JSON with nested usage details", () => {
    const r = jsonUsageReader();
    r.push(enc.encode(JSON.stringify({ model: "gpt-r", output: [], usage: { input_tokens: 40, input_tokens_details: { cached_tokens: 10 }, output_tokens: 4 } }, null, 2)));
    expect(r.finish()).toEqual({ model: "gpt-r", input: 30, output: 4, cacheRead: 10, cacheWrite: 0 });
  });

  test("not JSON gives nothing", () => {
    const r = jsonUsageReader();
    r.push(enc.encode("<html>"));
    expect(r.finish()).toBeUndefined();
  });

  test("reader choice by content type", () => {
    expect(usageReaderFor("text/event-stream; charset=utf-8")).not.toBeNull();
    expect(usageReaderFor("application/json")).not.toBeNull();
    expect(usageReaderFor("text/html")).toBeNull();
    expect(usageReaderFor(null)).toBeNull();
  });
});
