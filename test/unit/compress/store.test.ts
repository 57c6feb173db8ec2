// The originals store is bounded: LRU order, TTL, total size cap.
import { expect, test } from "bun:test";
import { ConversationCache } from "../../../src/proxy/compress/conversations.ts";
import { OriginalStore } from "../../../src/proxy/compress/store.ts";
import { estimateTokens, profileFor } from "../../../src/proxy/compress/tokens.ts";
import { hasMarker, marker, markerHashes } from "../../../src/proxy/compress/marker.ts";

test("entries expire after the TTL", () => {
  let now = 0;
  const store = new OriginalStore({ ttlMs: 1000, maxBytes: 1e6, maxEntries: 10 }, () => now);
  store.put("a", "original");
  now = 999;
  expect(store.get("a")).toBe("original");
  now = 2000;
  expect(store.get("a")).toBeUndefined();
  expect(store.totalBytes).toBe(0);
});

test("the least recently used entry goes first when the count or size cap is reached", () => {
  const store = new OriginalStore({ ttlMs: 60_000, maxBytes: 100, maxEntries: 2 });
  store.put("a", "1");
  store.put("b", "2");
  store.get("a");
  store.put("c", "3");
  expect(store.has("b")).toBe(false);
  expect(store.has("a")).toBe(true);
  store.put("big", "x".repeat(50)); // 100 bytes: only it fits
  expect(store.size).toBe(1);
  expect(store.put("huge", "x".repeat(51))).toBe(false);
  expect(store.totalBytes).toBeLessThanOrEqual(100);
});

test("cache mode's conversation memory is bounded the same way: an hour's TTL, at most 256 conversations", () => {
  let now = 0;
  const cache = new ConversationCache(() => now);
  const state = (n: number) => ({ originals: [String(n)], forwarded: [null], changed: [false] });
  cache.set("a", state(0));
  now = 59 * 60_000;
  expect(cache.get("a")).toEqual(state(0));
  now = 2 * 60 * 60_000;
  expect(cache.get("a")).toBeUndefined();
  for (let i = 0; i <= 256; i++) cache.set(`k${i}`, state(i));
  expect(cache.get("k0")).toBeUndefined();
  expect(cache.get("k1")).toEqual(state(1));
  expect(cache.get("k256")).toEqual(state(256));
});

test("token estimates follow the per-profile ratios", () => {
  expect(estimateTokens("x".repeat(35), "claude")).toBe(10);
  expect(estimateTokens("x".repeat(40), "prose")).toBe(10);
  expect(estimateTokens("x".repeat(32), "json")).toBe(10);
  expect(profileFor("[1,2]", "claude")).toBe("json");
  expect(profileFor("hello", "claude")).toBe("claude");
});

test("markers carry the hash and are recognised", () => {
  const m = marker("3 of 9 items omitted", "a".repeat(24));
  expect(m).toBe('[headroom: 3 of 9 items omitted; original: headroom_retrieve {"hash":"aaaaaaaaaaaaaaaaaaaaaaaa"}]');
  expect(hasMarker(`data\n${m}`)).toBe(true);
  expect(markerHashes(m)).toEqual(["a".repeat(24)]);
  expect(hasMarker("mentions headroom_retrieve but no marker")).toBe(false);
});
