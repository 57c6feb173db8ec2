// Builds the SupervisorContext every adapter receives: who, where, how to run commands,
// the runtime launcher the table chose, and what the adapter asked this host.
import type { Env } from "../host/env.ts";
import { type CommandRunner, runCommand } from "../host/exec.ts";
import { type OsName, gid, hostOs, isRoot, uid } from "../host/platform.ts";
import { homeDir } from "../paths.ts";
import type { Manifest } from "./manifest.ts";
import { launcherFor } from "./table.ts";
import type { RuntimeLauncher, SupervisorContext } from "./supervisors/types.ts";

export interface ContextOptions {
  env?: Env;
  /** A scripted runner (tests); without one, commands run and systemd is read over its private socket. */
  run?: CommandRunner;
  os?: OsName;
  isRoot?: boolean;
  runtime?: RuntimeLauncher;
}

/** systemd's private socket, read directly: what `systemctl show` would answer, without starting systemctl. */
function unitReader(m: Manifest, env: Env, root: boolean): SupervisorContext["readUnit"] {
  return async (unit) => {
    const { privateSocket, showUnitOverBus } = await import("./supervisors/systemd-bus.ts");
    const socket = privateSocket(m.scope, env, root);
    return socket ? showUnitOverBus(socket, unit) : null;
  };
}

export function makeContext(manifest: Manifest, opts: ContextOptions = {}): SupervisorContext {
  const env = opts.env ?? process.env;
  const root = opts.isRoot ?? isRoot();
  return {
    manifest,
    os: opts.os ?? (manifest.os as OsName) ?? hostOs(),
    home: homeDir(env),
    uid: uid(),
    gid: gid(),
    isRoot: root,
    env,
    run: opts.run ?? runCommand,
    runtime: opts.runtime ?? launcherFor(manifest.runtime),
    facts: {},
    ...(opts.run ? {} : { readUnit: unitReader(manifest, env, root) }),
  };
}
