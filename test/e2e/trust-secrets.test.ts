// Secrets stay private: `install apply --env ANTHROPIC_API_KEY=<value>` on a real systemd
// user manager (service and task presets) and on a real Docker engine (persistent-docker).
// No file that others may read (mode & 0o044) under
// HOME, the workspace or the unit folder holds the value; the runtime still gets it; the
// dry run and `apply --json` hide it; `docker inspect` of the container shows no value
// given with --env (only the names of the container's own variables and the provider
// keys the docker client passed through from its own environment).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { containersNamed, docker, dockerAvailable, ensureTestImage, removeContainers, TEST_IMAGE } from "../support/docker.ts";
import { type UserManager, startUserManager, systemdSkipReason } from "../support/systemd.ts";
import { freePort, healthyAs, hr, killAll, runtimePids, until } from "./install-support.ts";
import { othersReadable } from "./trust-support.ts";

const SECRET = "sk-ant-secret-xyz";
const TOKEN = "tok-secret-7f3a";

/** Every file others may read under `root` that holds the secret. */
function leaks(root: string, secret = SECRET): string[] {
  return othersReadable(root).filter((f) => readFileSync(f.path).includes(secret)).map((f) => `${f.path} (${f.mode.toString(8)})`);
}

/** Whether the proxy on `port` requires its token from a caller that is not on loopback: it got HEADROOM_PROXY_TOKEN. */
async function tokenSetInContainer(port: number): Promise<boolean> {
  const r = await fetch(`http://127.0.0.1:${port}/stats`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  return r?.status === 401;
}

const sdSkip = systemdSkipReason();

describe.skipIf(sdSkip !== null)("secrets stay private on systemd", () => {
  let sd: UserManager;
  let env: Record<string, string | undefined>;
  let ws: string;

  beforeAll(async () => {
    sd = await startUserManager({ prefix: "headroom-trust-sec-" });
    ws = join(sd.home, ".headroom");
    env = { ...sd.env, HEADROOM_BIN: undefined, HEADROOM_TASK_BACKEND: "systemd", ANTHROPIC_API_KEY: undefined };
    mkdirSync(join(sd.home, ".claude"), { recursive: true });
  }, 30_000);

  afterAll(async () => {
    if (!sd) return;
    for (const p of ["sec", "sectask"]) await hr(["install", "remove", "--profile", p], env).catch(() => {});
    killAll([...runtimePids("sec", ws), ...runtimePids("sectask", ws)]);
    await sd.stop();
  }, 60_000);

  test("service and task presets: no readable file holds the value, the runtime has it, the output hides it", async () => {
    for (const [p, preset] of [["sec", "persistent-service"], ["sectask", "persistent-task"]] as const) {
      const port = await freePort();
      const args = ["install", "apply", "--profile", p, "--preset", preset, "--scope", "user", "--providers", "manual", "--target", "claude", "--port", String(port), "--env", `ANTHROPIC_API_KEY=${SECRET}`, "--env", `HEADROOM_PROXY_TOKEN=${TOKEN}`];
      const dry = await hr([...args, "--dry-run"], env);
      const dryJson = await hr([...args, "--dry-run", "--json"], env);
      for (const r of [dry, dryJson]) {
        expect(r.code).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(SECRET);
        expect(r.stdout).toContain("ANTHROPIC_API_KEY");
      }
      const r = await hr([...args, "--json"], env);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(JSON.parse(r.stdout).manifest.env.ANTHROPIC_API_KEY).toContain("hidden");
      expect(await healthyAs(port, p)).not.toBeNull();
      // The runtime got the values from the manifest: with the proxy token set, /health says a token is required.
      const h = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { config?: { token_required?: boolean } };
      expect(h.config?.token_required).toBe(true);
      // Only the 0600 manifest holds it.
      const manifest = join(ws, "deploy", p, "manifest.json");
      expect(readFileSync(manifest, "utf8")).toContain(SECRET);
      expect(statSync(manifest).mode & 0o777).toBe(0o600);
      expect(leaks(sd.home)).toEqual([]);
      expect(leaks(sd.home, TOKEN)).toEqual([]);
      // Nor does the manager hand it out: the unit's Environment property names the workspace only.
      for (const unit of preset === "persistent-task" ? [`headroom-${p}-ensure.service`] : [`headroom-${p}.service`]) {
        const shown = await sd.systemctl(["show", unit, "-p", "Environment", "--value"]);
        expect(shown.stdout).not.toContain(SECRET);
        expect(shown.stdout.trim()).toBe(`HEADROOM_WORKSPACE_DIR=${ws}`);
      }
      for (const pid of runtimePids(p, ws)) expect(readFileSync(`/proc/${pid}/environ`, "utf8")).not.toContain(SECRET);
    }
    // The files that others may read are the ones expected, and they were all checked above.
    const readable = othersReadable(sd.home).map((f) => f.path.slice(sd.home.length + 1)).filter((f) => !f.startsWith("run/"));
    expect(readable.some((f) => f.startsWith(".config/systemd/user/headroom-sec.service"))).toBe(true);
  }, 120_000);
});

const dockerReason = dockerAvailable();
if (dockerReason && process.env.CI === "true") throw new Error(`CI must run the docker tests: ${dockerReason}`);

describe.skipIf(dockerReason !== null)("secrets stay private with the docker runtime (real engine)", () => {
  let home: string;
  let env: Record<string, string | undefined>;
  const profile = `dsec${process.pid}`;
  const container = `headroom-${profile}`;

  beforeAll(async () => {
    await ensureTestImage();
    home = mkdtempSync("/tmp/headroom-trust-dsec-");
    env = { ...process.env, HOME: home, HEADROOM_WORKSPACE_DIR: undefined, HEADROOM_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined, ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: "sk-openai-from-client-env", HEADROOM_PROXY_TOKEN: undefined };
  }, 300_000);

  afterAll(async () => {
    if (!home) return;
    await hr(["install", "remove", "--profile", profile], env).catch(() => {});
    await removeContainers(await containersNamed(container));
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("persistent-docker: docker inspect shows no --env value; the container still has it; no readable file holds it", async () => {
    const port = await freePort();
    const r = await hr(["install", "apply", "--preset", "persistent-docker", "--profile", profile, "--providers", "manual", "--target", "claude", "--image", TEST_IMAGE, "--port", String(port), "--env", `ANTHROPIC_API_KEY=${SECRET}`, "--env", `HEADROOM_PROXY_TOKEN=${TOKEN}`], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    const inspect = await docker(["inspect", "--type", "container", container]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).not.toContain(SECRET);
    expect(inspect.stdout).not.toContain(TOKEN);
    const c = JSON.parse(inspect.stdout)[0];
    const names = (c.Config.Env as string[]).map((e) => e.slice(0, e.indexOf("=")));
    // Values given with --env are not in the engine's record at all, not even by name.
    expect(names).not.toContain("ANTHROPIC_API_KEY");
    expect(names).not.toContain("HEADROOM_PROXY_TOKEN");
    // A provider key in the docker client's own environment is passed by name and the engine records its value.
    expect(c.Config.Env).toContain("OPENAI_API_KEY=sk-openai-from-client-env");
    expect((c.Args as string[]).join(" ")).not.toContain(SECRET);
    // The container read the values from the mounted 0600 manifest: its proxy requires the token from the host.
    expect(await until(() => tokenSetInContainer(port), 20_000, 200)).toBe(true);
    // It proves its identity through the same mounted profile folder.
    const s = await hr(["install", "status", "--profile", profile, "--json"], env);
    expect(JSON.parse(s.stdout)).toMatchObject({ healthy: true, identity: { proven: true, how: "challenge" } });
    expect(leaks(home)).toEqual([]);
    expect(leaks(home, TOKEN)).toEqual([]);
  }, 180_000);
});
