// Pure forwarding rules: routing, header hygiene, body decoding, retry timing, the token
// guard and address classification.
import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { splitUrl } from "../../../src/proxy/app.ts";
import { BodyError, decodeBody, isEncoded } from "../../../src/proxy/body.ts";
import { checkCaller, presentedToken } from "../../../src/proxy/guard.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "../../../src/proxy/headers.ts";
import { isLoopbackAddress } from "../../../src/proxy/net.ts";
import { classify, providerFromHeaders, route, stripProject } from "../../../src/proxy/routing.ts";
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from "../../../src/proxy/upstream.ts";

describe("routing", () => {
  test("fixed routes pick their API and provider whatever the headers say", () => {
    const h = new Headers({ authorization: "Bearer sk-proj-x" });
    expect(classify("POST", "/v1/messages", h)).toEqual({ provider: "anthropic", api: "anthropic-messages" });
    expect(classify("POST", "/v1/messages/count_tokens", h)).toEqual({ provider: "anthropic", api: "other" });
    expect(classify("POST", "/v1/chat/completions", new Headers({ "x-api-key": "k" }))).toEqual({ provider: "openai", api: "openai-chat" });
    expect(classify("POST", "/v1/responses", h)).toEqual({ provider: "openai", api: "openai-responses" });
    expect(classify("GET", "/v1/responses", h).api).toBe("other");
  });

  test("catch-all provider from the headers", () => {
    expect(providerFromHeaders(new Headers({ "x-api-key": "k" }))).toBe("anthropic");
    expect(providerFromHeaders(new Headers({ "anthropic-version": "2023-06-01" }))).toBe("anthropic");
    expect(providerFromHeaders(new Headers({ authorization: "Bearer sk-ant-oat01-x" }))).toBe("anthropic");
    expect(providerFromHeaders(new Headers({ authorization: "bearer SK-ANT-x" }))).toBe("anthropic");
    expect(providerFromHeaders(new Headers({ authorization: "Bearer sk-proj-x" }))).toBe("openai");
    expect(providerFromHeaders(new Headers())).toBe("openai");
  });

  test("project prefix", () => {
    expect(stripProject("/p/my%20app/v1/messages")).toEqual({ path: "/v1/messages", project: "my app" });
    expect(stripProject("/v1/messages")).toEqual({ path: "/v1/messages" });
    expect(stripProject("/p/only")).toEqual({ path: "/p/only" });
    expect(route("POST", "/p/a/v1/messages", new Headers({ "x-headroom-project": "b" })).project).toBe("b");
    expect(route("POST", "/p/a/v1/messages", new Headers()).project).toBe("a");
    expect(route("POST", "/v1/messages", new Headers()).project).toBeUndefined();
  });

  test("splitUrl keeps the raw path and query", () => {
    expect(splitUrl("http://127.0.0.1:8787/v1/messages?beta=true")).toEqual({ path: "/v1/messages", search: "?beta=true" });
    expect(splitUrl("http://h/v1/x%2Fy?a=1&b=%20")).toEqual({ path: "/v1/x%2Fy", search: "?a=1&b=%20" });
    expect(splitUrl("http://h")).toEqual({ path: "/", search: "" });
  });
});

describe("headers", () => {
  test("request: drop host, content-length, hop-by-hop, Connection-listed and x-headroom-*; keep the rest", () => {
    const h = upstreamRequestHeaders(
      new Headers({
        host: "127.0.0.1:8787", "content-length": "10", connection: "close, x-secret-hop", "x-secret-hop": "1",
        "transfer-encoding": "chunked", upgrade: "h2c", "x-headroom-bypass": "true", "X-Headroom-Project": "p",
        "x-api-key": "k", authorization: "Bearer t", "content-type": "application/json", "accept-encoding": "gzip",
      }),
    );
    expect([...h.keys()].sort()).toEqual(["accept-encoding", "authorization", "content-type", "x-api-key"]);
  });

  test("request: content-encoding dropped only when the body was decoded; proxy-token Authorization dropped on request", () => {
    const incoming = new Headers({ "content-encoding": "gzip", authorization: "Bearer tok" });
    expect(upstreamRequestHeaders(incoming).get("content-encoding")).toBe("gzip");
    expect(upstreamRequestHeaders(incoming, { bodyDecoded: true }).has("content-encoding")).toBe(false);
    expect(upstreamRequestHeaders(incoming, { dropAuthorization: true }).has("authorization")).toBe(false);
  });

  test("response: body-describing and hop-by-hop headers dropped", () => {
    const h = clientResponseHeaders(new Headers({ "content-length": "5", "content-encoding": "gzip", "keep-alive": "x", "request-id": "r", "set-cookie": "a=b" }));
    expect([...h.keys()].sort()).toEqual(["request-id", "set-cookie"]);
  });
});

