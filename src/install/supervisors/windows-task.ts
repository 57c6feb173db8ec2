// windows-task supervisor: not built yet (see the supervisor interface in types.ts).
import { HeadroomError } from "../../errors.ts";
import type { Supervisor } from "./types.ts";

const unavailable = (): never => {
  throw new HeadroomError("The windows-task supervisor is not available in this build yet.");
};

export const windows_taskSupervisor = (): Supervisor => ({
  kind: "windows-task",
  preflight: async () => unavailable(),
  render: () => unavailable(),
  install: async () => unavailable(),
  start: async () => unavailable(),
  stop: async () => unavailable(),
  restart: async () => unavailable(),
  uninstall: async () => unavailable(),
  status: async () => unavailable(),
});
