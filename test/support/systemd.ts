// A real, isolated systemd user manager for one test file: its own HOME and
// XDG_RUNTIME_DIR under /tmp, so units the product installs are read from
// $HOME/.config/systemd/user and nothing touches this machine's real user session.
//
//   const sd = await startUserManager();        // in beforeAll
//   await runBin([...], { env: sd.env });        // the product talks to this manager
//   await sd.systemctl(["is-active", "x.service"]);
//   await sd.stop();                             // in afterAll (also removes the temp dirs)
//
// Only this helper creates /run/systemd/system (the marker systemd checks for "booted
// with systemd"); the product never does.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export interface UserManager {
  home: string;
  runtimeDir: string;
  /** HOME, XDG_RUNTIME_DIR, XDG_CONFIG_HOME (unset so the default ~/.config applies), HEADROOM_WORKSPACE_DIR. */
  env: Record<string, string | undefined>;
  /** pid of the `systemd --user` process. */
  pid: number;
  /** `systemctl --user <args>` against this manager. */
  systemctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Ends the manager (`systemctl --user exit`, then SIGKILL) and removes the temp HOME. */
  stop(): Promise<void>;
}

const SYSTEMD_BIN = ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"].find((p) => existsSync(p));

/** null when a user manager can run here, otherwise the reason to skip. */
export function systemdAvailable(): string | null {
  if (process.platform !== "linux") return "systemd tests need Linux";
  if (!SYSTEMD_BIN) return "systemd is not installed (no /lib/systemd/systemd)";
  if (!Bun.which("systemctl")) return "systemctl is not on PATH";
  if (!Bun.which("setsid")) return "setsid is not on PATH";
  if (!existsSync("/run/systemd/system")) {
    try {
      mkdirSync("/run/systemd/system", { recursive: true });
    } catch (err) {
      return `cannot create /run/systemd/system (${(err as Error).message})`;
    }
  }
  return null;
}

/**
 * For a test file: the reason to skip, or null to run. In CI (CI=true) a missing
 * systemd is a failure, not a skip.
 */
export function systemdSkipReason(): string | null {
  const reason = systemdAvailable();
  if (reason && process.env.CI === "true") throw new Error(`CI must run the systemd tests: ${reason}`);
  if (reason) console.warn(`skipping systemd tests: ${reason}`);
  return reason;
}

async function exec(argv: string[], env: Record<string, string | undefined>) {
  const proc = Bun.spawn(argv, {
    env: env as Record<string, string>,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

export async function startUserManager(opts: { prefix?: string; timeoutMs?: number } = {}): Promise<UserManager> {
  const reason = systemdAvailable();
  if (reason) throw new Error(`no systemd user manager: ${reason}`);
  const home = mkdtempSync(join("/tmp", opts.prefix ?? "headroom-sd-"));
  const runtimeDir = join(home, "run");
  mkdirSync(runtimeDir, { recursive: true });
  chmodSync(runtimeDir, 0o700);
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: home,
    XDG_RUNTIME_DIR: runtimeDir,
    XDG_CONFIG_HOME: undefined,
    XDG_DATA_HOME: undefined,
    DBUS_SESSION_BUS_ADDRESS: undefined,
    HEADROOM_WORKSPACE_DIR: join(home, ".headroom"),
  };
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const proc = Bun.spawn(["setsid", SYSTEMD_BIN!, "--user"], {
    env: clean,
    cwd: home,
    stdin: "ignore",
    stdout: Bun.file(join(home, "systemd.log")),
    stderr: Bun.file(join(home, "systemd.log")),
  });
  proc.unref();
  const systemctl = (args: string[]) => exec(["systemctl", "--user", ...args], clean);

  // setsid execs systemd in place (we are not a process group leader), so proc.pid is systemd.
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last = "";
  for (;;) {
    const r = await systemctl(["is-system-running"]);
    last = r.stdout.trim() || r.stderr.trim();
    if (last === "running" || last === "degraded") break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      try { process.kill(proc.pid, "SIGKILL"); } catch {}
      rmSync(home, { recursive: true, force: true });
      throw new Error(`systemd --user did not come up (last answer: ${last || "none"})`);
    }
    await Bun.sleep(50);
  }

  let stopped = false;
  return {
    home,
    runtimeDir,
    env: clean,
    pid: proc.pid,
    systemctl,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Stop every headroom unit first so their processes do not outlive the manager.
      await systemctl(["stop", "headroom-*"]).catch(() => {});
      await systemctl(["exit"]).catch(() => {});
      const until = Date.now() + 5_000;
      while (Date.now() < until && proc.exitCode === null) await Bun.sleep(50);
      if (proc.exitCode === null) {
        try { process.kill(proc.pid, "SIGKILL"); } catch {}
      }
      // Anything still running with this HOME (e.g. a runtime a oneshot unit left behind
      // on purpose) belongs to this test: end it.
      for (const pid of processesWithHome(home)) {
        try { process.kill(pid, "SIGKILL"); } catch {}
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** pids (other than this one) whose environment has HOME=home. */
export function processesWithHome(home: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(`HOME=${home}`)) out.push(Number(d));
    } catch {}
  }
  return out;
}
