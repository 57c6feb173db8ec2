// The image and the compose file on a real Docker engine: `docker-build.ts` builds a
// FROM-scratch image from the compiled binary (nothing pulled), its HEALTHCHECK (the
// binary itself, no shell or curl in the image) turns healthy, it runs as a non-root
// user with the container paths of SPEC 2; docker-compose.native.yml starts a healthy
// proxy published on 127.0.0.1 with restart unless-stopped.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseLdd } from "../../scripts/docker-build.ts";
import { repoRoot } from "../support/bin.ts";
import { docker, dockerSkipReason, ensureTestImage, inspectContainer, removeContainers, sh, TEST_IMAGE, waitContainerHealthy } from "../support/docker.ts";
import { freePort } from "./install-support.ts";

test("parseLdd keeps the absolute paths of ldd output, loader included", () => {
  const out = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8d)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f8e)",
    "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f8f)",
  ].join("\n");
  expect(parseLdd(out)).toEqual(["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libm.so.6"]);
});

test("the Dockerfile states the runtime contract", () => {
  const text = readFileSync(join(repoRoot, "docker/Dockerfile"), "utf8");
  expect(text).toMatch(/^FROM scratch$/m);
  expect(text).toContain('ENTRYPOINT ["headroom", "proxy"]');
  expect(text).toContain('CMD ["--host", "0.0.0.0", "--port", "8787"]');
  expect(text).toMatch(/^EXPOSE 8787$/m);
  expect(text).toMatch(/HEALTHCHECK [^\n]*\\\n\s+CMD \["headroom", "healthcheck"\]/);
  expect(text).toMatch(/^USER 10001:10001$/m);
  const instructions = text.split("\n").filter((l) => !l.startsWith("#")).join("\n");
  expect(instructions).not.toMatch(/curl|wget|RUN /);
});

