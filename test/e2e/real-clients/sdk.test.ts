// The official SDKs (@anthropic-ai/sdk, openai; pinned devDependencies) as an application
// uses them, with Node 24, inside a loopback-only network namespace: pointed at headroom
// with `baseURL`, and with no baseURL at all after sourcing the shell block that
// `install apply --scope user` wrote (the SDKs read ANTHROPIC_BASE_URL / OPENAI_BASE_URL).
// Proves: each call (plain, streamed, count_tokens, models list; Chat with include_usage;
// Responses streamed) reaches the recording upstream through headroom with the caller's
// key untouched, and the SDK parses what comes back (text, usage, event sequence).
// (The SDKs have no config file and no binary, so provider scope and wrap do not apply.)
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  credentialOf, DUMMY_ANTHROPIC_KEY, DUMMY_OPENAI_KEY, findClient, makeHome, PROXY_URL, requestsDuring, requireOrSkip, restoreProblems, runInNetns,
  netnsSkipReason, repoRoot, step, type NetnsResult, type RecordedJson,
} from "../../support/real-clients.ts";
import { installFlow, loginShell } from "./flow.ts";

const node24 = findClient("openclaw");
const nodeBin = "reason" in node24 ? null : join(node24.pathDirs[0]!, "node");
const sdkReason =
  netnsSkipReason() ??
  (nodeBin && existsSync(nodeBin) ? null : "Node 24 (the node24 client folder) is missing: run scripts/ci/install-clients.sh") ??
  (existsSync(join(repoRoot, "node_modules/openai")) && existsSync(join(repoRoot, "node_modules/@anthropic-ai/sdk")) ? null : "the SDKs are not installed (npm ci)");
const run = requireOrSkip("SDK real-client", sdkReason);
const script = join(repoRoot, "test/support/real-clients-sdk.mjs");
const TEXT = "Reply from the recording upstream for the SDKs.";
const keys = { ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY, OPENAI_API_KEY: DUMMY_OPENAI_KEY };

function parsed(r: NetnsResult, name: string): Record<string, any> {
  const s = step(r, name);
  expect(s.code, `${name}: ${s.stderr}`).toBe(0);
  return JSON.parse(s.stdout.trim().split("\n").at(-1)!);
}

function checkAnthropic(out: Record<string, any>, reqs: RecordedJson[]) {
  expect(out.plain.text).toBe(TEXT);
  expect(out.plain.usage.input_tokens).toBeGreaterThan(0);
  expect(out.stream.text).toBe(TEXT);
  expect(out.stream.stop).toBe("end_turn");
  expect(out.stream.events).toEqual(expect.arrayContaining(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]));
  expect(out.countTokens.input_tokens).toBeGreaterThan(0);
  expect(out.models).toEqual(["claude-sonnet-4-5", "gpt-5"]);
  expect(reqs.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /v1/messages", "POST /v1/messages", "POST /v1/messages/count_tokens", "GET /v1/models"]);
  for (const q of reqs) {
    expect(credentialOf(q.headers)).toBe(DUMMY_ANTHROPIC_KEY);
    expect(q.headers["anthropic-version"]).toBeTruthy();
  }
  expect((reqs[0]!.json as any).messages[0].content).toBe("anthropic plain prompt");
  expect((reqs[1]!.json as any).stream).toBe(true);
  expect((reqs[1]!.json as any).model).toBe("claude-sonnet-4-5");
}

function checkOpenAI(out: Record<string, any>, reqs: RecordedJson[]) {
  expect(out.chat.text).toBe(TEXT);
  expect(out.chatStream.text).toBe(TEXT);
  expect(out.chatStream.usage.total_tokens).toBeGreaterThan(0);
  expect(out.responses.text).toBe(TEXT);
  expect(out.responses.usage.output_tokens).toBeGreaterThan(0);
  expect(out.responses.events).toEqual([
    "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
    ...out.responses.events.filter((e: string) => e === "response.output_text.delta"),
    "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
  ]);
  expect(out.models).toEqual(["claude-sonnet-4-5", "gpt-5"]);
  expect(reqs.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /v1/chat/completions", "POST /v1/chat/completions", "POST /v1/responses", "GET /v1/models"]);
  for (const q of reqs) expect(q.headers.authorization).toBe(`Bearer ${DUMMY_OPENAI_KEY}`);
  expect((reqs[1]!.json as any).stream_options).toEqual({ include_usage: true });
  expect((reqs[2]!.json as any).input).toBe("openai responses prompt");
}

describe.skipIf(!run)("official SDKs through headroom", () => {
  test("baseURL pointed at headroom: Anthropic Messages (JSON, SSE, count_tokens, models) and OpenAI Chat, Responses, models", async () => {
    const home = makeHome("sdk");
    try {
      const r = await runInNetns({
        home, proxy: {}, reply: { text: TEXT }, upstreamModels: ["claude-sonnet-4-5", "gpt-5"], env: keys,
        steps: [
          { name: "anthropic", argv: [nodeBin!, script, "anthropic", PROXY_URL] },
          { name: "openai", argv: [nodeBin!, script, "openai", `${PROXY_URL}/v1`] },
        ],
      });
      checkAnthropic(parsed(r, "anthropic"), requestsDuring(r, "anthropic"));
      checkOpenAI(parsed(r, "openai"), requestsDuring(r, "openai"));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  test("user scope: the SDKs with no baseURL follow the variables of the sourced shell block; remove restores the profile", async () => {
    const home = makeHome("sdk-user");
    const watch = [join(home, ".profile"), join(home, ".bashrc")];
    try {
      const r = await runInNetns({
        home, systemd: true, reply: { text: TEXT }, upstreamModels: ["claude-sonnet-4-5", "gpt-5"], env: keys,
        steps: installFlow({
          // cursor's block exports both ANTHROPIC_BASE_URL and OPENAI_BASE_URL (the variables the SDKs read).
          scope: "user", targets: ["cursor"], watch,
          client: [
            { name: "anthropic", argv: loginShell([nodeBin!, script, "anthropic"]) },
            { name: "openai", argv: loginShell([nodeBin!, script, "openai"]) },
          ],
        }),
      });
      expect(step(r, "apply").code, step(r, "apply").stderr).toBe(0);
      const a = parsed(r, "anthropic");
      expect(a.baseURL).toBe(PROXY_URL);
      checkAnthropic(a, requestsDuring(r, "anthropic"));
      const o = parsed(r, "openai");
      expect(o.baseURL).toBe(`${PROXY_URL}/v1`);
      checkOpenAI(o, requestsDuring(r, "openai"));
      expect(step(r, "remove").code, step(r, "remove").stderr).toBe(0);
      const snaps = { before: step(r, "before").snapshot!, wired: step(r, "wired").snapshot!, ran: step(r, "ran").snapshot!, after: step(r, "after").snapshot! };
      expect(Object.keys(snaps.wired)).toContain(join(home, ".profile"));
      expect(restoreProblems(snaps)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
