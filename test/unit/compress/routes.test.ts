// POST /v1/compress: compression only, with token counts; clear 400s for bad input.
import { expect, test } from "bun:test";
import { compressRoute } from "../../../src/proxy/compress/routes.ts";

type J = Record<string, any>;
const BIG = JSON.stringify(Array.from({ length: 120 }, (_, i) => ({ id: i, title: `row ${i}`, ok: true })), null, 2);
const req = (body: unknown) => new Request("http://127.0.0.1/v1/compress", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });

test("compresses an Anthropic message list and reports tokens", async () => {
  const messages = [
    { role: "user", content: [{ type: "tool_result", tool_use_id: "a", content: BIG }] },
    { role: "user", content: "and now?" },
  ];
  const res = await compressRoute(req({ messages }));
  expect(res.status).toBe(200);
  const out = (await res.json()) as J;
  expect(out.changed).toBe(true);
  expect(out.messages[0].content[0].content).toContain("headroom_retrieve");
  expect(out.messages[1]).toEqual(messages[1]);
  expect(out.tools.map((t: J) => t.name)).toEqual(["headroom_retrieve"]);
  expect(out.tokens_saved).toBe(out.tokens_before - out.tokens_after);
  expect(out.saved_by_kind.json).toBeGreaterThan(0);
});

test("Responses input and OpenAI chat are accepted", async () => {
  const input = [{ type: "function_call_output", call_id: "c", output: BIG }, { role: "user", content: "next" }];
  const r = (await (await compressRoute(req({ input }))).json()) as J;
  expect(r.input[0].output).toContain("headroom_retrieve");
  const chat = [{ role: "tool", tool_call_id: "c", content: BIG }, { role: "user", content: "next" }];
  const c = (await (await compressRoute(req({ api: "openai", messages: chat }))).json()) as J;
  expect(c.messages[0].content).toContain("headroom_retrieve");
});

test("nothing to compress: the messages come back unchanged", async () => {
  const messages = [{ role: "user", content: "hi" }];
  const out = (await (await compressRoute(req({ messages }))).json()) as J;
  expect(out).toMatchObject({ changed: false, messages, tokens_saved: 0 });
});

test("bad input is a 400 with a sentence saying what to send", async () => {
  for (const [body, words] of [["{", "not valid JSON"], [[1], "JSON object"], [{ api: "gemini", messages: [] }, "Unknown api"], [{ messages: "x" }, '"messages" array']] as const) {
    const res = await compressRoute(req(body));
    expect(res.status).toBe(400);
    expect(((await res.json()) as J).error.message).toContain(words);
  }
});
