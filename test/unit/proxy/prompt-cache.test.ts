// The prompt-cache emulator against hand-computed bills. Every block below is built to be
// exactly N tokens (3.5 characters a token of its JSON), so the expected figures are sums
// of round numbers.
import { describe, expect, test } from "bun:test";
import { billedInput, cacheBlocks, LOOKBACK, PromptCache, TooManyBreakpoints } from "../../../src/proxy/prompt-cache.ts";

const CC = { type: "ephemeral" };

/** Pads `make(pad)` until its JSON is exactly tokens x 3.5 characters (tokens even). */
function sized<T>(tokens: number, make: (pad: string) => T): T {
  const want = tokens * 3.5;
  const empty = JSON.stringify(make("")).length;
  const block = make("x".repeat(want - empty));
  expect(JSON.stringify(block).length).toBe(want);
  return block;
}
let seq = 0;
const text = (tokens: number, tag = String(seq++)) => sized(tokens, (pad) => ({ type: "text", text: `${tag}:${pad}` }));
const tool = (name: string, tokens = 100) => sized(tokens, (pad) => ({ name, description: pad, input_schema: { type: "object" } }));
const mark = <T extends object>(block: T) => ({ ...block, cache_control: CC });

type Block = Record<string, unknown>;
const user = (...content: Block[]) => ({ role: "user", content });
const assistant = (...content: Block[]) => ({ role: "assistant", content });

/** Claude Code's placement: the system prompt, and the last block of each of the last two messages. */
function request(tools: Block[], system: Block[], messages: Array<{ role: string; content: Block[] }>) {
  const marked = messages.map((m, i) =>
    i >= messages.length - 2 ? { ...m, content: m.content.map((b, j) => (j === m.content.length - 1 ? mark(b) : b)) } : m,
  );
  return { model: "claude-test", max_tokens: 10, tools, system: system.map((b, i) => (i === system.length - 1 ? mark(b) : b)), messages: marked };
}

const TOOLS = [tool("Bash"), tool("Read")];
const SYSTEM = [text(100, "system")];
const Q1 = text(100, "q1");
const A1 = text(100, "a1");
const Q2 = text(100, "q2");

