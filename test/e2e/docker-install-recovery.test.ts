// Docker runtimes that go wrong, on a real engine (own temp HOME, free ports): a
// persistent-docker container that crash-loops ends apply's wait early with the engine's
// view (not after the full timeout), and the watchdog (`agent ensure`) of a docker
// runtime clears a leftover container that holds the deployment's name before it runs a
// new one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureRuntime } from "../../src/install/agent.ts";
import { buildManifest } from "../../src/install/plan.ts";
import { readPidFile } from "../../src/install/runtime-process.ts";
import { saveManifest } from "../../src/install/store.ts";
import { containersNamed, docker, dockerSkipReason, ensureTestImage, inspectContainer, removeContainers, sh, TEST_IMAGE } from "../support/docker.ts";
import { freePort, health, hr, isOneSentence } from "./install-support.ts";

const skip = dockerSkipReason();
const CRASH_IMAGE = `${TEST_IMAGE}-crash`;

describe.skipIf(skip !== null)("docker runtimes that fail or leave a container behind", () => {
  let home: string;
  let env: Record<string, string | undefined>;
  const prefix = `headroom-dkr${process.pid}`;
  const pids: number[] = [];

  beforeAll(async () => {
    await ensureTestImage();
    // The test image with an entrypoint that exits 2 at once: a container that crash-loops.
    const b = await sh(["docker", "build", "-q", "-t", CRASH_IMAGE, "-"], process.env, 120_000, `FROM ${TEST_IMAGE}\nENTRYPOINT ["headroom", "no-such-command"]\n`);
    if (b.code !== 0) throw new Error(`could not build ${CRASH_IMAGE}: ${b.stderr}`);
    home = mkdtempSync("/tmp/headroom-dkr-");
    env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: join(home, ".headroom"), HEADROOM_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined, HEADROOM_BIN: undefined };
  }, 180_000);

  afterAll(async () => {
    for (const pid of pids) {
      try { process.kill(pid, "SIGKILL"); } catch {}
    }
    await removeContainers(await containersNamed(prefix));
    await docker(["image", "rm", "-f", CRASH_IMAGE]).catch(() => {});
    if (home) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("persistent-docker: a crash-looping container ends apply's wait with the container's state, and nothing is left", async () => {
    const profile = `dkr${process.pid}a`;
    const r = await hr(["install", "apply", "--preset", "persistent-docker", "--profile", profile, "--providers", "manual", "--target", "claude", "--image", CRASH_IMAGE, "--port", String(await freePort())], env);
    expect(r.code).toBe(1);
    expect(isOneSentence(r.stderr)).toBe(true);
    expect(r.stderr).toContain(`the container headroom-${profile} keeps crashing`);
    expect(r.stderr).toContain(`See the container's output with \`docker logs headroom-${profile}\`.`);
    expect(r.stderr).not.toContain("runner.log");
    expect(r.stderr).not.toContain("did not answer within");
    expect(r.stderr).toContain("Nothing was left installed");
    expect(await inspectContainer(`headroom-${profile}`)).toBeNull();
  }, 90_000);

  test("agent ensure (docker runtime): a leftover container holding the name is removed, and the new one serves", async () => {
    const profile = `dkr${process.pid}b`;
    const name = `headroom-${profile}`;
    const port = await freePort();
    const m = buildManifest({ preset: "persistent-task", runtime: "docker", profile, providers: "manual", targets: ["claude"], image: TEST_IMAGE, port: String(port) }, env, "/unused/headroom").manifest;
    saveManifest(m, env);
    // What a killed `docker run` client can leave behind: a container with the name, not serving.
    const left = await docker(["create", "--name", name, TEST_IMAGE, "--port", String(port)]);
    expect(left.code).toBe(0);
    const leftId = left.stdout.trim();
    expect(await ensureRuntime(m, env, 60_000)).toBe("started");
    const pid = readPidFile(profile, env);
    if (pid) pids.push(pid);
    expect((await health(port))?.deployment).toMatchObject({ profile, runtime: "docker" });
    const now = await inspectContainer(name);
    expect(now?.running).toBe(true);
    expect(now?.id).not.toBe(leftId);
  }, 90_000);
});
