// `headroom wrap` argument vector, parsed by hand so that everything meant for the tool
// passes through untouched: wrap's own options (--port, --no-proxy, -v) are taken from
// anywhere before `--`; every other option and positional after the tool name, and
// everything after `--`, goes to the tool in its original order. Pure.
import { UsageError } from "../errors.ts";
import { TOOL_NAMES, type ToolName, isToolName } from "../tools/registry.ts";
import { parsePort } from "../options/port.ts";

export interface WrapArgs {
  tool: ToolName;
  /** --port, when given. */
  port?: number;
  noProxy: boolean;
  verbose: boolean;
  /** Arguments for the tool, in order. */
  toolArgs: string[];
}

export function parseWrapArgv(rawArgs: string[]): WrapArgs {
  let tool: string | undefined;
  let port: number | undefined;
  let noProxy = false;
  let verbose = false;
  const toolArgs: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") {
      toolArgs.push(...rawArgs.slice(i + 1));
      break;
    }
    if (arg === "--port" || arg.startsWith("--port=")) {
      const value = arg === "--port" ? rawArgs[++i] : arg.slice("--port=".length);
      if (value === undefined) throw new UsageError("--port needs a value.");
      port = parsePort(value);
      continue;
    }
    if (arg === "--no-proxy") {
      noProxy = true;
      continue;
    }
    if (arg === "-v" || arg === "--verbose") {
      verbose = true;
      continue;
    }
    if (tool === undefined && !arg.startsWith("-")) {
      tool = arg;
      continue;
    }
    toolArgs.push(arg);
  }
  if (tool === undefined) {
    throw new UsageError(`Name the tool to wrap: ${TOOL_NAMES.join(", ")}.`);
  }
  if (!isToolName(tool)) {
    throw new UsageError(`Unknown tool "${tool}"; headroom can wrap ${TOOL_NAMES.join(", ")}.`);
  }
  return { tool, port, noProxy, verbose, toolArgs };
}

/** The tool name for `unwrap`, validated. */
export function parseUnwrapTool(tool: string | undefined): ToolName {
  if (!tool) throw new UsageError(`Name the tool to unwrap: ${TOOL_NAMES.join(", ")}.`);
  if (!isToolName(tool)) throw new UsageError(`Unknown tool "${tool}"; headroom can unwrap ${TOOL_NAMES.join(", ")}.`);
  return tool;
}
