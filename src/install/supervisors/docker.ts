// docker (persistent-docker, any OS): the engine's restart policy keeps the container
// alive (`docker run -d --restart unless-stopped`); no OS supervisor is involved.
// Preflight refuses before anything changes when the docker CLI is missing, the engine
// does not answer, or the image is absent. The argument vectors come from
// ../docker-argv.ts (pure); queries (inspect) go through ctx.run.
import { HeadroomError } from "../../errors.ts";
import { which } from "../../host/exec.ts";
import { clientEnv, containerName, dockerRunArgv, imageOf } from "../docker-argv.ts";
import { type RunStep, type Step, run } from "../steps.ts";
import { dockerErrorText, isNoSuchContainer, parseInspect, statusFromInspect } from "./docker-inspect.ts";
import type { FailFast, Supervisor, SupervisorContext, SupervisorStatus } from "./types.ts";

const ENGINE_HINT = "Start Docker (for example `sudo systemctl start docker`, or Docker Desktop), or point DOCKER_HOST at a running engine, then run the command again.";

async function docker(ctx: SupervisorContext, args: string[], timeoutMs = 60_000) {
  return ctx.run(["docker", ...args], { env: ctx.env, timeoutMs });
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

const noSuchContainer = { when: "there is no such container", test: (r: { stderr: string; stdout: string }) => isNoSuchContainer(r.stderr + r.stdout) };

function removeStep(ctx: SupervisorContext): RunStep {
  const name = containerName(ctx.manifest.profile);
  return run(["docker", "rm", "-f", name], { timeoutMs: 60_000, alsoOk: noSuchContainer, error: (r) => new HeadroomError(`Docker could not remove the container ${name}: ${dockerErrorText(r.stderr, r.stdout)}.`) });
}

/**
 * Creates and starts the container (a stale one of the same name goes first). Values of
 * --env pairs and provider keys reach the container through the client's environment
 * (`--env NAME`), never through its command line.
 */
function createSteps(ctx: SupervisorContext): Step[] {
  const m = ctx.manifest;
  const name = containerName(m.profile);
  return [
    { do: "mkdir", path: m.workspaceDir },
    removeStep(ctx),
    run(dockerRunArgv(ctx, { detached: true }), {
      env: clientEnv(m, ctx.env),
      timeoutMs: 120_000,
      keep: "containerId",
      error: (r) => new HeadroomError(`Docker could not start the container ${name}: ${dockerErrorText(r.stderr, r.stdout)}.`),
    }),
  ];
}

function checked(ctx: SupervisorContext, verb: "start" | "restart"): RunStep {
  const name = containerName(ctx.manifest.profile);
  return run(["docker", verb, name], { timeoutMs: 60_000, error: (r) => new HeadroomError(`Docker could not ${verb} the container ${name}: ${dockerErrorText(r.stderr, r.stdout)}.`) });
}

const status = async (ctx: SupervisorContext): Promise<SupervisorStatus> => statusFromInspect(containerName(ctx.manifest.profile), await inspect(ctx));

export const dockerSupervisor = (): Supervisor => ({
  name: "docker",
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

  install(ctx) {
    return { steps: createSteps(ctx), record: { kind: "docker", container: containerName(ctx.manifest.profile), image: imageOf(ctx.manifest) } };
  },

  async start(ctx) {
    const info = await inspect(ctx);
    if (!info) return { steps: createSteps(ctx) };
    return { steps: info.running ? [] : [checked(ctx, "start")] };
  },

  async stop(ctx) {
    const name = containerName(ctx.manifest.profile);
    return {
      steps: [run(["docker", "stop", name], { timeoutMs: 60_000, alsoOk: noSuchContainer, error: (r) => new HeadroomError(`Docker could not stop the container ${name}: ${dockerErrorText(r.stderr, r.stdout)}.`, ENGINE_HINT) })],
    };
  },

  async restart(ctx) {
    return { steps: (await inspect(ctx)) ? [checked(ctx, "restart")] : createSteps(ctx) };
  },

  async uninstall(ctx) {
    return { steps: [removeStep(ctx)], bestEffort: "Removing the container was incomplete" };
  },

  status,

  async runtimePid() {
    return undefined; // a container's pids are the engine's
  },

  async presentRuntime(ctx) {
    const s = await status(ctx).catch(() => null);
    return s?.running ? {} : null;
  },

  /**
   * The engine's own view: a container in the `restarting` state (its process exited and
   * the restart policy is about to run it again) or a climbing RestartCount is a crash loop.
   */
  async failFast(ctx): Promise<FailFast> {
    const baseline = (await status(ctx).catch(() => null))?.restarts ?? 0;
    const container = containerName(ctx.manifest.profile);
    return async () => {
      try {
        const s = await status(ctx);
        const n = (s.restarts ?? 0) - baseline;
        if (n >= 1) return `the container ${container} keeps crashing (${n} restart${n === 1 ? "" : "s"})`;
        if (/^restarting/.test(s.state)) return `the container ${container} keeps crashing (it exited and the engine is restarting it)`;
      } catch {}
      return null;
    };
  },
});
