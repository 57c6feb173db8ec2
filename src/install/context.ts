// Builds the SupervisorContext every adapter receives: who, where, and how to run commands.
import { type CommandRunner, runCommand } from "../host/exec.ts";
import { type OsName, gid, hostOs, isRoot, uid } from "../host/platform.ts";
import { homeDir } from "../paths.ts";
import type { Manifest } from "./manifest.ts";
import type { SupervisorContext } from "./supervisors/types.ts";

export interface ContextOptions {
  env?: Record<string, string | undefined>;
  run?: CommandRunner;
  os?: OsName;
  isRoot?: boolean;
}

export function makeContext(manifest: Manifest, opts: ContextOptions = {}): SupervisorContext {
  const env = opts.env ?? process.env;
  return {
    manifest,
    os: opts.os ?? (manifest.os as OsName) ?? hostOs(),
    home: homeDir(env),
    uid: uid(),
    gid: gid(),
    isRoot: opts.isRoot ?? isRoot(),
    env,
    run: opts.run ?? runCommand,
  };
}
