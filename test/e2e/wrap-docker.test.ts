// `headroom wrap` with a persistent-docker deployment on a real Docker engine (the test
// image is built from the binary under test, nothing pulled): a running container is
// reused and left running; a stopped one is recovered with `docker start` (the same
// container, its /health naming the profile), not replaced by a session proxy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runBin } from "../support/bin.ts";
import { TEST_IMAGE, containersNamed, docker, dockerSkipReason, ensureTestImage, inspectContainer, removeContainers } from "../support/docker.ts";
import { type WrapSandbox, freePort, makeWrapSandbox, readRuns, until } from "../support/fake-tool.ts";
import { health } from "./install-support.ts";

const skip = dockerSkipReason();

async function containerId(name: string): Promise<string> {
  return (await docker(["inspect", "-f", "{{.Id}}", name])).stdout.trim();
}

describe.skipIf(skip !== null)("wrap with a persistent-docker deployment (real Docker engine)", () => {
  let sb: WrapSandbox;
  let port: number;
  const profile = `wrapdk${process.pid}`;
  const container = `headroom-${profile}`;

  beforeAll(async () => {
    await ensureTestImage();
    sb = makeWrapSandbox("headroom-wrap-dk-");
    port = await freePort();
    const apply = await runBin(
      ["install", "apply", "--preset", "persistent-docker", "--profile", profile, "--image", TEST_IMAGE, "--port", String(port), "--providers", "manual", "--target", "claude", "--scope", "user"],
      { env: sb.env, timeoutMs: 120_000 },
    );
    if (apply.code !== 0) throw new Error(`install apply (docker) failed: ${apply.stderr}${apply.stdout}`);
  }, 240_000);

  afterAll(async () => {
    if (!sb) return;
    await runBin(["install", "remove", "--profile", profile], { env: sb.env, timeoutMs: 60_000 }).catch(() => {});
    await removeContainers(await containersNamed(container));
    await sb.cleanup();
  }, 90_000);

  test("a running container is reused and left running", async () => {
    const id = await containerId(container);
    const r = await runBin(["wrap", "claude", "--port", String(port)], { env: sb.env });
    expect(r.code).toBe(0);
    const run = readRuns(sb.out).at(-1)!;
    expect(run.health?.deployment).toMatchObject({ profile, runtime: "docker", supervisor: "docker" });
    expect((await inspectContainer(container))?.running).toBe(true);
    expect(await containerId(container)).toBe(id);
    expect(existsSync(join(sb.workspace, "clients", String(port), "proxy.json"))).toBe(false);
  }, 60_000);

  test("a stopped container is recovered with docker start: the same container serves the tool", async () => {
    const id = await containerId(container);
    expect((await docker(["stop", "-t", "5", container])).code).toBe(0);
    await until(async () => (await health(port)) === null, 30_000, "port to be free");
    const r = await runBin(["wrap", "claude", "--port", String(port), "-v"], { env: sb.env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("recover");
    const run = readRuns(sb.out).at(-1)!;
    expect(run.health?.deployment).toMatchObject({ profile, runtime: "docker" });
    const state = await inspectContainer(container);
    expect(state?.running).toBe(true);
    expect(await containerId(container)).toBe(id);
    expect((await health(port))?.deployment?.profile).toBe(profile);
    expect(existsSync(join(sb.workspace, "clients", String(port), "proxy.json"))).toBe(false);
  }, 180_000);
});
