#!/usr/bin/env bun
// The headroom executable: proxy, wrap, unwrap, install, version.
// `--version` answers before the CLI library is loaded, and subcommands are loaded
// lazily, so `--version` or `install status` never pays for the proxy's modules.
// (The build splits the bundle at every dynamic import: a module behind one is read
// only when a command needs it.)
import type { CommandDef } from "citty";
import { VERSION } from "./version.ts";

// A plain object: citty's defineCommand is the identity, and importing it would load
// citty before the `--version` fast path.
export const main: CommandDef = {
  meta: { name: "headroom", version: VERSION, description: "Local LLM proxy that compresses tool output, and the runtime that keeps it alive." },
  subCommands: {
    proxy: () => import("./cli/proxy.ts").then((m) => m.default),
    wrap: () => import("./cli/wrap.ts").then((m) => m.default),
    unwrap: () => import("./cli/unwrap.ts").then((m) => m.default),
    install: () => import("./cli/install.ts").then((m) => m.default),
    healthcheck: () => import("./cli/healthcheck.ts").then((m) => m.default),
    version: () => import("./cli/version.ts").then((m) => m.default),
  },
};

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  console.log(VERSION);
} else {
  const { runCli } = await import("./cli/run.ts");
  await runCli(main, argv);
}
