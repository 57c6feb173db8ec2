// Carries out an adapter's plan the way deploy.ts and apply.ts do (the one executor), for
// tests that replay a lifecycle against a recording runner. `hooks` stand in for the
// steps that are not commands (waiting for a port, stopping the watchdog's runtime).
import { type ExecHooks, type Outcome, execute } from "../../src/install/executor.ts";
import type { Plan } from "../../src/install/steps.ts";
import type { Supervisor, SupervisorContext } from "../../src/install/supervisors/types.ts";

export const quickHooks: ExecHooks = { sleep: async () => {}, portFree: async () => true, stopRuntime: async () => {}, ensureRuntime: async () => {} };

export type Op = "install" | "start" | "stop" | "pause" | "restart" | "uninstall";

export async function planOf(sup: Supervisor, op: Op, ctx: SupervisorContext): Promise<Plan> {
  switch (op) {
    case "install":
      return sup.install(ctx);
    case "pause":
      return sup.stop(ctx, { pause: true });
    default:
      return sup[op](ctx);
  }
}

/** Plans `op` and carries it out; returns what the executor recorded. */
export async function act(sup: Supervisor, op: Op, ctx: SupervisorContext, hooks: ExecHooks = {}): Promise<Outcome> {
  return execute(await planOf(sup, op, ctx), ctx, { ...quickHooks, ...hooks });
}
