// The exit code a deployment's status report means (0 healthy, 4 stopped, 5 not healthy;
// src/errors.ts EXIT): what `headroom install status` exits with, and how doctor grades
// a profile. Light, and free of citty: `install status` is on the start-up path.
import { EXIT } from "../errors.ts";
import type { StatusReport } from "../install/status.ts";

/** Whether a supervisor's own word for its state means it is (re)starting the runtime. */
const STARTING = /activat|restart|start|reload/i;

/**
 * The exit code for one report: 0 healthy; 4 stopped (nothing on the port, and the
 * supervisor is not bringing it up); 5 otherwise (not ready, crash-looping, not ours).
 */
export async function statusExitCode(r: StatusReport): Promise<number> {
  if (r.healthy) return EXIT.ok;
  if (r.ready || r.isThisDeployment) return EXIT.unhealthy;
  // A task deployment's schedule runs whether or not its runtime does.
  const sv = r.supervisorView;
  if (r.preset !== "persistent-task" && !("error" in sv) && (sv.running || STARTING.test(sv.state))) return EXIT.unhealthy;
  // Nothing of ours answers: stopped when the port is free, else something else holds it.
  const { isPortOpen } = await import("../host/net.ts");
  return (await isPortOpen(r.port, "127.0.0.1", 300)) ? EXIT.unhealthy : EXIT.stopped;
}
