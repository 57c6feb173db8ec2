// A deployment proves who it is, against hostile processes on a real systemd user
// manager (test/support/systemd.ts) and the compiled binary. A Bun server that serves a
// copy of the real /health (profile and pid) and one that relays every request to the
// real runtime on another port: apply refuses with one sentence and changes no file
// under HOME (hashed before and after), status exits non-zero saying the port is held by
// a process that is not this deployment, wrap refuses and starts no tool, agent ensure
// does not count it healthy, and neither hostile server ever sees an API call.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { FAKE_TOOL_NAMES, readRuns, writeFakeTools } from "../support/fake-tool.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { type Health, freePort, health, healthyAs, hr, isOneSentence, killAll, runtimePids, until } from "./install-support.ts";
import { type Hostile, copyingServer, hashTree, relayServer, treeDiff } from "./trust-support.ts";

const skip = systemdSkipReason();

describe.skipIf(skip !== null)("a deployment proves who it is (real systemd user manager, hostile processes)", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let ws: string;
  let port: number;
  let real: Health;
  let scratch: string;
  const hostiles: Hostile[] = [];
  const profile = "idp";
  const applyArgs = (p = profile, portArg = port, scope = "provider") => ["install", "apply", "--profile", p, "--scope", scope, "--providers", "manual", "--target", "claude", "--port", String(portArg)];
  // The manager's own runtime folder and log change on their own; everything else under HOME is headroom's or the user's.
  const snapshot = () => hashTree(sd.home, (rel) => rel === "run" || rel === "systemd.log" || rel.startsWith("out-"));
  const noApiCall = async (h: Hostile) => {
    const seen = await h.requests();
    expect(seen.filter((r) => r.startsWith("/v1/") || r.includes("[x-api-key]"))).toEqual([]);
  };

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-trust-id-" });
    ws = join(sd.home, ".headroom");
    scratch = mkdtempSync("/tmp/headroom-hostile-");
    mkdirSync(join(sd.home, ".claude"), { recursive: true });
    const bin = writeFakeTools(join(sd.home, "fake-bin"), FAKE_TOOL_NAMES);
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: undefined, PATH: `${bin}:${sd.env.PATH ?? "/usr/bin:/bin"}` };
    port = await freePort();
    const r = await hr(applyArgs(), env);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}${r.stdout}`);
    real = (await healthyAs(port, profile))!;
  }, 90_000);

  afterAll(async () => {
    for (const h of hostiles) await h.stop().catch(() => {});
    if (!sd) return;
    for (const p of [profile, "rel"]) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    killAll(runtimePids(profile, ws));
    await sd.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 90_000);

  test("the runtime answers a fresh challenge with a MAC over nonce, profile, pid and port; status says it proved it", async () => {
    const keyFile = join(ws, "deploy", profile, "identity.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
    expect(key.length).toBe(32);
    const nonce = "c0ffee".repeat(8);
    const a = (await (await fetch(`http://127.0.0.1:${port}/headroom/identity?nonce=${nonce}`)).json()) as { profile: string; pid: number; port: number; mac: string };
    expect(a).toMatchObject({ profile, pid: real.pid, port });
    expect(a.mac).toBe(createHmac("sha256", key).update(["headroom-identity-v1", nonce, profile, String(real.pid), String(port)].join("\0")).digest("hex"));
    const s = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ healthy: true, isThisDeployment: true, identity: { proven: true, how: "challenge" } });
  }, 30_000);

  test("a copy of the real /health on the port: apply refuses with one sentence and nothing changes on disk", async () => {
    expect((await hr(["install", "stop", "--profile", profile], env)).code).toBe(0);
    const copy = await copyingServer(scratch, port, real as unknown as Record<string, unknown>);
    hostiles.push(copy);
    expect((await health(port))?.deployment?.profile).toBe(profile); // the forgery looks right
    const before = snapshot();
    for (const args of [applyArgs(), applyArgs(profile, port, "user"), [...applyArgs(), "--json"]]) {
      const r = await hr(args, env);
      expect(r.code).toBe(1);
      // With --json the failure may come as one JSON object on stdout.
      const text = args.includes("--json") && r.stdout.trim().startsWith("{") ? String(JSON.parse(r.stdout).error) : r.stderr;
      expect(text).toContain(`Port ${port} is held by a process that is not this deployment: it claims to be the deployment "${profile}"`);
      expect(text).toContain("cannot prove it");
      if (!args.includes("--json")) expect(isOneSentence(r.stderr)).toBe(true);
    }
    // A profile that does not exist yet has no secret, so nothing on its port can prove anything.
    const port2 = await freePort();
    const copy2 = await copyingServer(scratch, port2, { ...real, deployment: { ...real.deployment, profile: "newp" } });
    hostiles.push(copy2);
    const fresh = await hr(applyArgs("newp", port2), env);
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain(`Port ${port2} is held by a process that is not this deployment: it claims to be the deployment "newp"`);
    expect(treeDiff(before, snapshot())).toEqual([]);
    await noApiCall(copy);
    await noApiCall(copy2);
    await copy2.stop();
  }, 60_000);

  test("status exits non-zero and says the port is held by a process that is not this deployment, also while the unit crash-loops", async () => {
    const s = await hr(["install", "status", "--profile", profile], env);
    expect(s.code).not.toBe(0);
    expect(s.stdout).toContain(`Port ${port} is held by a process that is not this deployment: it claims to be the deployment "${profile}" (its /health says pid ${real.pid}) but cannot prove it`);
    expect(s.stdout).not.toMatch(/serving\s+this deployment/);
    // The real runtime cannot bind the taken port: systemd keeps retrying it.
    await sd.systemctl(["start", `headroom-${profile}.service`]);
    const looping = await until(async () => {
      const r = await hr(["install", "status", "--profile", profile, "--json"], env);
      const j = JSON.parse(r.stdout);
      return r.code !== 0 && j.problems.some((p: string) => p.startsWith("The unit is crash-looping")) ? j : null;
    }, 30_000, 300);
    expect(looping).not.toBeNull();
    expect(looping.isThisDeployment).toBe(false);
    expect(looping.identity.proven).toBe(false);
    expect(looping.problems.join("\n")).toContain("is not this deployment");
    expect(looping.problems.join("\n")).toMatch(/systemd retries every 1 s, and never gives up.*headroom install restart --profile idp/);
    await sd.systemctl(["stop", `headroom-${profile}.service`]);
  }, 60_000);

  test("wrap refuses: no tool starts and nothing is pointed at the impostor", async () => {
    const out = join(sd.home, "out-wrap");
    mkdirSync(out, { recursive: true });
    const r = await hr(["wrap", "claude", "--port", String(port)], { ...env, FAKE_TOOL_OUT: out });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Port ${port} belongs to the headroom deployment "${profile}"`);
    expect(r.stderr).toContain("cannot prove it");
    expect(isOneSentence(r.stderr)).toBe(true);
    expect(readRuns(out)).toEqual([]);
    await noApiCall(hostiles[0]!);
  }, 60_000);

  test("agent ensure does not count it healthy and starts nothing", async () => {
    const r = await hr(["install", "agent", "ensure", "--profile", profile], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Port ${port} is held by a process that is not this deployment: it claims to be the deployment "${profile}"`);
    expect(r.stdout).not.toContain("healthy");
    expect(runtimePids(profile, ws)).toEqual([]);
    await hostiles[0]!.stop();
    const st = await hr(["install", "start", "--profile", profile], env);
    expect(st.code).toBe(0);
    real = (await healthyAs(port, profile))!;
  }, 60_000);

  test("a relay of every request to the real runtime on another port: refused by apply, status, wrap and ensure", async () => {
    // Moving the profile to the relay's port is refused: the runtime's MAC names its own port.
    const q = await freePort();
    const relay = await relayServer(scratch, q, port);
    hostiles.push(relay);
    expect((await health(q))?.pid).toBe(real.pid); // everything the relay answers is real
    const beforeMove = snapshot();
    const moved = await hr(applyArgs(profile, q), env);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain(`it answers the identity challenge for port ${port}: it relays to another process`);
    expect(isOneSentence(moved.stderr)).toBe(true);
    expect(treeDiff(beforeMove, snapshot())).toEqual([]);
    // A second profile whose port the relay took.
    await relay.stop();
    expect((await hr(applyArgs("rel", q), env)).code).toBe(0);
    expect((await hr(["install", "stop", "--profile", "rel"], env)).code).toBe(0);
    const relay2 = await relayServer(scratch, q, port);
    hostiles.push(relay2);
    const before = snapshot();
    const s = await hr(["install", "status", "--profile", "rel"], env);
    expect(s.code).not.toBe(0);
    expect(s.stdout).toContain(`Port ${q} is held by the headroom deployment "${profile}" (pid ${real.pid}), not by this deployment.`);
    const out = join(sd.home, "out-relay");
    mkdirSync(out, { recursive: true });
    const w = await hr(["wrap", "claude", "--port", String(q)], { ...env, FAKE_TOOL_OUT: out });
    expect(w.code).toBe(1);
    expect(w.stderr).toContain(`Port ${q} belongs to the headroom deployment "rel"`);
    expect(readRuns(out)).toEqual([]);
    const e = await hr(["install", "agent", "ensure", "--profile", "rel"], env);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain(`Port ${q} is held by`);
    const again = await hr(applyArgs("rel", q), env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("not by this deployment");
    await noApiCall(relay2);
    await relay2.stop();
    // None of the refusals changed a file.
    expect(treeDiff(before, snapshot())).toEqual([]);
    // And idp itself is untouched and still proves itself.
    const st = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(JSON.parse(st.stdout)).toMatchObject({ healthy: true, identity: { proven: true } });
  }, 90_000);
});
