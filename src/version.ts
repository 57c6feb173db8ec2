// The version is embedded at build time by scripts/build.ts (--define); running from
// source falls back to package.json.
import pkg from "../package.json" with { type: "json" };

declare const HEADROOM_BUILD: { version: string; commit: string; date: string; target: string } | undefined;

export const BUILD = typeof HEADROOM_BUILD !== "undefined"
  ? HEADROOM_BUILD
  : { version: pkg.version, commit: "source", date: "", target: `${process.platform}-${process.arch}` };

export const VERSION: string = BUILD.version;