test("docker-compose.native.yml (structure): cli and proxy, loopback publish by default, required host home", () => {
  const text = readFileSync(join(repoRoot, "docker/docker-compose.native.yml"), "utf8");
  const body = text.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");
  expect(body).toMatch(/^services:\n/m);
  expect(body).toMatch(/^  proxy:\n/m);
  expect(body).toMatch(/^  cli:\n/m);
  expect(body).toContain("restart: unless-stopped");
  expect(body).toContain('"${HEADROOM_BIND:-127.0.0.1}:${HEADROOM_PORT:-8787}:8787"');
  expect(body).toContain("${HEADROOM_HOST_HOME:?");
  expect(body).toContain("${HEADROOM_WORKSPACE:-.}:/workspace");
  expect(body).toContain("image: ${HEADROOM_IMAGE:-headroom:local}");
  expect(body).toContain("HEADROOM_WORKSPACE_DIR=/tmp/headroom-home/.headroom");
  // Secrets by name only, and the token advice for wider binds.
  expect(body).toMatch(/^\s+- ANTHROPIC_API_KEY$/m);
  expect(body).not.toMatch(/API_KEY=/);
  expect(text).toMatch(/#.*HEADROOM_BIND[\s\S]*HEADROOM_PROXY_TOKEN/);
});

const skip = dockerSkipReason();

describe.skipIf(skip !== null)("image and compose on a real engine", () => {
  const names: string[] = [];
  let tmp: string;
  const project = `hrtest${process.pid}`;
  const composeFile = join(repoRoot, "docker/docker-compose.native.yml");
  let composeEnv: Record<string, string | undefined>;

  beforeAll(async () => {
    await ensureTestImage();
    tmp = mkdtempSync("/tmp/headroom-dimg-");
  }, 180_000);

  afterAll(async () => {
    await removeContainers(names);
    if (composeEnv && Bun.which("docker-compose")) await sh(["docker-compose", "-p", project, "-f", composeFile, "down", "-t", "2"], composeEnv).catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  test("the image is tiny and self-contained: no shell, non-root user, container paths", async () => {
    const cfg = JSON.parse((await docker(["image", "inspect", TEST_IMAGE])).stdout)[0].Config;
    expect(cfg.User).toBe("10001:10001");
    expect(cfg.Entrypoint).toEqual(["headroom", "proxy"]);
    expect(cfg.Cmd).toEqual(["--host", "0.0.0.0", "--port", "8787"]);
    expect(Object.keys(cfg.ExposedPorts)).toEqual(["8787/tcp"]);
    expect(cfg.Healthcheck.Test).toEqual(["CMD", "headroom", "healthcheck"]);
    expect(cfg.Env).toEqual(expect.arrayContaining(["HOME=/tmp/headroom-home", "HEADROOM_WORKSPACE_DIR=/tmp/headroom-home/.headroom", "HEADROOM_CONFIG_DIR=/tmp/headroom-home/.headroom/config"]));
    // No shell to fall back on: the healthcheck really is the binary.
    const shell = await docker(["run", "--rm", "--entrypoint", "/bin/sh", TEST_IMAGE, "-c", "true"]);
    expect(shell.code).not.toBe(0);
    const version = await docker(["run", "--rm", "--entrypoint", "headroom", TEST_IMAGE, "--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  }, 60_000);

  test("a container from the image turns healthy through its own HEALTHCHECK and serves on the published port", async () => {
    const port = await freePort();
    const name = `headroom-imgtest-${process.pid}`;
    names.push(name);
    // Only the check interval is shortened for the test; the check command is the image's.
    const r = await docker(["run", "-d", "--name", name, "--health-interval", "1s", "-p", `127.0.0.1:${port}:8787`, TEST_IMAGE]);
    expect(r.stderr).not.toContain("Unable to find image");
    expect(r.code).toBe(0);
    const s = await waitContainerHealthy(name);
    expect(s?.health).toBe("healthy");
    const res = await fetch(`http://127.0.0.1:${port}/livez`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { alive?: boolean }).alive).toBe(true);
    const top = await docker(["exec", name, "headroom", "healthcheck", "--port", "8787"]);
    expect(top.code).toBe(0);
  }, 90_000);

  test.skipIf(!Bun.which("docker-compose"))("docker-compose.native.yml: HEADROOM_HOST_HOME is required", async () => {
    const r = await sh(["docker-compose", "-p", project, "-f", composeFile, "config"], { ...process.env, HEADROOM_HOST_HOME: undefined });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("HEADROOM_HOST_HOME");
  }, 30_000);

  test.skipIf(!Bun.which("docker-compose"))("docker-compose.native.yml starts a healthy proxy on 127.0.0.1 with restart unless-stopped", async () => {
    const home = join(tmp, "home");
    mkdirSync(join(home, ".headroom"), { recursive: true });
    const port = await freePort();
    composeEnv = {
      ...process.env,
      HEADROOM_HOST_HOME: home,
      HEADROOM_WORKSPACE: tmp,
      HEADROOM_PORT: String(port),
      HEADROOM_IMAGE: TEST_IMAGE,
      HEADROOM_UID: String(process.getuid!()),
      HEADROOM_GID: String(process.getgid!()),
      HEADROOM_BIND: undefined,
    };
    const up = await sh(["docker-compose", "-p", project, "-f", composeFile, "up", "-d", "proxy"], composeEnv);
    expect(up.code).toBe(0);
    const ids = (await docker(["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`, "--filter", "label=com.docker.compose.service=proxy"])).stdout.trim().split("\n").filter(Boolean);
    expect(ids.length).toBe(1);
    const s = await inspectContainer(ids[0]!);
    expect(s?.restartPolicy).toBe("unless-stopped");
    expect(s?.ports["8787/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(port) }]);
    expect(s?.env).toEqual(expect.arrayContaining(["HEADROOM_WORKSPACE_DIR=/tmp/headroom-home/.headroom", "HOME=/tmp/headroom-home"]));
    // The HEALTHCHECK decides: the engine itself must call the container healthy (first check after its interval).
    expect((await waitContainerHealthy(ids[0]!, 60_000))?.health).toBe("healthy");
    const h = await fetch(`http://127.0.0.1:${port}/health`);
    expect(h.status).toBe(200);
    // The only container of the project: `cli` is behind a profile and was not started.
    const all = (await docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])).stdout.trim().split("\n").filter(Boolean);
    expect(all.length).toBe(1);
    const down = await sh(["docker-compose", "-p", project, "-f", composeFile, "down", "-t", "5"], composeEnv);
    expect(down.code).toBe(0);
  }, 120_000);
});
