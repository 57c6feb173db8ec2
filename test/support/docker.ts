// A real Docker engine for the docker tests: whether one answers (skip with the reason,
// or fail in CI), the test image built once per file from the compiled binary under test
// (FROM scratch, nothing pulled), and cleanup of the containers a test made.
import { buildImage } from "../../scripts/docker-build.ts";
import { binPath } from "./bin.ts";

export const TEST_IMAGE = "headroom:e2e";

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

export async function sh(argv: string[], env: Record<string, string | undefined> = process.env, timeoutMs = 120_000, stdin?: string): Promise<Exec> {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const p = Bun.spawn(argv, {
    env: clean,
    stdin: stdin !== undefined ? new TextEncoder().encode(stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

export const docker = (args: string[], env: Record<string, string | undefined> = process.env, timeoutMs = 120_000) => sh(["docker", ...args], env, timeoutMs);

/** null when a Docker engine answers here, otherwise the reason to skip. */
export function dockerAvailable(): string | null {
  if (process.platform !== "linux") return "the docker tests build a Linux image from this host's binary";
  if (!Bun.which("docker")) return "the docker CLI is not installed";
  const r = Bun.spawnSync(["docker", "version", "--format", "{{.Server.Version}}"], { stdout: "pipe", stderr: "pipe", timeout: 15_000 });
  if (r.exitCode !== 0) return `the Docker engine does not answer (${r.stderr.toString().trim().split("\n")[0]})`;
  if (!Bun.which("ldd")) return "ldd is not installed (needed to build the image)";
  return null;
}

/** For a test file: the reason to skip, or null to run. In CI (CI=true) a missing engine is a failure. */
export function dockerSkipReason(): string | null {
  const reason = dockerAvailable();
  if (reason && process.env.CI === "true") throw new Error(`CI must run the docker tests: ${reason}`);
  if (reason) console.warn(`skipping docker tests: ${reason}`);
  return reason;
}

/** Builds the test image from the binary under test (once per file; a rebuild with unchanged files is cached by the engine). */
export async function ensureTestImage(tag = TEST_IMAGE): Promise<string> {
  return buildImage({ tag, binary: binPath, quiet: true });
}

export interface ContainerState {
  id: string;
  status: string;
  running: boolean;
  pid: number;
  restarts: number;
  health?: string;
  restartPolicy: string;
  ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
  args: string[];
  env: string[];
  user: string;
}

export async function inspectContainer(name: string): Promise<ContainerState | null> {
  const r = await docker(["inspect", "--type", "container", name]);
  if (r.code !== 0) return null;
  const c = JSON.parse(r.stdout)[0];
  return {
    id: c.Id,
    status: c.State.Status,
    running: c.State.Running,
    pid: c.State.Pid,
    restarts: c.RestartCount,
    health: c.State.Health?.Status,
    restartPolicy: c.HostConfig.RestartPolicy?.Name ?? "",
    ports: c.HostConfig.PortBindings ?? {},
    args: c.Args ?? [],
    env: c.Config.Env ?? [],
    user: c.Config.User ?? "",
  };
}

export async function removeContainers(names: string[]): Promise<void> {
  if (names.length) await docker(["rm", "-f", ...names]).catch(() => {});
}

/** Names of containers (any state) whose name starts with `prefix`. */
export async function containersNamed(prefix: string): Promise<string[]> {
  const r = await docker(["ps", "-a", "--format", "{{.Names}}"]);
  return r.stdout.split("\n").map((s) => s.trim()).filter((n) => n.startsWith(prefix));
}

/** Waits until the engine reports the container's healthcheck as healthy. */
export async function waitContainerHealthy(name: string, timeoutMs = 60_000): Promise<ContainerState | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await inspectContainer(name);
    if (s?.health === "healthy") return s;
    if (Date.now() > deadline) return null;
    await Bun.sleep(200);
  }
}
