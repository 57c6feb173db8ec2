// What answers on a port, in words that read as a sentence in every message that uses them.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { probePort } from "../../../src/install/health.ts";
import { hr, isOneSentence } from "../../e2e/install-support.ts";

// Accepts connections and closes them without a word: a port held by something that is not HTTP.
const mute = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open(s) { s.end(); }, data() {} } });
// An HTTP server that is not headroom.
const teapot = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("teapot", { status: 418, headers: { server: "teapotd" } }) });
const home = mkdtempSync("/tmp/headroom-probe-");
afterAll(() => {
  mute.stop(true);
  teapot.stop(true);
  rmSync(home, { recursive: true, force: true });
});

test("a port held by a process that does not answer HTTP is described as such", async () => {
  const p = await probePort(mute.port, "127.0.0.1", 800);
  expect(p).toMatchObject({ open: true, ready: false, headroom: false });
  expect(p.description).toBe("a process that does not answer HTTP");
  expect(p.kind).toBe("silent");
});

test("another HTTP server is named with its evidence; it is never headroom or ready", async () => {
  const p = await probePort(teapot.port!, "127.0.0.1", 800);
  expect(p).toMatchObject({ kind: "http", open: true, ready: false, headroom: false, httpStatus: 418, server: "teapotd" });
  expect(p.description).toBe("another HTTP server");
  expect(p.detail).toBe("an HTTP server that is not headroom answers (server: teapotd), /health gave HTTP 418");
  expect(p.health).toBeUndefined();
});

test("a free port: nothing listens", async () => {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const p = await probePort(port, "127.0.0.1", 800);
  expect(p).toMatchObject({ kind: "free", open: false, ready: false, headroom: false });
  expect(p.description).toBe(`nothing listens on port ${port}`);
});

test("apply refuses such a port with one correct sentence and a hint", async () => {
  const env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), XDG_CONFIG_HOME: undefined, HEADROOM_BIN: undefined };
  const r = await hr(["install", "apply", "--dry-run", "--providers", "manual", "--target", "claude", "--port", String(mute.port)], env);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`Port ${mute.port} is held by a process that does not answer HTTP, not by this deployment.`);
  expect(r.stderr).not.toContain("listens on port");
  expect(isOneSentence(r.stderr)).toBe(true);
});

test("isPortOpen: a listener that holds connections without a word is open; a closed port is not", async () => {
  const { isPortOpen } = await import("../../../src/host/net.ts");
  const held: { end(): void }[] = [];
  let closedByProbe = 0;
  const hung = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open(s) { held.push(s); }, close() { closedByProbe++; }, data() {} } });
  const port = hung.port;
  try {
    expect(await isPortOpen(port, "127.0.0.1", 800)).toBe(true);
    // The probe closes its own connection: the listener sees it end.
    expect(held.length).toBe(1);
    for (let i = 0; i < 50 && closedByProbe === 0; i++) await Bun.sleep(10);
    expect(closedByProbe).toBe(1);
  } finally {
    for (const s of held) s.end();
    hung.stop(true);
  }
  expect(await isPortOpen(port, "127.0.0.1", 800)).toBe(false);
});
