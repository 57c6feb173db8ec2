// The commands that are a deployment's runtime, one launcher per runtime: the native
// runner (`headroom install agent run`) or, for --runtime docker with the service and
// task presets, a foreground `docker run` supervised the same way. The table (table.ts)
// picks one from the manifest's runtime; nothing below it asks which runtime it is.
import { dockerRemoveArgv, dockerRunArgv } from "./docker-argv.ts";
import type { Manifest } from "./manifest.ts";
import type { RuntimeLauncher } from "./supervisors/types.ts";

/** `<bin> install agent <verb> --profile <p>`. */
export function agentArgv(m: Manifest, verb: "run" | "ensure"): string[] {
  return [m.binPath, "install", "agent", verb, "--profile", m.profile];
}

/** The executable itself serves the proxy in the supervised process. */
export const nativeRuntime: RuntimeLauncher = {
  argv: (ctx) => agentArgv(ctx.manifest, "run"),
  hostPid: true,
};

/** A foreground container; a stale one of the same name goes first (its client may have been killed). */
export const dockerRuntime: RuntimeLauncher = {
  argv: (ctx) => dockerRunArgv(ctx, { detached: false }),
  beforeStart: (ctx) => dockerRemoveArgv(ctx),
  hostPid: false,
};
