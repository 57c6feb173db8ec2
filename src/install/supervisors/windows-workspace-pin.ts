// How a scheduled task finds its manifest. A task definition has no environment block, so
// HEADROOM_WORKSPACE_DIR cannot be pinned inside it the way a systemd unit or a launchd
// plist does. The task's process gets the environment Windows builds for its account from
// the registry, so the variable is pinned there when it is needed:
//   - user scope, workspace at the account's default (%USERPROFILE%\.headroom): nothing to pin;
//   - user scope, another workspace: the User variable HEADROOM_WORKSPACE_DIR;
//   - system scope: the task runs as LocalSystem, whose profile is not the installing
//     user's, so the Machine variable HEADROOM_WORKSPACE_DIR.
// The manifest's --env values need no pinning: `agent run`/`ensure` read them from the
// manifest and set them on the runtime. The previous value is recorded and put back on
// remove (unless another profile in the same workspace still needs it).
import { HeadroomError } from "../../errors.ts";
import { type WindowsEnvScope, captureCommand, parseCaptured, restoreCommand, setCommand } from "../scopes/windows-env.ts";

export type { PinState };
import { type RunStep, run } from "../steps.ts";
import { type PinState, recordedPin } from "./state.ts";
import type { SupervisorContext } from "./types.ts";
import { winJoin } from "./windows-task-xml.ts";

export const WORKSPACE_VAR = "HEADROOM_WORKSPACE_DIR";

export interface WorkspacePin {
  scope: WindowsEnvScope;
  value: string;
}

/** Windows paths compare without case, with either separator, without a trailing separator. */
export function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\//g, "\\").replace(/\\+$/, "").toLowerCase();
  return norm(a) === norm(b);
}

/** Pure: the variable to pin for this deployment, or null when the default already finds it. */
export function workspacePin(ctx: SupervisorContext): WorkspacePin | null {
  const m = ctx.manifest;
  if (m.scope === "system") return { scope: "Machine", value: m.workspaceDir };
  // The task's process has no HOME of its own; its default workspace is %USERPROFILE%\.headroom.
  if (samePath(m.workspaceDir, winJoin(ctx.env.USERPROFILE || ctx.home, ".headroom"))) return null;
  return { scope: "User", value: m.workspaceDir };
}

export function pinCommand(pin: WorkspacePin): string[] {
  return setCommand({ [WORKSPACE_VAR]: pin.value }, pin.scope);
}

/** What the variable holds now (null: unset): asked before the install plan is made. */
export async function readPinnedVar(ctx: SupervisorContext, pin: WorkspacePin): Promise<string | null> {
  const r = await ctx.run(captureCommand([WORKSPACE_VAR], pin.scope), { env: ctx.env, timeoutMs: 30_000 });
  if (r.code !== 0) throw new HeadroomError(`Could not read the ${pin.scope} environment variable ${WORKSPACE_VAR}: ${(r.stderr.trim() || `exit code ${r.code}`).split(/\r?\n/)[0]}`);
  return parseCaptured(r.stdout, [WORKSPACE_VAR])[WORKSPACE_VAR] ?? null;
}

/** The command that puts the previous value back. */
export function releaseStep(state: PinState): RunStep {
  return run(restoreCommand({ [WORKSPACE_VAR]: state.previous }, state.scope), {
    error: (r) => new HeadroomError(`could not restore the ${state.scope} environment variable ${WORKSPACE_VAR} (${(r.stderr.trim() || `exit code ${r.code}`).split(/\r?\n/)[0]})`),
  });
}

/**
 * The pin an install makes, given what the variable holds now (`current`; unknown for a
 * plan rendered for another machine, taken as unset): nothing to set when it already
 * holds the value (a re-apply keeps what was there before the first apply); a refusal
 * when it points at another workspace; else the set step, undone by putting it back.
 */
export function pinPlan(ctx: SupervisorContext, pin: WorkspacePin, current: string | null): { steps: RunStep[]; state: PinState } {
  const recorded = recordedPin(ctx.manifest.supervisorState);
  if (current !== null && samePath(current, pin.value)) {
    return { steps: [], state: { ...pin, previous: recorded && samePath(recorded.value, pin.value) ? recorded.previous : current } };
  }
  if (current !== null && current !== "") {
    throw new HeadroomError(
      `The ${pin.scope} environment variable ${WORKSPACE_VAR} already points at ${current}, so a task could not find this deployment in ${pin.value}.`,
      `Run the command with ${WORKSPACE_VAR}=${current}, or change that variable first.`,
    );
  }
  const state: PinState = { ...pin, previous: current };
  const set = run(pinCommand(pin), {
    error: (r) => {
      const why = (r.stderr.trim() || `exit code ${r.code}`).split(/\r?\n/)[0] ?? "";
      if (/access|denied|unauthori[sz]ed|SecurityException/i.test(why)) {
        return new HeadroomError(`Windows denied setting the ${pin.scope} environment variable ${WORKSPACE_VAR}, which needs administrator rights: run the command again from a terminal opened with "Run as administrator".`);
      }
      return new HeadroomError(`Could not set the ${pin.scope} environment variable ${WORKSPACE_VAR}: ${why}`);
    },
    undo: [releaseStep(state)],
  });
  return { steps: [set], state };
}