describe("prompt-cache emulator", () => {
  test("blocks are the tools, the system prompt and each message block, in that order", () => {
    const blocks = cacheBlocks(request(TOOLS, SYSTEM, [user(Q1), assistant(A1), user(Q2)]));
    expect(blocks.map((b) => b.tokens)).toEqual([100, 100, 100, 100, 100, 100]);
    expect(blocks.map((b) => b.breakpoint)).toEqual([false, false, true, false, true, true]);
    expect(cacheBlocks({ model: "m" })).toEqual([]);
  });

  test("the first request writes everything up to the last breakpoint; the same request again reads it", () => {
    const cache = new PromptCache();
    const body = request(TOOLS, SYSTEM, [user(Q1), assistant(A1), user(Q2)]);
    expect(cache.bill(body)).toEqual({ input: 0, cacheWrite: 600, cacheRead: 0, billed: 750, context: 600, breakpoints: 3 });
    expect(cache.bill(body)).toEqual({ input: 0, cacheWrite: 0, cacheRead: 600, billed: 60, context: 600, breakpoints: 3 });
  });

  test("tokens after the last breakpoint are plain input", () => {
    const cache = new PromptCache();
    const body = { model: "m", tools: TOOLS, system: [mark(SYSTEM[0]!)], messages: [user(Q1, text(200)), assistant(A1)] };
    // write: tools + system = 300; input: the 400 message tokens after the only breakpoint.
    expect(cache.bill(body)).toMatchObject({ input: 400, cacheWrite: 300, cacheRead: 0, billed: 400 + 375 });
    const none = { model: "m", system: "plain", messages: [user(Q1)] };
    expect(cache.bill(none)).toMatchObject({ cacheWrite: 0, cacheRead: 0, breakpoints: 0 });
    expect(cache.bill(none).input).toBe(cache.bill(none).context);
  });

  test("the next turn reads the previous turn's prefix although its breakpoint moved on", () => {
    const cache = new PromptCache();
    cache.bill(request(TOOLS, SYSTEM, [user(Q1), assistant(A1), user(Q2)]));
    const turn2 = request(TOOLS, SYSTEM, [user(Q1), assistant(A1), user(Q2), assistant(text(100, "a2")), user(text(100, "q3"))]);
    // read 600 (stored at the old last breakpoint, 2 boundaries back), write the 200 new tokens.
    expect(cache.bill(turn2)).toEqual({ input: 0, cacheWrite: 200, cacheRead: 600, billed: 60 + 250, context: 800, breakpoints: 3 });
  });

  test("a changed earlier block busts everything after it", () => {
    const cache = new PromptCache();
    cache.bill(request(TOOLS, SYSTEM, [user(Q1), assistant(A1), user(Q2)]));
    const edited = request(TOOLS, SYSTEM, [user(text(100, "q1 edited")), assistant(A1), user(Q2)]);
    // Only the prefix at the system breakpoint (tools + system) is still stored.
    expect(cache.bill(edited)).toMatchObject({ input: 0, cacheWrite: 300, cacheRead: 300 });
  });

  test(`lookback reaches ${LOOKBACK} block boundaries before a breakpoint, not ${LOOKBACK + 1}`, () => {
    const head = [user(Q1), assistant(A1)];
    const more = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? user(text(100, `u${i}`)) : assistant(text(100, `a${i}`))));
    // One breakpoint on the system prompt and one on the last message only.
    const body = (messages: Array<{ role: string; content: Block[] }>) => {
      const last = messages.length - 1;
      return { model: "m", tools: TOOLS, system: [mark(SYSTEM[0]!)], messages: messages.map((m, i) => (i === last ? { ...m, content: [mark(m.content[0]!)] } : m)) };
    };
    const within = new PromptCache();
    within.bill(body(head)); // stores 300 (system) and 500 (after A1)
    expect(within.bill(body([...head, ...more(LOOKBACK)]))).toMatchObject({ cacheRead: 500, cacheWrite: LOOKBACK * 100 });
    const beyond = new PromptCache();
    beyond.bill(body(head));
    // 21 blocks on: the old breakpoint is out of reach; only the system prefix is read.
    expect(beyond.bill(body([...head, ...more(LOOKBACK + 1)]))).toMatchObject({ cacheRead: 300, cacheWrite: 200 + (LOOKBACK + 1) * 100 });
  });

  test("a new tool at the end of the tools busts everything", () => {
    const cache = new PromptCache();
    const messages = [user(Q1), assistant(A1), user(Q2)];
    cache.bill(request(TOOLS, SYSTEM, messages));
    const more = request([...TOOLS, tool("headroom_retrieve", 50)], SYSTEM, messages);
    expect(cache.bill(more)).toEqual({ input: 0, cacheWrite: 650, cacheRead: 0, billed: 812.5, context: 650, breakpoints: 3 });
  });

  test("cache_control is not part of a block's bytes; the string forms equal one text block", () => {
    const a = cacheBlocks({ model: "m", system: "sys", messages: [{ role: "user", content: "hi" }] });
    const b = cacheBlocks({ model: "m", system: [{ type: "text", text: "sys", cache_control: CC }], messages: [user({ type: "text", text: "hi", cache_control: CC })] });
    expect(a.map((x) => x.hash)).toEqual(b.map((x) => x.hash));
    expect(b.map((x) => x.breakpoint)).toEqual([true, true]);
    // The same bytes in another role, or another model, are another prefix.
    const c = cacheBlocks({ model: "m", system: "sys", messages: [{ role: "assistant", content: "hi" }] });
    expect(c[1]!.hash).not.toBe(a[1]!.hash);
    expect(cacheBlocks({ model: "n", system: "sys", messages: [] })[0]!.hash).not.toBe(a[0]!.hash);
  });

  test("more than four breakpoints is an error, as at the provider", () => {
    const body = { model: "m", system: [mark(text(10)), mark(text(10))], messages: [user(mark(text(10)), mark(text(10)), mark(text(10)))] };
    expect(() => new PromptCache().bill(body)).toThrow(TooManyBreakpoints);
  });

  test("entries live 5 minutes from their last use; the oldest go first when full", () => {
    let now = 0;
    const cache = new PromptCache({ now: () => now });
    const body = request(TOOLS, SYSTEM, [user(Q1)]);
    cache.bill(body);
    now = 4 * 60_000;
    expect(cache.bill(body).cacheRead).toBe(400);
    now = 8 * 60_000; // 4 minutes after the read that refreshed it
    expect(cache.bill(body).cacheRead).toBe(400);
    now = 14 * 60_000;
    expect(cache.bill(body)).toMatchObject({ cacheRead: 0, cacheWrite: 400 });

    const small = new PromptCache({ maxEntries: 2, ttlMs: Infinity });
    const one = { model: "m", system: [mark(text(10, "one"))], messages: [] };
    const two = { model: "m", system: [mark(text(10, "two"))], messages: [] };
    const three = { model: "m", system: [mark(text(10, "three"))], messages: [] };
    small.bill(one);
    small.bill(two);
    small.bill(one); // refreshes one
    small.bill(three); // evicts two
    expect(small.size).toBe(2);
    expect(small.bill(one).cacheRead).toBe(10);
    expect(small.bill(two).cacheRead).toBe(0);
  });

  test("a prefix under the minimum length is not cached", () => {
    const cache = new PromptCache({ minTokens: 1024 });
    const body = request(TOOLS, SYSTEM, [user(Q1)]);
    expect(cache.bill(body)).toMatchObject({ input: 400, cacheWrite: 0, cacheRead: 0 });
    expect(cache.bill(body)).toMatchObject({ input: 400, cacheRead: 0 });
  });

  test("billed input prices writes at 1.25 and reads at 0.1", () => {
    expect(billedInput({ input: 10, cacheWrite: 100, cacheRead: 1000 })).toBe(10 + 125 + 100);
  });
});
