// The official SDKs as an application uses them, pointed at headroom (or wherever their
// base URL says): run by test/e2e/real-clients/sdk.test.ts inside the netns with Node 24.
//   node real-clients-sdk.mjs anthropic|openai [baseURL]
// Without baseURL the SDK reads its own variable (ANTHROPIC_BASE_URL, OPENAI_BASE_URL),
// as it would from a sourced shell profile. The key comes from ANTHROPIC_API_KEY /
// OPENAI_API_KEY. Prints one JSON object: what each call returned.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const [which, baseURL] = process.argv.slice(2);
const out = {};
const opts = { maxRetries: 0, timeout: 20_000, ...(baseURL ? { baseURL } : {}) };

if (which === "anthropic") {
  const client = new Anthropic(opts);
  out.baseURL = client.baseURL;
  const msg = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "anthropic plain prompt" }] });
  out.plain = { text: msg.content.map((b) => b.text ?? "").join(""), usage: msg.usage, stop: msg.stop_reason };
  const events = [];
  const stream = client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "anthropic stream prompt" }] });
  stream.on("streamEvent", (e) => events.push(e.type));
  const final = await stream.finalMessage();
  out.stream = { text: final.content.map((b) => b.text ?? "").join(""), usage: final.usage, stop: final.stop_reason, events };
  out.countTokens = await client.messages.countTokens({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "count me" }] });
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  out.models = models;
} else if (which === "openai") {
  const client = new OpenAI(opts);
  out.baseURL = client.baseURL;
  const chat = await client.chat.completions.create({ model: "gpt-5", messages: [{ role: "user", content: "openai chat prompt" }] });
  out.chat = { text: chat.choices[0].message.content, usage: chat.usage };
  let text = "";
  let usage = null;
  const stream = await client.chat.completions.create({ model: "gpt-5", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "openai chat stream prompt" }] });
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? "";
    if (c.usage) usage = c.usage;
  }
  out.chatStream = { text, usage };
  const types = [];
  const rs = client.responses.stream({ model: "gpt-5", input: "openai responses prompt" });
  for await (const e of rs) types.push(e.type);
  const final = await rs.finalResponse();
  out.responses = { text: final.output_text, usage: final.usage, events: types };
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  out.models = models;
} else {
  console.error("usage: real-clients-sdk.mjs anthropic|openai [baseURL]");
  process.exit(2);
}
console.log(JSON.stringify(out));
