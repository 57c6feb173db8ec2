// One wrapped session, start to finish: check the tool exists, find (or start) a proxy,
// apply the tool's session edit, run the tool (or, for cursor, print the base URLs and
// wait), then undo the edit and release the proxy. Returns the exit code.
import { HeadroomError } from "../errors.ts";
import type { Env } from "../host/env.ts";
import { which } from "../host/exec.ts";
import { isPortOpen } from "../host/net.ts";
import { type ToolName, TOOLS, envForTools, sessionEnvForTool } from "../tools/registry.ts";
import type { WrapArgs } from "./argv.ts";
import { launchTool } from "./launch.ts";
import { type ProxyLease, acquireProxy } from "./lease.ts";
import { SignalGuard } from "./signals.ts";
import { applySessionEdit, forceRevertSessionEdit, needsSessionEdit, releaseSessionEdit } from "./tool-session.ts";
import { otherLiveClientsOfTool } from "./clients.ts";
import { parsePort } from "../options/port.ts";

export const DEFAULT_WRAP_PORT = 8787;
const HOST = "127.0.0.1";

export function wrapPort(args: Pick<WrapArgs, "port">, env: Env): number {
  return args.port ?? parsePort(env.HEADROOM_PORT, "HEADROOM_PORT") ?? DEFAULT_WRAP_PORT;
}

/** The tool's executable on PATH; a clear error with an install hint when missing. */
export function findTool(tool: ToolName, env: Env): string {
  const def = TOOLS[tool];
  const path = which(def.binary, env);
  if (!path) throw new HeadroomError(`\`${def.binary}\` was not found on PATH, so there is nothing to wrap.`, def.installHint);
  return path;
}

function cursorInstructions(port: number): string {
  const env = envForTools(["cursor"], port, HOST);
  return [
    `headroom: the proxy is ready on http://${HOST}:${port}.`,
    "Paste these into Cursor (Settings > Models > API Keys > Override Base URL):",
    `  OpenAI base URL:    ${env.OPENAI_BASE_URL}`,
    `  Anthropic base URL: ${env.ANTHROPIC_BASE_URL}`,
    "Press Ctrl+C to stop.",
    "",
  ].join("\n");
}

export async function runWrap(args: WrapArgs, env: Env = process.env): Promise<number> {
  const { tool } = args;
  const port = wrapPort(args, env);
  const log = args.verbose ? (msg: string) => console.error(`headroom: ${msg}`) : () => {};
  const binary = tool === "cursor" ? null : findTool(tool, env);

  const guard = new SignalGuard().install();
  let lease: ProxyLease | null = null;
  let edited = false;
  try {
    if (args.noProxy) {
      if (!(await isPortOpen(port))) {
        console.error(`headroom: warning: nothing listens on port ${port}; ${tool} will not reach a proxy until one runs there.`);
      }
    } else {
      lease = await acquireProxy({ port, tool, env, log });
    }
    if (guard.signal) return guard.exitCode()!;

    if (needsSessionEdit(tool)) {
      try {
        await applySessionEdit(tool, port, HOST, env);
      } catch (err) {
        // Undo a half-made edit, unless another wrap of the tool is using the session edit.
        if (otherLiveClientsOfTool(tool, env).length === 0) await forceRevertSessionEdit(tool, env).catch(() => {});
        throw err;
      }
      edited = true;
      log(`applied the ${tool} session config for port ${port}`);
    }
    if (guard.signal) return guard.exitCode()!;

    if (tool === "cursor") {
      process.stdout.write(cursorInstructions(port));
      await guard.stopped;
      return 0;
    }
    const toolEnv = sessionEnvForTool(tool, port, HOST, env);
    log(`running ${binary} ${args.toolArgs.join(" ")}`.trimEnd());
    return await launchTool([binary!, ...args.toolArgs], toolEnv, guard);
  } finally {
    try {
      if (edited) {
        const restored = await releaseSessionEdit(tool, env);
        log(restored ? `restored the ${tool} config` : `left the ${tool} session config to the other running wrap(s) of ${tool}`);
      }
    } finally {
      if (lease) await lease.release();
      guard.uninstall();
    }
  }
}
