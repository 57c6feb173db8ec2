// The real systemd-journald for tests. PID 1 here is not systemd, but journald runs when
// started by hand as root: it binds /run/systemd/journal/{stdout,socket,dev-log} itself
// and keeps a volatile journal under /run/log/journal. A user manager started after it
// connects its units' StandardOutput=journal there. Without cgroups the entries carry no
// unit metadata (_SYSTEMD_USER_UNIT), so tests match them by SYSLOG_IDENTIFIER.
//
//   const jd = await startJournald();   // before startUserManager(), in beforeAll
//   await jd.stop();                    // ends it only if this helper started it
import { existsSync } from "node:fs";

export interface Journald {
  /** Whether this helper started it (otherwise one was already running and is left alone). */
  started: boolean;
  pid?: number;
  stop(): Promise<void>;
}

const JOURNALD = ["/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"].find((p) => existsSync(p));
const STDOUT_SOCKET = "/run/systemd/journal/stdout";

/** null when journald can run here, else the reason to skip. */
export function journaldAvailable(): string | null {
  if (process.platform !== "linux") return "journald needs Linux";
  if (!JOURNALD) return "systemd-journald is not installed";
  if (!Bun.which("journalctl")) return "journalctl is not on PATH";
  if (process.getuid?.() !== 0) return "starting journald by hand needs root";
  return null;
}

/** Whether a journald answers on its stdout socket now. */
async function answering(): Promise<boolean> {
  if (!existsSync(STDOUT_SOCKET)) return false;
  try {
    const s = await Bun.connect({ unix: STDOUT_SOCKET, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

export async function startJournald(timeoutMs = 10_000): Promise<Journald> {
  const reason = journaldAvailable();
  if (reason) throw new Error(`no journald: ${reason}`);
  if (await answering()) return { started: false, stop: async () => {} };
  const proc = Bun.spawn(["setsid", JOURNALD!], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  proc.unref();
  const deadline = Date.now() + timeoutMs;
  while (!(await answering())) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      try { proc.kill("SIGKILL"); } catch {}
      throw new Error("systemd-journald did not come up");
    }
    await Bun.sleep(50);
  }
  return {
    started: true,
    pid: proc.pid,
    async stop() {
      try { proc.kill("SIGTERM"); } catch {}
      const until = Date.now() + 5000;
      while (proc.exitCode === null && Date.now() < until) await Bun.sleep(50);
      if (proc.exitCode === null) try { proc.kill("SIGKILL"); } catch {}
    },
  };
}

/** `journalctl -t <identifier> -o cat` lines, for assertions. */
export function journalLines(identifier: string, extra: string[] = []): string[] {
  const r = Bun.spawnSync(["journalctl", "--no-pager", "--output", "cat", "--identifier", identifier, ...extra], { stdout: "pipe", stderr: "pipe" });
  return r.stdout.toString().split("\n").filter((l) => l !== "" && l !== "-- No entries --");
}
