// persistent-docker through the compiled binary on a real Docker engine (own temp HOME,
// free port): the container runs with restart policy unless-stopped, published on
// 127.0.0.1 only, /health names the deployment with runtime docker; API keys reach the
// container by name only (never in the manifest or the container's command line); the
// engine restarts a SIGKILLed container; stop frees the port; remove leaves nothing.
// Refusals (no docker CLI, no engine, no image) change nothing. `--runtime docker` with
// persistent-service: a real systemd user manager runs the foreground container.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { buildManifest } from "../../src/install/plan.ts";
import { makeContext } from "../../src/install/context.ts";
import { CONTAINER_WORKSPACE } from "../../src/install/docker-argv.ts";
import { dockerRunArgv } from "../../src/install/docker-argv.ts";
import { containersNamed, docker, dockerSkipReason, ensureTestImage, inspectContainer, removeContainers, TEST_IMAGE } from "../support/docker.ts";
import { type UserManager, startUserManager, systemdAvailable } from "../support/systemd.ts";
import { freePort, health, healthyAs, hr, isOneSentence, until } from "./install-support.ts";

const SECRET = "sk-test-secret";

describe("docker run argument vectors (pure)", () => {
  const home = "/home/u";
  const draft = (extra: Record<string, unknown> = {}) =>
    buildManifest(
      { preset: "persistent-docker", profile: "p1", port: "9123", anthropicApiUrl: "https://anthropic.example/", env: ["EXTRA_FLAG=x y"], ...extra },
      { HOME: home, PATH: process.env.PATH },
      "/usr/local/bin/headroom",
    ).manifest;

  test("detached: restart policy, loopback publish, container paths, keys by name, only proxy flags after the image", () => {
    const m = { ...draft(), image: "headroom:test" };
    const ctx = makeContext(m, { env: { HOME: home, ANTHROPIC_API_KEY: SECRET, PATH: process.env.PATH }, os: "linux" });
    const argv = dockerRunArgv({ ...ctx, uid: 1000, gid: 1001 }, { detached: true });
    const joined = argv.join(" ");
    expect(argv.slice(0, 5)).toEqual(["docker", "run", "-d", "--restart", "unless-stopped"]);
    expect(joined).toContain("--name headroom-p1");
    expect(joined).toContain("-p 127.0.0.1:9123:9123");
    expect(joined).toContain("--user 1000:1001");
    for (const kv of ["HOME=/tmp/headroom-home", "HEADROOM_WORKSPACE_DIR=/tmp/headroom-home/.headroom", "HEADROOM_CONFIG_DIR=/tmp/headroom-home/.headroom/config", "HEADROOM_DEPLOYMENT_PROFILE=p1", "HEADROOM_DEPLOYMENT_RUNTIME=docker", "HEADROOM_DEPLOYMENT_SUPERVISOR=docker"]) {
      expect(argv[argv.indexOf(kv) - 1]).toBe("--env");
    }
    // Keys by name only: the value is nowhere on the command line. --env values are not
    // passed at all: the container reads them from the mounted 0600 manifest.
    expect(argv[argv.indexOf("ANTHROPIC_API_KEY") - 1]).toBe("--env");
    expect(argv.some((w) => w.startsWith("EXTRA_FLAG"))).toBe(false);
    expect(joined).not.toContain(SECRET);
    expect(joined).not.toContain("x y");
    // OPENAI_API_KEY is not in the client's environment, so it is not listed.
    expect(argv).not.toContain("OPENAI_API_KEY");
    expect(argv).toContain(`type=bind,source=${m.workspaceDir},target=${CONTAINER_WORKSPACE}`);
    const after = argv.slice(argv.indexOf("headroom:test") + 1);
    expect(after).toEqual(["--host", "0.0.0.0", "--port", "9123", "--mode", "auto", "--anthropic-api-url", "https://anthropic.example/"]);
    expect(after.join(" ")).not.toContain(home);
  });

  test("foreground (service/task presets): --rm, no -d, no restart policy, absolute docker path, same container contract", () => {
    const m = { ...draft({ preset: "persistent-service", runtime: "docker" }) };
    const ctx = makeContext(m, { env: { HOME: home, PATH: process.env.PATH }, os: "linux" });
    const argv = dockerRunArgv(ctx, { detached: false });
    expect(argv[1]).toBe("run");
    expect(argv[2]).toBe("--rm");
    expect(argv).not.toContain("-d");
    expect(argv).not.toContain("--restart");
    if (Bun.which("docker")) expect(argv[0]).toBe(Bun.which("docker")!);
    expect(argv).toContain("HEADROOM_DEPLOYMENT_SUPERVISOR=service");
    expect(argv).toContain("HEADROOM_DEPLOYMENT_PRESET=persistent-service");
    // Names the unit's environment may carry are listed even when unset at render time.
    expect(argv[argv.indexOf("ANTHROPIC_API_KEY") - 1]).toBe("--env");
    expect(argv[argv.indexOf("headroom:local") + 1]).toBe("--host");
  });

  test("a path with a comma is CSV-quoted in --mount; macOS gets no --user", () => {
    const m = { ...draft(), workspaceDir: "/tmp/a,b/.headroom" };
    const ctx = makeContext(m, { env: { HOME: home }, os: "darwin" });
    const argv = dockerRunArgv(ctx, { detached: true });
    expect(argv).toContain(`type=bind,"source=/tmp/a,b/.headroom",target=${CONTAINER_WORKSPACE}`);
    expect(argv).not.toContain("--user");
  });
});

