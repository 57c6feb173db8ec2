// Nothing important lost: over the benchmark corpus (real bun test output and grep hits
// captured here, generated JSON arrays), the facts each question needs survive compression,
// source code is untouched, and every original comes back byte for byte through retrieval.
import { beforeAll, describe, expect, test } from "bun:test";
import { buildCorpus, type CorpusItem } from "../../../bench/compression/corpus.ts";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { markerHashes } from "../../../src/proxy/compress/marker.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { retrieveRoute } from "../../../src/proxy/compress/routes.ts";
import { inventedLines } from "../../support/never-invent.ts";

let corpus: CorpusItem[] = [];
beforeAll(() => {
  resetMemo();
  corpus = buildCorpus();
}, 60_000);

const MIN_SAVED: Record<string, number> = { json: 0.8, log: 0.85, search: 0.5, table: 0.8 };

describe("corpus", () => {
  test("has every kind of item", () => {
    expect(corpus.map((c) => c.kind).sort()).toEqual(["json", "json", "json", "json", "log", "none", "search", "table"]);
    const log = corpus.find((c) => c.name === "bun-test.log")!;
    expect(log.text).toContain("(fail) rejects an expired session token");
  });

  test("each item goes to its compressor, keeps its facts, and saves what it should", () => {
    for (const item of corpus) {
      const c = compressToolText(item.text, { queryTerms: queryTerms(item.question) }, { profile: "claude" });
      if (item.kind === "none") {
        expect(c).toBeNull();
        continue;
      }
      expect({ name: item.name, kind: c?.kind }).toEqual({ name: item.name, kind: item.kind });
      // JSON facts are written compact (`"number":1262`); pretty output keeps the original's `"number": 1262`.
      const kept = item.kind === "json" ? c!.text.replace(/":\s+/g, '":') : c!.text;
      for (const fact of item.facts) expect({ name: item.name, fact, kept: kept.includes(fact) }).toEqual({ name: item.name, fact, kept: true });
      if (item.kind !== "json") expect({ name: item.name, invented: inventedLines(item.text, c!.text) }).toEqual({ name: item.name, invented: [] });
      const saved = 1 - c!.tokensAfter / c!.tokensBefore;
      expect({ name: item.name, enough: saved >= MIN_SAVED[item.kind]! }).toEqual({ name: item.name, enough: true });
    }
  });

  test("the same output compresses to the same bytes every time (later turns keep the prefix)", () => {
    for (const item of corpus.filter((c) => c.kind !== "none")) {
      const a = compressToolText(item.text, { queryTerms: queryTerms(item.question) })!;
      // Even with another question on a later turn, the bytes do not change.
      const b = compressToolText(item.text, { queryTerms: queryTerms("something else entirely") })!;
      expect(b.text).toBe(a.text);
    }
  });

  test("round trip: the marker's hash retrieves the original bytes (POST and GET)", async () => {
    for (const item of corpus.filter((c) => c.kind !== "none")) {
      const c = compressToolText(item.text, { queryTerms: queryTerms(item.question) })!;
      const [hash] = markerHashes(c.text);
      expect(hash).toBe(c.hash);
      const viaGet = (await (await retrieveRoute(new Request(`http://127.0.0.1/v1/retrieve/${hash}`), hash)).json()) as { original: string };
      expect(viaGet.original).toBe(item.text);
      const post = await retrieveRoute(new Request("http://127.0.0.1/v1/retrieve", { method: "POST", body: JSON.stringify({ hash }) }));
      expect(((await post.json()) as { original: string }).original).toBe(item.text);
    }
  });
});

test("retrieve answers unknown and malformed hashes with clear errors", async () => {
  const missing = await retrieveRoute(new Request("http://127.0.0.1/v1/retrieve/x"), "0".repeat(24));
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("No original is stored");
  const bad = await retrieveRoute(new Request("http://127.0.0.1/v1/retrieve", { method: "POST", body: "{" }));
  expect(bad.status).toBe(400);
  const noHash = await retrieveRoute(new Request("http://127.0.0.1/v1/retrieve", { method: "POST", body: "{}" }));
  expect(noHash.status).toBe(400);
});
