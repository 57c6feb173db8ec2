#!/usr/bin/env bun
// The headroom executable: proxy, wrap, unwrap, install, version.
// Subcommands are loaded lazily so that `--version` or `install status` never pays for
// the proxy's modules.
import { defineCommand } from "citty";
import { VERSION } from "./version.ts";
import { runCli } from "./cli/run.ts";

export const main = defineCommand({
  meta: { name: "headroom", version: VERSION, description: "Local LLM proxy that compresses tool output, and the runtime that keeps it alive." },
  subCommands: {
    proxy: () => import("./cli/proxy.ts").then((m) => m.default),
    wrap: () => import("./cli/wrap.ts").then((m) => m.default),
    unwrap: () => import("./cli/unwrap.ts").then((m) => m.default),
    install: () => import("./cli/install.ts").then((m) => m.default),
    healthcheck: () => import("./cli/healthcheck.ts").then((m) => m.default),
    version: () => import("./cli/version.ts").then((m) => m.default),
  },
});

await runCli(main, process.argv.slice(2));
