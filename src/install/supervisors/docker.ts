// docker supervisor: not built yet (see the supervisor interface in types.ts).
import { HeadroomError } from "../../errors.ts";
import type { Supervisor } from "./types.ts";

const unavailable = (): never => {
  throw new HeadroomError("The docker supervisor is not available in this build yet.");
};

export const dockerSupervisor = (): Supervisor => ({
  kind: "docker",
  preflight: async () => unavailable(),
  render: () => unavailable(),
  install: async () => unavailable(),
  start: async () => unavailable(),
  stop: async () => unavailable(),
  restart: async () => unavailable(),
  uninstall: async () => unavailable(),
  status: async () => unavailable(),
});

/**
 * The `docker run` argument vector for a manifest. detached=true gives the
 * persistent-docker form (`-d --restart unless-stopped`); detached=false gives the
 * foreground form (`--rm`) that a systemd unit or watchdog supervises for
 * `--runtime docker` with the service and task presets.
 */
export function dockerRunArgv(_ctx: import("./types.ts").SupervisorContext, _opts: { detached: boolean }): string[] {
  return unavailable();
}
