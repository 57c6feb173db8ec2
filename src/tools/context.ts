// What a tool adapter needs to know about the machine it configures.
import type { Env } from "../host/env.ts";

export interface ToolContext {
  home: string;
  env: Env;
  port: number;
  host: string;
  /** http://host:port */
  base: string;
}

export function toolContext(opts: { home: string; env: Env; port: number; host: string }): ToolContext {
  const host = opts.host || "127.0.0.1";
  const urlHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return { home: opts.home, env: opts.env, port: opts.port, host, base: `http://${urlHost}:${opts.port}` };
}
