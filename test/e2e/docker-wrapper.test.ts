// The Docker-native host wrapper (docker/headroom-docker, run by /bin/sh): refusal of
// everything beyond persistent-docker before anything is touched; the install lifecycle
// end to end on a real engine, writing a manifest the native CLI loads (schema-checked
// and read by the compiled `headroom install status`); `wrap` with a fresh proxy
// container for the session (a fake tool on the host reads /health through it), removed
// afterwards; the installer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ManifestSchema } from "../../src/install/manifest.ts";
import { repoRoot } from "../support/bin.ts";
import { containersNamed, dockerSkipReason, ensureTestImage, inspectContainer, removeContainers, sh, TEST_IMAGE } from "../support/docker.ts";
import { readRuns, writeFakeTools } from "../support/fake-tool.ts";
import { freePort, health, hr, isOneSentence } from "./install-support.ts";

const WRAPPER = join(repoRoot, "docker/headroom-docker");
const SECRET = "sk-test-secret";

let root: string;
let home: string;
let env: Record<string, string | undefined>;

const wrapper = (args: string[], extra: Record<string, string | undefined> = {}) => sh(["/bin/sh", WRAPPER, ...args], { ...env, ...extra }, 120_000);

beforeAll(() => {
  root = mkdtempSync("/tmp/headroom-dwrap-");
  home = join(root, "home");
  mkdirSync(home, { recursive: true });
  env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: undefined, HEADROOM_PORT: undefined, HEADROOM_IMAGE: TEST_IMAGE, ANTHROPIC_API_KEY: SECRET };
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("wrapper refusals (before anything is touched)", () => {
  const cases: [string[], RegExp][] = [
    [["install", "apply", "--scope", "user"], /--scope is not available in the Docker-native wrapper.*native headroom CLI/],
    [["install", "apply", "--providers", "all"], /--providers is not available/],
    [["install", "apply", "--target", "claude"], /--target is not available/],
    [["install", "apply", "--preset", "persistent-service"], /--preset persistent-service is not available/],
    [["install", "apply", "--runtime", "native"], /--runtime native is not available/],
    [["install", "apply", "--profile", ".."], /profile names use letters/],
    [["install", "apply", "--profile", "a/b"], /profile names use letters/],
    [["install", "apply", "--port", "70000"], /--port must be a port number/],
    [["install", "apply", "--port", "12ab"], /--port must be a port number/],
    [["install", "apply", "--anthropic-api-url", "ftp://x"], /must be an http\(s\) URL/],
    [["install", "apply", "--bogus"], /unknown option "--bogus"/],
    [["install", "frobnicate"], /unknown install action/],
    [["wrap", "nosuchtool"], /unknown tool "nosuchtool"/],
    [["wrap", "claude", "--port", "0"], /--port must be a port number/],
  ];
  for (const [args, pattern] of cases) {
    test(`${args.join(" ")} is refused with exit 2`, async () => {
      const r = await wrapper(args);
      expect(r.stderr).toMatch(pattern);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n").length).toBe(1);
      expect(existsSync(join(home, ".headroom"))).toBe(false);
    });
  }

  test("wrap opencode points to the native CLI (it needs a config edit)", async () => {
    const r = await wrapper(["wrap", "opencode"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("native headroom CLI");
  });

  test("a profile that does not exist: one sentence and exit 3 (the native CLI's code); with --json one object on stdout", async () => {
    for (const action of ["status", "start", "stop", "restart", "remove"]) {
      const r = await wrapper(["install", action, "--profile", "nope"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/no deployment profile "nope"/);
      const j = await wrapper(["install", action, "--profile", "nope", "--json"]);
      expect(j.code).toBe(3);
      expect(j.stderr).toBe("");
      expect(JSON.parse(j.stdout)).toEqual({ ok: false, error: expect.stringMatching(/no deployment profile "nope"/), code: 3 });
    }
  });

  test("a usage error with --json is one object with code 2", async () => {
    const r = await wrapper(["install", "apply", "--json", "--scope", "user"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 2 });
    expect(JSON.parse(r.stdout).error).toContain("--scope is not available");
  });
});

test("install-wrapper.sh installs the wrapper as headroom, keeps a native headroom unless --force", async () => {
  const dir = join(root, "bin-install");
  const installer = join(repoRoot, "docker/install-wrapper.sh");
  const r1 = await sh(["/bin/sh", installer], { ...env, HEADROOM_INSTALL_DIR: dir });
  expect(r1.code).toBe(0);
  expect(readFileSync(join(dir, "headroom"), "utf8")).toBe(readFileSync(WRAPPER, "utf8"));
  expect(statSync(join(dir, "headroom")).mode & 0o777).toBe(0o755);
  expect(r1.stdout).toContain("not on your PATH");
  // Re-installing over the wrapper is fine; over something else it is refused.
  expect((await sh(["/bin/sh", installer], { ...env, HEADROOM_INSTALL_DIR: dir })).code).toBe(0);
  writeFileSync(join(dir, "headroom"), "native binary stand-in");
  const r2 = await sh(["/bin/sh", installer], { ...env, HEADROOM_INSTALL_DIR: dir });
  expect(r2.code).toBe(1);
  expect(r2.stderr).toContain("--force");
  expect(readFileSync(join(dir, "headroom"), "utf8")).toBe("native binary stand-in");
  expect((await sh(["/bin/sh", installer, "--force"], { ...env, HEADROOM_INSTALL_DIR: dir })).code).toBe(0);
  expect(readFileSync(join(dir, "headroom"), "utf8")).toBe(readFileSync(WRAPPER, "utf8"));
});

const skip = dockerSkipReason();

describe.skipIf(skip !== null)("wrapper on a real engine", () => {
  const profile = `wr${process.pid}`;
  const container = `headroom-${profile}`;
  let port: number;
  const manifestPath = () => join(home, ".headroom/deploy", profile, "manifest.json");

  beforeAll(async () => {
    await ensureTestImage();
    port = await freePort();
  }, 180_000);

  afterAll(async () => {
    await removeContainers([container, ...(await containersNamed("headroom-wrap-"))]);
  }, 60_000);

  test("no engine: one sentence, nothing changed", async () => {
    const r = await wrapper(["install", "apply", "--profile", profile, "--port", String(port)], { DOCKER_HOST: `unix://${root}/dead.sock` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Docker engine is not reachable/);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(existsSync(manifestPath())).toBe(false);
  }, 30_000);

  test("no such image: one sentence, nothing changed", async () => {
    const r = await wrapper(["install", "apply", "--profile", profile, "--port", String(port), "--image", "headroom:nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/image "headroom:nope" is not available/);
    expect(existsSync(manifestPath())).toBe(false);
    expect(await inspectContainer(container)).toBeNull();
  }, 30_000);

  test("the CLI path runs without a terminal (no -t when stdin/stdout are not terminals)", async () => {
    const r = await wrapper(["--version"]);
    expect(r.stderr).not.toContain("TTY");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+\.\d+\.\d+/);
  }, 30_000);

  test("install apply: running container like the native preset, manifest the native CLI loads, no secret in it", async () => {
    const r = await wrapper(["install", "apply", "--profile", profile, "--port", String(port), "--mode", "cache"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const s = await inspectContainer(container);
    expect(s?.running).toBe(true);
    expect(s?.restartPolicy).toBe("unless-stopped");
    expect(s?.ports).toEqual({ [`${port}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: String(port) }] });
    expect(s?.args).toEqual(["proxy", "--host", "0.0.0.0", "--port", String(port), "--mode", "cache"]);
    expect(s?.env).toContain(`ANTHROPIC_API_KEY=${SECRET}`);
    expect((await health(port))?.deployment).toEqual({ profile, preset: "persistent-docker", runtime: "docker", supervisor: "docker", scope: "user" });
    const text = readFileSync(manifestPath(), "utf8");
    expect(text).not.toContain(SECRET);
    expect(statSync(manifestPath()).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".headroom/deploy", profile)).mode & 0o777).toBe(0o700);
    const parsed = v.safeParse(ManifestSchema, JSON.parse(text));
    expect(parsed.issues ?? []).toEqual([]);
    expect(parsed.output).toMatchObject({ schemaVersion: 1, profile, preset: "persistent-docker", runtime: "docker", port, image: TEST_IMAGE, proxy: { mode: "cache", optimize: true } });
    // The native executable reads the wrapper's manifest and sees a healthy deployment.
    const st = await hr(["install", "status", "--profile", profile], { ...env, HEADROOM_IMAGE: undefined });
    expect(st.stdout).toContain("healthy");
    expect(st.code).toBe(0);
  }, 90_000);

  test("status, stop (port free), start, restart through the wrapper", async () => {
    const st = await wrapper(["install", "status", "--profile", profile, "--json"]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ profile, state: "running", restartPolicy: "unless-stopped", ready: true, healthy: true });
    const stop = await wrapper(["install", "stop", "--profile", profile, "--json"]);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toEqual({ ok: true, profile, port, container });
    expect(await health(port)).toBeNull();
    // Stopped: exit 4, as the native CLI says it for the same manifest.
    const stopped = await wrapper(["install", "status", "--profile", profile, "--json"]);
    expect(stopped.code).toBe(4);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ ok: false, code: 4, state: "exited", healthy: false });
    expect((await hr(["install", "status", "--profile", profile], { ...env, HEADROOM_IMAGE: undefined })).code).toBe(4);
    const start = await wrapper(["install", "start", "--profile", profile]);
    expect(start.code).toBe(0);
    expect((await health(port))?.deployment?.profile).toBe(profile);
    const restart = await wrapper(["install", "restart", "--profile", profile]);
    expect(restart.code).toBe(0);
    expect((await health(port))?.deployment?.profile).toBe(profile);
  }, 90_000);

  test("re-apply is idempotent (one container); another profile on the same port is refused", async () => {
    const again = await wrapper(["install", "apply", "--profile", profile, "--port", String(port), "--mode", "cache"]);
    expect(again.code).toBe(0);
    expect(await containersNamed(container)).toEqual([container]);
    const other = await wrapper(["install", "apply", "--profile", `${profile}b`, "--port", String(port)]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/already configured for the profile/);
    expect(existsSync(join(home, ".headroom/deploy", `${profile}b`))).toBe(false);
  }, 90_000);

  test("wrap on the profile's port reuses its healthy container: no session container, the deployment keeps running afterwards", async () => {
    const bin = writeFakeTools(join(root, "fakebin-reuse"), ["claude"]);
    const out = join(root, "out-reuse");
    mkdirSync(out, { recursive: true });
    const before = await inspectContainer(container);
    expect(before?.running).toBe(true);
    const r = await wrapper(["wrap", "claude", "--port", String(port), "-v", "--", "-p", "hi"], { PATH: `${bin}:${process.env.PATH}`, FAKE_TOOL_OUT: out });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`using the persistent-docker profile "${profile}" on port ${port}`);
    const [run] = readRuns(out);
    expect(run?.args).toEqual(["-p", "hi"]);
    expect((run?.health?.deployment as { profile?: string } | undefined)?.profile).toBe(profile);
    expect(await containersNamed("headroom-wrap-")).toEqual([]);
    const after = await inspectContainer(container);
    expect(after?.running).toBe(true);
    expect(after?.pid).toBe(before?.pid); // the same process: not restarted, not stopped by the session
  }, 90_000);

  test("wrap on the port of a stopped profile starts its container again (docker start) and leaves it running", async () => {
    expect((await wrapper(["install", "stop", "--profile", profile])).code).toBe(0);
    expect((await inspectContainer(container))?.running).toBe(false);
    const bin = writeFakeTools(join(root, "fakebin-recover"), ["claude"]);
    const out = join(root, "out-recover");
    mkdirSync(out, { recursive: true });
    const r = await wrapper(["wrap", "claude", "--port", String(port), "--verbose"], { PATH: `${bin}:${process.env.PATH}`, FAKE_TOOL_OUT: out });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`the profile "${profile}" is stopped (exited); starting its container ${container}`);
    const [run] = readRuns(out);
    expect((run?.health?.deployment as { profile?: string } | undefined)?.profile).toBe(profile);
    expect(await containersNamed("headroom-wrap-")).toEqual([]);
    expect(await containersNamed(container)).toEqual([container]);
    expect((await inspectContainer(container))?.running).toBe(true);
    expect((await health(port))?.deployment?.profile).toBe(profile);
    expect((await wrapper(["install", "status", "--profile", profile])).code).toBe(0);
  }, 90_000);

  test("remove: no container, no profile folder", async () => {
    const r = await wrapper(["install", "remove", "--profile", profile, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, profile, port, container });
    expect(await inspectContainer(container)).toBeNull();
    expect(existsSync(join(home, ".headroom/deploy", profile))).toBe(false);
  }, 60_000);

  test("wrap: a fresh proxy container for the session, the tool on the host with its base URL, container removed, exit code kept", async () => {
    const bin = writeFakeTools(join(root, "fakebin"), ["claude"]);
    const out = join(root, "out");
    mkdirSync(out, { recursive: true });
    const wport = await freePort();
    const r = await wrapper(["wrap", "claude", "--port", String(wport), "--", "-p", "hello world"], {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_TOOL_OUT: out,
      FAKE_TOOL_EXIT: "7",
    });
    expect(r.code).toBe(7);
    const [run] = readRuns(out);
    expect(run?.args).toEqual(["-p", "hello world"]);
    expect(run?.env.ANTHROPIC_BASE_URL).toBe(`http://127.0.0.1:${wport}`);
    // The tool reached a live headroom proxy on the port during its session.
    expect(run?.health?.status).toBe("healthy");
    expect(await containersNamed("headroom-wrap-")).toEqual([]);
    expect(await health(wport)).toBeNull();
  }, 90_000);

  test("proxy: a foreground container on 127.0.0.1 (no terminal, so -i without -t); SIGTERM to the wrapper stops and removes it", async () => {
    const pport = await freePort();
    const clean = Object.fromEntries(Object.entries(env).filter(([, x]) => x !== undefined)) as Record<string, string>;
    const proc = Bun.spawn(["/bin/sh", WRAPPER, "proxy", "--port", String(pport), "--mode", "cache"], { env: clean, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    try {
      let h = null;
      for (let i = 0; i < 300 && !h; i++) {
        h = await health(pport);
        if (!h) await Bun.sleep(100);
      }
      expect(h).not.toBeNull();
      const s = await inspectContainer(`headroom-proxy-${pport}`);
      expect(s?.ports).toEqual({ [`${pport}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: String(pport) }] });
      expect(s?.args).toEqual(["proxy", "--host", "0.0.0.0", "--port", String(pport), "--mode", "cache"]);
      proc.kill("SIGTERM");
      expect(await proc.exited).not.toBe(127);
      let gone = false;
      for (let i = 0; i < 200 && !gone; i++) {
        gone = (await inspectContainer(`headroom-proxy-${pport}`)) === null;
        if (!gone) await Bun.sleep(100);
      }
      expect(gone).toBe(true);
    } finally {
      proc.kill("SIGKILL");
      await removeContainers([`headroom-proxy-${pport}`]);
    }
  }, 90_000);

  test("wrap --no-proxy starts no container", async () => {
    const bin = writeFakeTools(join(root, "fakebin2"), ["codex"]);
    const out = join(root, "out2");
    mkdirSync(out, { recursive: true });
    const r = await wrapper(["wrap", "codex", "--no-proxy", "--port", "9"], { PATH: `${bin}:${process.env.PATH}`, FAKE_TOOL_OUT: out, DOCKER_HOST: `unix://${root}/dead.sock` });
    expect(r.code).toBe(0);
    const [run] = readRuns(out);
    expect(run?.env.OPENAI_BASE_URL).toBe("http://127.0.0.1:9/v1");
    expect(run?.health).toBeNull();
  }, 30_000);
});

test("one-sentence helper sanity", () => {
  expect(isOneSentence("headroom: x\n")).toBe(true);
});