const skip = dockerSkipReason();

describe.skipIf(skip !== null)("install persistent-docker on a real engine", () => {
  let home: string;
  let env: Record<string, string | undefined>;
  let port: number;
  const profile = `dk${process.pid}`;
  const container = `headroom-${profile}`;
  const ws = () => join(home, ".headroom");
  const base = () => ["--preset", "persistent-docker", "--profile", profile, "--providers", "manual", "--target", "claude", "--image", TEST_IMAGE];

  beforeAll(async () => {
    await ensureTestImage();
    home = mkdtempSync("/tmp/headroom-dkin-");
    mkdirSync(join(home, ".claude"));
    env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: undefined, HEADROOM_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined, ANTHROPIC_API_KEY: SECRET, OPENAI_API_KEY: undefined };
    port = await freePort();
  }, 180_000);

  afterAll(async () => {
    if (!home) return;
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    await removeContainers(await containersNamed(container));
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("apply: running container, restart unless-stopped, 127.0.0.1 only, /health names the deployment, no secret outside Env", async () => {
    const r = await hr(["install", "apply", ...base(), "--port", String(port)], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const s = await inspectContainer(container);
    expect(s?.running).toBe(true);
    expect(s?.restartPolicy).toBe("unless-stopped");
    expect(s?.ports).toEqual({ [`${port}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: String(port) }] });
    expect(s?.user).toBe(`${process.getuid!()}:${process.getgid!()}`);
    const h = await health(port);
    expect(h?.deployment).toEqual({ profile, preset: "persistent-docker", runtime: "docker", supervisor: "docker", scope: "user" });
    // The key reached the container by name pass-through, and only there.
    expect(s?.env).toContain(`ANTHROPIC_API_KEY=${SECRET}`);
    expect(s?.args.join(" ")).not.toContain(SECRET);
    expect(s?.args[0]).toBe("proxy");
    expect(s?.args).toContain(String(port));
    const manifestText = readFileSync(join(ws(), "deploy", profile, "manifest.json"), "utf8");
    expect(manifestText).not.toContain(SECRET);
    const m = JSON.parse(manifestText);
    expect(m).toMatchObject({ preset: "persistent-docker", runtime: "docker", image: TEST_IMAGE, port });
    // Container paths inside, host workspace bind-mounted; the tool folder read-only.
    const mounts = JSON.parse((await docker(["inspect", "-f", "{{json .Mounts}}", container])).stdout) as { Source: string; Destination: string; RW: boolean }[];
    expect(mounts).toEqual(expect.arrayContaining([
      expect.objectContaining({ Source: ws(), Destination: "/tmp/headroom-home/.headroom", RW: true }),
      expect.objectContaining({ Source: join(home, ".claude"), Destination: "/tmp/headroom-home/.claude", RW: false }),
    ]));
  }, 90_000);

  test("status: the container's view, exit 0", async () => {
    const r = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const view = Array.isArray(s) ? s[0] : s.profiles?.[0] ?? s;
    expect(JSON.stringify(view)).toContain('"kind":"docker"');
    expect(view.healthy).toBe(true);
  }, 30_000);

  test("kill -9 of the container's main process from the host: the engine restarts it, healthy again", async () => {
    const before = await inspectContainer(container);
    expect(before?.pid).toBeGreaterThan(0);
    process.kill(before!.pid, "SIGKILL");
    const after = await until(async () => {
      const s = await inspectContainer(container);
      return s?.running && s.pid !== before!.pid && s.restarts > before!.restarts ? s : null;
    }, 60_000, 100);
    expect(after).not.toBeNull();
    expect((await healthyAs(port, profile))?.deployment?.runtime).toBe("docker");
  }, 90_000);

  test("stop frees the port and keeps the container; start brings it back", async () => {
    const stop = await hr(["install", "stop", "--profile", profile], env);
    expect(stop.code).toBe(0);
    expect(await health(port)).toBeNull();
    expect((await inspectContainer(container))?.running).toBe(false);
    const st = await hr(["install", "status", "--profile", profile], env);
    expect(st.code).not.toBe(0);
    const start = await hr(["install", "start", "--profile", profile], env);
    expect(start.code).toBe(0);
    expect((await healthyAs(port, profile))?.deployment?.profile).toBe(profile);
  }, 90_000);

  test("restart: the same container runs again with a new process, healthy", async () => {
    const before = await inspectContainer(container);
    const r = await hr(["install", "restart", "--profile", profile], env);
    expect(r.code).toBe(0);
    const after = await inspectContainer(container);
    expect(after?.id).toBe(before!.id);
    expect(after?.running).toBe(true);
    expect(after?.pid).not.toBe(before!.pid);
    expect((await healthyAs(port, profile))?.deployment?.profile).toBe(profile);
  }, 90_000);

  test("a container deleted by hand: status says so, start creates it again", async () => {
    await docker(["rm", "-f", container]);
    const st = await hr(["install", "status", "--profile", profile], env);
    expect(st.code).not.toBe(0);
    expect(st.stdout + st.stderr).toContain(`The container ${container} does not exist`);
    const start = await hr(["install", "start", "--profile", profile], env);
    expect(start.code).toBe(0);
    expect((await inspectContainer(container))?.restartPolicy).toBe("unless-stopped");
    expect((await healthyAs(port, profile))?.deployment?.profile).toBe(profile);
  }, 90_000);

  test("remove: no container, no profile folder", async () => {
    const r = await hr(["install", "remove", "--profile", profile], env);
    expect(r.code).toBe(0);
    expect(await inspectContainer(container)).toBeNull();
    expect(existsSync(join(ws(), "deploy", profile))).toBe(false);
    expect(await health(port)).toBeNull();
  }, 60_000);

  const refused = async (args: string[], extraEnv: Record<string, string | undefined>, pattern: RegExp) => {
    const name = `${profile}x`;
    const r = await hr(["install", "apply", ...base().map((a) => (a === profile ? name : a)), "--port", String(port), ...args], { ...env, ...extraEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(isOneSentence(r.stderr)).toBe(true);
    expect(existsSync(join(ws(), "deploy", name))).toBe(false);
    expect(await inspectContainer(`headroom-${name}`)).toBeNull();
    expect(existsSync(join(home, ".bashrc"))).toBe(false);
  };

  test("no engine (DOCKER_HOST points at a dead socket): one sentence, nothing changed", async () => {
    await refused([], { DOCKER_HOST: `unix://${home}/dead.sock` }, /Docker engine is not reachable/);
  }, 30_000);

  test("no such image: one sentence naming it, nothing changed", async () => {
    await refused(["--image", "headroom:nope"], {}, /image "headroom:nope" is not available/);
  }, 30_000);

  test("no docker CLI on PATH: one sentence, nothing changed", async () => {
    const bin = join(home, "nodocker");
    mkdirSync(bin, { recursive: true });
    for (const tool of ["systemctl", "crontab", "loginctl"]) {
      const p = Bun.which(tool);
      if (p && !existsSync(join(bin, tool))) symlinkSync(p, join(bin, tool));
    }
    await refused([], { PATH: bin }, /docker command was not found/);
  }, 30_000);
});

const sdReason = skip ?? systemdAvailable();
if (sdReason && skip === null && process.env.CI === "true") throw new Error(`CI must run the docker+systemd test: ${sdReason}`);

describe.skipIf(sdReason !== null)("--runtime docker with persistent-service on a real systemd user manager", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let port: number;
  const profile = `dks${process.pid}`;
  const container = `headroom-${profile}`;

  beforeAll(async () => {
    await ensureTestImage();
    sd = await startUserManager({ prefix: "headroom-dksvc-" });
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: undefined };
    port = await freePort();
  }, 180_000);

  afterAll(async () => {
    if (!sd) return;
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    await sd.stop();
    await removeContainers(await containersNamed(container));
  }, 90_000);

  test("the unit runs the container in the foreground; /health reports runtime docker, supervisor service; remove leaves nothing", async () => {
    const r = await hr(["install", "apply", "--preset", "persistent-service", "--runtime", "docker", "--profile", profile, "--port", String(port), "--providers", "manual", "--target", "claude", "--image", TEST_IMAGE], env);
    expect({ code: r.code, stderr: r.stderr.replace(/^headroom: warning: .*\n/gm, "") }).toEqual({ code: 0, stderr: "" });
    const unit = readFileSync(join(sd.home, ".config/systemd/user", `headroom-${profile}.service`), "utf8");
    const exec = unit.split("\n").find((l) => l.startsWith("ExecStart="))!;
    expect(exec).toMatch(/^ExecStart=\/\S*docker run --rm /);
    expect(exec).toContain(`--name ${container}`);
    expect(exec).toContain(`-p 127.0.0.1:${port}:${port}`);
    expect((await sd.systemctl(["is-active", `headroom-${profile}.service`])).stdout.trim()).toBe("active");
    const s = await inspectContainer(container);
    expect(s?.running).toBe(true);
    expect(s?.restartPolicy).toBe("no");
    const h = await health(port);
    expect(h?.deployment).toEqual({ profile, preset: "persistent-service", runtime: "docker", supervisor: "service", scope: "user" });
    // SIGKILL of the unit's `docker run` client leaves its container running with the
    // name taken; the unit's restart must clear it and run a fresh container.
    const clientPid = Number((await sd.systemctl(["show", `headroom-${profile}.service`, "-p", "MainPID", "--value"])).stdout.trim());
    expect(clientPid).toBeGreaterThan(0);
    process.kill(clientPid, "SIGKILL");
    const fresh = await until(async () => {
      const c = await inspectContainer(container);
      return c?.running && c.id !== s!.id ? c : null;
    }, 60_000, 100);
    expect(fresh).not.toBeNull();
    expect((await healthyAs(port, profile))?.deployment?.runtime).toBe("docker");
    expect((await sd.systemctl(["is-active", `headroom-${profile}.service`])).stdout.trim()).toBe("active");
    const rm = await hr(["install", "remove", "--profile", profile], env);
    expect(rm.code).toBe(0);
    expect(await until(async () => (await inspectContainer(container)) === null, 30_000, 100)).toBe(true);
    // remove also takes out the unit folder when apply created it and it is empty now.
    const unitDir = join(sd.home, ".config/systemd/user");
    expect(existsSync(unitDir) ? readdirSync(unitDir).filter((f) => f.startsWith("headroom-")) : []).toEqual([]);
  }, 120_000);
});
