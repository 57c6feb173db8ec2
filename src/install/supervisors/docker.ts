// docker supervisor (persistent-docker, any OS): the engine's restart policy keeps the
// container alive (`docker run -d --restart unless-stopped`), no OS supervisor is
// involved. Preflight refuses before anything changes when the docker CLI is missing,
// the engine does not answer, or the image is absent. The argument vectors are built in
// docker-argv.ts (pure); this file acts through ctx.run.
import { HeadroomError } from "../../errors.ts";
import { which } from "../../host/exec.ts";
import { ensureDir } from "../../host/fs.ts";
import { buildRunArgv, clientEnv, containerName, imageOf } from "./docker-argv.ts";
import { dockerErrorText, isNoSuchContainer, parseInspect, statusFromInspect } from "./docker-inspect.ts";
import type { Supervisor, SupervisorContext, SupervisorPlan, SupervisorStatus } from "./types.ts";

const ENGINE_HINT = "Start Docker (for example `sudo systemctl start docker`, or Docker Desktop), or point DOCKER_HOST at a running engine, then run the command again.";

/**
 * The `docker run` argument vector for a manifest. detached=true gives the
 * persistent-docker form (`-d --restart unless-stopped`); detached=false gives the
 * foreground form (`--rm`) that a systemd unit or watchdog supervises for
 * `--runtime docker` with the service and task presets. The foreground form names the
 * docker executable by its absolute path (unit files need one).
 */
export function dockerRunArgv(ctx: SupervisorContext, opts: { detached: boolean }): string[] {
  if (opts.detached) return buildRunArgv(ctx, { detached: true, docker: "docker", clientEnv: clientEnv(ctx.manifest, ctx.env) });
  return buildRunArgv(ctx, { detached: false, docker: which("docker", ctx.env) ?? "docker" });
}

/**
 * `docker rm -f headroom-<p>` (absolute docker path): what a unit must run before a
 * foreground container starts (`ExecStartPre=-...`), and the watchdog before it spawns
 * one. When the `docker run` client is SIGKILLed its container lives on and keeps the
 * name, so without this every restart fails with "name already in use".
 */
export function dockerRemoveArgv(ctx: SupervisorContext, docker = which("docker", ctx.env) ?? "docker"): string[] {
  return [docker, "rm", "-f", containerName(ctx.manifest.profile)];
}

async function docker(ctx: SupervisorContext, args: string[], timeoutMs = 60_000, env = ctx.env) {
  return ctx.run(["docker", ...args], { env, timeoutMs });
}

/** Runs a docker command; failure is one sentence naming what was being done. */
async function dockerChecked(ctx: SupervisorContext, args: string[], doing: string, timeoutMs = 60_000): Promise<string> {
  const r = await docker(ctx, args, timeoutMs);
  if (r.code !== 0) throw new HeadroomError(`Docker could not ${doing}: ${dockerErrorText(r.stderr, r.stdout)}.`);
  return r.stdout;
}

/** Whether the engine answers; the error phrase when it does not. */
export async function engineProblem(ctx: SupervisorContext): Promise<string | null> {
  const r = await docker(ctx, ["version", "--format", "{{.Server.Version}}"], 15_000);
  if (r.code === 0 && r.stdout.trim()) return null;
  return dockerErrorText(r.stderr, r.stdout);
}

async function inspect(ctx: SupervisorContext) {
  const name = containerName(ctx.manifest.profile);
  const r = await docker(ctx, ["inspect", "--type", "container", name], 15_000);
  if (r.code === 0) return parseInspect(r.stdout);
  const why = dockerErrorText(r.stderr, r.stdout);
  if (isNoSuchContainer(why)) return null;
  throw new HeadroomError(`Docker could not inspect the container ${name}: ${why}.`, ENGINE_HINT);
}

async function removeContainer(ctx: SupervisorContext): Promise<void> {
  const name = containerName(ctx.manifest.profile);
  const r = await docker(ctx, ["rm", "-f", name]);
  if (r.code !== 0 && !isNoSuchContainer(r.stderr + r.stdout)) {
    throw new HeadroomError(`Docker could not remove the container ${name}: ${dockerErrorText(r.stderr, r.stdout)}.`);
  }
}

/** Creates and starts the container (a stale one of the same name goes first). */
async function createContainer(ctx: SupervisorContext): Promise<string> {
  const m = ctx.manifest;
  ensureDir(m.workspaceDir);
  await removeContainer(ctx);
  const argv = dockerRunArgv(ctx, { detached: true });
  // Values of --env pairs and provider keys reach the container through the client's
  // environment (`--env NAME`), never through its command line.
  const r = await ctx.run(argv, { env: clientEnv(m, ctx.env), timeoutMs: 120_000 });
  if (r.code !== 0) {
    throw new HeadroomError(`Docker could not start the container ${containerName(m.profile)}: ${dockerErrorText(r.stderr, r.stdout)}.`);
  }
  return r.stdout.trim();
}

export const dockerSupervisor = (): Supervisor => ({
  kind: "docker",

  async preflight(ctx) {
    if (!which("docker", ctx.env)) {
      throw new HeadroomError(
        "The docker command was not found, so the persistent-docker preset cannot run here.",
        "Install Docker (https://docs.docker.com/engine/install/), or use --preset persistent-service.",
      );
    }
    const problem = await engineProblem(ctx);
    if (problem) throw new HeadroomError(`The Docker engine is not reachable (${problem}).`, ENGINE_HINT);
    const image = imageOf(ctx.manifest);
    const r = await docker(ctx, ["image", "inspect", "--format", "{{.Id}}", image], 15_000);
    if (r.code !== 0) {
      throw new HeadroomError(
        `The Docker image "${image}" is not available to the engine.`,
        "Build it with `npm run docker:build` (tags headroom:local), or pass --image with an image the engine has.",
      );
    }
  },

  render(ctx): SupervisorPlan {
    return { files: [], commands: [dockerRemoveArgv(ctx, "docker"), dockerRunArgv(ctx, { detached: true })] };
  },

  async install(ctx) {
    const id = await createContainer(ctx);
    return { kind: "docker", container: containerName(ctx.manifest.profile), image: imageOf(ctx.manifest), containerId: id.slice(0, 12) };
  },

  async start(ctx) {
    const info = await inspect(ctx);
    if (!info) {
      await createContainer(ctx);
      return;
    }
    if (info.running) return;
    await dockerChecked(ctx, ["start", containerName(ctx.manifest.profile)], `start the container ${containerName(ctx.manifest.profile)}`);
  },

  async stop(ctx) {
    const name = containerName(ctx.manifest.profile);
    const r = await docker(ctx, ["stop", name]);
    if (r.code !== 0 && !isNoSuchContainer(r.stderr + r.stdout)) {
      throw new HeadroomError(`Docker could not stop the container ${name}: ${dockerErrorText(r.stderr, r.stdout)}.`, ENGINE_HINT);
    }
  },

  async restart(ctx) {
    const info = await inspect(ctx);
    if (!info) {
      await createContainer(ctx);
      return;
    }
    await dockerChecked(ctx, ["restart", containerName(ctx.manifest.profile)], `restart the container ${containerName(ctx.manifest.profile)}`);
  },

  async uninstall(ctx) {
    await removeContainer(ctx);
  },

  async status(ctx): Promise<SupervisorStatus> {
    return statusFromInspect(containerName(ctx.manifest.profile), await inspect(ctx));
  },
});