describe("request bodies", () => {
  const data = Buffer.from(JSON.stringify({ hello: "world".repeat(100) }));
  test("each supported coding round-trips; a list is undone right to left", () => {
    expect(Buffer.from(decodeBody(gzipSync(data), "gzip")).equals(data)).toBe(true);
    expect(Buffer.from(decodeBody(deflateSync(data), "deflate")).equals(data)).toBe(true);
    expect(Buffer.from(decodeBody(brotliCompressSync(data), "br")).equals(data)).toBe(true);
    expect(Buffer.from(decodeBody(Bun.zstdCompressSync(data), "zstd")).equals(data)).toBe(true);
    expect(Buffer.from(decodeBody(brotliCompressSync(gzipSync(data)), "gzip, br")).equals(data)).toBe(true);
    expect(Buffer.from(decodeBody(data, "identity")).equals(data)).toBe(true);
  });

  test("unknown coding 400, corrupt 400, decoded size over the limit 413", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof BodyError ? err.status : -1;
      }
      return 0;
    };
    expect(code(() => decodeBody(data, "compress"))).toBe(400);
    expect(code(() => decodeBody(data, "gzip"))).toBe(400);
    expect(code(() => decodeBody(gzipSync(Buffer.alloc(10_000)), "gzip", 1000))).toBe(413);
  });

  test("isEncoded", () => {
    expect(isEncoded(null)).toBe(false);
    expect(isEncoded("identity")).toBe(false);
    expect(isEncoded(" ")).toBe(false);
    expect(isEncoded("gzip")).toBe(true);
  });
});

describe("retry timing", () => {
  test("Retry-After in seconds, as a date, and retry-after-ms", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": "0.5" }))).toBe(500);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "150", "retry-after": "9" }))).toBe(150);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });

  test("exponential backoff with up to 50% jitter, capped", () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(1, p, () => 0)).toBe(100);
    expect(backoffMs(2, p, () => 0)).toBe(200);
    expect(backoffMs(3, p, () => 0.999)).toBe(600);
    expect(backoffMs(10, p, () => 0)).toBe(1000);
  });
});

describe("token guard", () => {
  const token = "tok-123";
  test("no token configured: everyone passes", () => {
    expect(checkCaller("/v1/messages", new Headers(), "203.0.113.9", undefined)).toEqual({ allowed: true, authorizationIsProxyToken: false });
  });

  test("loopback callers pass without it; remote callers need it; health probes are exempt", () => {
    expect(checkCaller("/v1/messages", new Headers(), "127.0.0.1", token).allowed).toBe(true);
    expect(checkCaller("/v1/messages", new Headers(), "::ffff:127.0.0.1", token).allowed).toBe(true);
    expect(checkCaller("/v1/messages", new Headers(), "203.0.113.9", token).allowed).toBe(false);
    expect(checkCaller("/stats", new Headers(), "203.0.113.9", token).allowed).toBe(false);
    for (const p of ["/livez", "/readyz", "/health"]) expect(checkCaller(p, new Headers(), "203.0.113.9", token).allowed).toBe(true);
    expect(checkCaller("/v1/messages", new Headers({ "x-headroom-proxy-token": token }), "203.0.113.9", token)).toEqual({ allowed: true, authorizationIsProxyToken: false });
    expect(checkCaller("/v1/messages", new Headers({ authorization: `Bearer ${token}` }), "203.0.113.9", token)).toEqual({ allowed: true, authorizationIsProxyToken: true });
    expect(checkCaller("/v1/messages", new Headers({ authorization: "Bearer tok-12" }), "203.0.113.9", token).allowed).toBe(false);
    expect(checkCaller("/v1/messages", new Headers(), undefined, token).allowed).toBe(false);
  });

  test("an API key in Authorization is not mistaken for the proxy token", () => {
    const r = checkCaller("/v1/messages", new Headers({ authorization: "Bearer sk-proj-x", "x-headroom-proxy-token": token }), "203.0.113.9", token);
    expect(r).toEqual({ allowed: true, authorizationIsProxyToken: false });
    expect(presentedToken(new Headers({ authorization: "Basic abc" }))).toEqual({ viaAuthorization: false });
  });

  test("loopback classification", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "[::1]"]) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ["192.0.2.2", "0.0.0.0", "::", "fd00::2", "128.0.0.1", "", undefined]) expect(isLoopbackAddress(a)).toBe(false);
  });
});
