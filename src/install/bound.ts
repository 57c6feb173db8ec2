// A deployment bound to its supervisor adapter and the context that adapter receives.
// Kept apart from deploy.ts so `install status` loads only this and the one adapter.
import { type ContextOptions, makeContext } from "./context.ts";
import type { Manifest } from "./manifest.ts";
import type { Supervisor, SupervisorContext } from "./supervisors/types.ts";
import { supervisorForManifest } from "./table.ts";

type Env = Record<string, string | undefined>;

export interface Bound {
  m: Manifest;
  sup: Supervisor;
  ctx: SupervisorContext;
  env: Env;
}

export async function bind(m: Manifest, env: Env = process.env, opts: ContextOptions = {}): Promise<Bound> {
  const e = { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir };
  return { m, sup: await supervisorForManifest(m, e), ctx: makeContext(m, { ...opts, env: e }), env: e };
}
