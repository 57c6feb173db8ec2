// The command tree of the headroom executable. A plain object: citty's defineCommand is
// the identity, and importing it would load citty before src/main.ts's `--version` fast
// path. Each subcommand's module is loaded only when that command runs (or when help or
// `headroom completion` walks the tree).
import type { CommandDef } from "citty";
import { VERSION } from "../version.ts";

export const main: CommandDef = {
  meta: { name: "headroom", version: VERSION, description: "Local LLM proxy that compresses tool output, and the runtime that keeps it alive." },
  subCommands: {
    proxy: () => import("./proxy.ts").then((m) => m.default),
    wrap: () => import("./wrap.ts").then((m) => m.default),
    unwrap: () => import("./unwrap.ts").then((m) => m.default),
    install: () => import("./install.ts").then((m) => m.default),
    doctor: () => import("./doctor.ts").then((m) => m.default),
    completion: () => import("./completion.ts").then((m) => m.completionCommand(main)),
    healthcheck: () => import("./healthcheck.ts").then((m) => m.default),
    version: () => import("./version.ts").then((m) => m.default),
  },
};
