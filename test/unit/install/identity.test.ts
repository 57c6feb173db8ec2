// The identity proof (src/install/identity.ts) against real local servers: the runtime's
// own answer (src/proxy/identity.ts) proves it; a copy of its /health, a replayed answer,
// an answer made with another key, and a relay to the real runtime on another port do not.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureIdentityKey, keyPath, proveIdentity } from "../../../src/install/identity.ts";
import { IDENTITY_ROUTE, identityResponse, readIdentityKey } from "../../../src/proxy/identity.ts";

const ws = mkdtempSync("/tmp/headroom-identity-");
const servers: { stop(force?: boolean): void }[] = [];
afterAll(() => {
  for (const s of servers) s.stop(true);
  rmSync(ws, { recursive: true, force: true });
});

const env = { HEADROOM_WORKSPACE_DIR: ws };
const who = (profile: string, port: number) => ({ profile, port, workspaceDir: ws });

/** A stand-in runtime: /health and /readyz as a deployment's, and the real identity answer. */
function runtime(profile: string): ReturnType<typeof Bun.serve> {
  const s: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req): Response {
      const url = new URL(req.url);
      if (url.pathname === IDENTITY_ROUTE) return identityResponse(url.search, { profile }, s.port!, env);
      if (url.pathname === "/readyz") return Response.json({ ready: true, status: "ready", service: "headroom", version: "t", pid: process.pid });
      return Response.json({ status: "healthy", service: "headroom", version: "t", pid: process.pid, deployment: { profile } });
    },
  });
  servers.push(s);
  return s;
}

/** A server that answers every path from `handler` (a forger or a relay). */
function hostile(handler: (req: Request) => Response | Promise<Response>) {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
  servers.push(s);
  return s;
}

describe("the identity key", () => {
  test("is 32 random bytes as hex, mode 0600, created once and kept", () => {
    const m = who("k1", 1);
    const path = ensureIdentityKey(m);
    expect(path).toBe(keyPath(m));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws, "deploy", "k1")).mode & 0o777).toBe(0o700);
    const text = readFileSync(path, "utf8");
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    ensureIdentityKey(m);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(readIdentityKey("k1", env)?.length).toBe(32);
    expect(readFileSync(ensureIdentityKey(who("k2", 1)), "utf8")).not.toBe(text);
    // An unusable file (truncated) is replaced.
    writeFileSync(path, "abc\n");
    ensureIdentityKey(m);
    expect(readFileSync(path, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
  });
});

describe("proveIdentity", () => {
  test("the runtime's own answer proves it, with its pid", async () => {
    ensureIdentityKey(who("real", 1));
    const rt = runtime("real");
    const p = await proveIdentity(who("real", rt.port!));
    expect(p).toMatchObject({ proven: true, how: "challenge", pid: process.pid, claims: true });
  });

  test("no key, another profile's key, or another profile: not proven", async () => {
    const rt = runtime("nokey");
    expect((await proveIdentity(who("nokey", rt.port!))).proven).toBe(false);
    ensureIdentityKey(who("other", 1));
    const rt2 = runtime("other");
    const asReal = await proveIdentity(who("real", rt2.port!));
    expect(asReal.proven).toBe(false);
    expect(asReal.claims).toBe(false);
    expect(asReal.reason).toContain('for the profile "other"');
  });

  test("a copy of the real /health (profile and pid) without the key is refused", async () => {
    const rt = runtime("real");
    const copied = await (await fetch(`http://127.0.0.1:${rt.port}/health`)).json();
    const ready = await (await fetch(`http://127.0.0.1:${rt.port}/readyz`)).json();
    for (const identity of [
      () => new Response("no", { status: 404 }),
      // Made up: the right fields, a MAC computed with some other key.
      (port: number) => Response.json({ profile: "real", pid: process.pid, port, mac: "ab".repeat(32) }),
    ]) {
      const fake = hostile((req) => {
        const path = new URL(req.url).pathname;
        if (path === IDENTITY_ROUTE) return identity(fake.port!);
        return Response.json(path === "/readyz" ? ready : copied);
      });
      const p = await proveIdentity(who("real", fake.port!));
      expect(p.proven).toBe(false);
      expect(p.claims).toBe(true);
      expect(p.probe.ready).toBe(true);
      expect(p.reason).toMatch(/does not answer the identity challenge|answer to the identity challenge is wrong/);
    }
  });

  test("a replayed answer (an old nonce's MAC) is refused", async () => {
    const rt = runtime("real");
    const nonce = "0".repeat(64);
    const old = (await (await fetch(`http://127.0.0.1:${rt.port}${IDENTITY_ROUTE}?nonce=${nonce}`)).json()) as Record<string, unknown>;
    expect(old.mac).toMatch(/^[0-9a-f]{64}$/);
    const copied = await (await fetch(`http://127.0.0.1:${rt.port}/health`)).json();
    // The replayer sits on the runtime's own port number in the MAC's eyes: it even claims that port.
    const replay = hostile((req) => (new URL(req.url).pathname === IDENTITY_ROUTE ? Response.json({ ...old, port: replay.port }) : Response.json(copied)));
    const p = await proveIdentity(who("real", replay.port!));
    expect(p.proven).toBe(false);
    expect(p.reason).toContain("wrong");
  });

  test("a relay of every request to the real runtime on another port is caught by the port in the MAC", async () => {
    const rt = runtime("real");
    const relay = hostile(async (req) => {
      const url = new URL(req.url);
      const r = await fetch(`http://127.0.0.1:${rt.port}${url.pathname}${url.search}`, { method: req.method, headers: req.headers });
      return new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers });
    });
    const p = await proveIdentity(who("real", relay.port!));
    expect(p.proven).toBe(false);
    expect(p.claims).toBe(true);
    expect(p.reason).toContain(`for port ${rt.port}: it relays to another process`);
    // The real one, asked directly, still proves itself.
    expect((await proveIdentity(who("real", rt.port!))).proven).toBe(true);
  });

  test("a holder that cannot answer the challenge is this deployment only when it owns the socket and is the expected pid", async () => {
    const copied = { status: "healthy", service: "headroom", version: "old", pid: process.pid, deployment: { profile: "real" } };
    const old = hostile((req) => (new URL(req.url).pathname === IDENTITY_ROUTE ? new Response("", { status: 404 }) : Response.json(copied)));
    // This test process owns the listening socket: with its pid expected, /proc shows it.
    const mine = await proveIdentity(who("real", old.port!), { expectedPid: () => process.pid });
    expect(mine).toMatchObject({ proven: true, how: "socket-owner", pid: process.pid });
    expect((await proveIdentity(who("real", old.port!), { expectedPid: () => 1 })).proven).toBe(false);
    expect((await proveIdentity(who("real", old.port!))).proven).toBe(false);
    // A wrong answer is never rescued by the socket owner.
    const wrong = hostile((req) => (new URL(req.url).pathname === IDENTITY_ROUTE ? Response.json({ profile: "real", pid: process.pid, port: wrong.port, mac: "00".repeat(32) }) : Response.json(copied)));
    expect((await proveIdentity(who("real", wrong.port!), { expectedPid: () => process.pid })).proven).toBe(false);
  });

  test("the runtime refuses a malformed nonce and says when it is not a deployment", async () => {
    expect(identityResponse("?nonce=xyz", { profile: "real" }, 1, env).status).toBe(400);
    expect(identityResponse("?nonce=" + "a".repeat(64), undefined, 1, env).status).toBe(404);
    expect(identityResponse("?nonce=" + "a".repeat(64), { profile: "missing" }, 1, env).status).toBe(503);
  });
});
