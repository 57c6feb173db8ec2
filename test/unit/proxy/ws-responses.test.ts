// The Responses WebSocket relay's small decisions: which frames are which event, the
// upstream URL and headers of the handshake, and the status an upstream refused with.
import { describe, expect, test } from "bun:test";
import { eventType, isResponsesSocketPath, isWebSocketUpgrade, refusedStatus, upstreamSocketHeaders, upstreamSocketUrl } from "../../../src/proxy/ws-responses.ts";
import { chatgptApiUrl, chatgptTarget } from "../../../src/proxy/chatgpt.ts";

describe("eventType", () => {
  test("read from the leading type without a parse, else from a full parse", () => {
    expect(eventType('{"type":"response.completed","response":{"usage":{}}}')).toBe("response.completed");
    expect(eventType(' { "type" : "error", "status": 429 }')).toBe("error");
    // type not first: an item's type must not be taken for the event's.
    expect(eventType('{"item":{"type":"message"},"type":"response.output_item.done"}')).toBe("response.output_item.done");
    expect(eventType('{"sequence_number":3,"type":"response.completed"}')).toBe("response.completed");
    expect(eventType("not json")).toBeUndefined();
    expect(eventType('{"no":"type"}')).toBeUndefined();
  });
});

describe("handshake", () => {
  test("paths and upgrade detection", () => {
    expect(isResponsesSocketPath("/v1/responses")).toBe(true);
    expect(isResponsesSocketPath("/responses")).toBe(true);
    expect(isResponsesSocketPath("/v1/responses/resp_1")).toBe(false);
    const up = (method: string, upgrade?: string) => new Request("http://x/v1/responses", { method, headers: upgrade ? { upgrade } : {} });
    expect(isWebSocketUpgrade(up("GET", "WebSocket"))).toBe(true);
    expect(isWebSocketUpgrade(up("GET"))).toBe(false);
    expect(isWebSocketUpgrade(up("POST", "websocket"))).toBe(false);
  });

  test("the upstream URL keeps the scheme's security and the query", () => {
    expect(upstreamSocketUrl("https://api.openai.com", "?a=1")).toBe("wss://api.openai.com/v1/responses?a=1");
    expect(upstreamSocketUrl("http://127.0.0.1:9", "")).toBe("ws://127.0.0.1:9/v1/responses");
    expect(upstreamSocketUrl("https://chatgpt.com/backend-api/codex", "", "/responses")).toBe("wss://chatgpt.com/backend-api/codex/responses");
  });

  test("the client's headers go upstream without host, hop-by-hop, the handshake's own or headroom's", () => {
    const h = new Headers({
      host: "127.0.0.1:8787", connection: "Upgrade", upgrade: "websocket", "sec-websocket-key": "k", "sec-websocket-version": "13",
      "sec-websocket-extensions": "permessage-deflate", authorization: "Bearer sk-1", "openai-beta": "responses_websockets=2026-02-06",
      "x-headroom-project": "p", "chatgpt-account-id": "acct",
    });
    const out = upstreamSocketHeaders(h, false);
    expect([...out.keys()].sort()).toEqual(["authorization", "chatgpt-account-id", "openai-beta"]);
    expect(out.get("authorization")).toBe("Bearer sk-1");
    expect(upstreamSocketHeaders(h, true).has("authorization")).toBe(false);
  });

  test("the status from Bun's failed-upgrade message", () => {
    expect(refusedStatus("WebSocket connection to 'ws://x' failed: Expected 101 status code: 401")).toBe(401);
    expect(refusedStatus("WebSocket connection to 'ws://x' failed: Failed to connect")).toBeUndefined();
  });
});

describe("ChatGPT sign-in", () => {
  test("only requests with chatgpt-account-id under /v1 go to the ChatGPT backend, /v1 taken off", () => {
    const h = new Headers({ "chatgpt-account-id": "a" });
    expect(chatgptTarget(h, "/v1/responses")).toEqual({ base: chatgptApiUrl(), path: "/responses" });
    expect(chatgptTarget(new Headers(), "/v1/responses")).toBeNull();
    expect(chatgptApiUrl({})).toBe("https://chatgpt.com/backend-api/codex");
    expect(chatgptApiUrl({ HEADROOM_CHATGPT_API_URL: "http://127.0.0.1:9/backend-api/codex/" })).toBe("http://127.0.0.1:9/backend-api/codex");
  });
});
