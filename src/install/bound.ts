// A deployment bound to its supervisor adapter (from the table) and the context that
// adapter receives. Kept apart from deploy.ts so `install status` loads only this and
// the one adapter.
import type { Env } from "../host/env.ts";
import { type ContextOptions, makeContext } from "./context.ts";
import type { Manifest } from "./manifest.ts";
import type { Supervisor, SupervisorContext } from "./supervisors/types.ts";
import { adapterFor } from "./table.ts";

export interface Bound {
  m: Manifest;
  sup: Supervisor;
  ctx: SupervisorContext;
  env: Env;
}

export async function bind(m: Manifest, env: Env = process.env, opts: ContextOptions = {}): Promise<Bound> {
  const e = { ...env, HEADROOM_WORKSPACE_DIR: m.workspaceDir };
  const ctx = makeContext(m, { ...opts, env: e });
  const { adapter, runtime } = await adapterFor(m, e, ctx.run);
  return { m, sup: adapter, ctx: { ...ctx, runtime }, env: e };
}
