// Manifests and supervisor contexts for the macOS and Windows adapter tests. Nothing here
// looks at the host: the OS, home, uid and elevation are all given.
import type { Manifest } from "../../../src/install/manifest.ts";
import type { SupervisorContext } from "../../../src/install/supervisors/types.ts";
import type { CommandRunner } from "../../../src/host/exec.ts";
import { launcherFor } from "../../../src/install/table.ts";

export function manifest(over: Partial<Manifest> = {}): Manifest {
  return {
    schemaVersion: 1,
    profile: "default",
    preset: "persistent-service",
    runtime: "native",
    supervisor: "service",
    scope: "user",
    os: "darwin",
    host: "127.0.0.1",
    port: 8787,
    providers: "manual",
    targets: ["claude"],
    proxy: { mode: "token", optimize: true },
    env: {},
    passEnv: [],
    interval: 5,
    binPath: "/usr/local/bin/headroom",
    workspaceDir: "/Users/ada/.headroom",
    supervisorState: {},
    changes: [],
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...over,
  };
}

const noRun: CommandRunner = async (argv) => {
  throw new Error(`unexpected command ${argv.join(" ")}`);
};

export function context(m: Manifest, over: Partial<SupervisorContext> = {}): SupervisorContext {
  const windows = m.os === "windows";
  return {
    manifest: m,
    os: m.os,
    home: windows ? "C:\\Users\\Ada" : "/Users/ada",
    uid: 501,
    gid: 20,
    isRoot: false,
    env: windows ? { USERNAME: "Ada", USERDOMAIN: "WORKSTATION", USERPROFILE: "C:\\Users\\Ada" } : { HOME: "/Users/ada", USER: "ada", PATH: "/usr/bin:/bin" },
    run: noRun,
    runtime: launcherFor(m.runtime),
    facts: {},
    ...over,
  };
}
