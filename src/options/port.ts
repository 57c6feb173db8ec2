// A TCP port given by the user, from a flag (--port) or a variable (HEADROOM_PORT).
import { UsageError } from "../errors.ts";

/**
 * A port from a flag or a variable. An empty variable counts as not set; an empty flag
 * (`--port ''`, `--port=`) is a usage error, never the default port.
 */
export function parsePort(value: string | undefined, what = "--port"): number | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "") {
    if (what.startsWith("-")) throw new UsageError(`${what} needs a value: a port number between 1 and 65535.`);
    return undefined;
  }
  const port = Number(value);
  if (!/^\d+$/.test(String(value)) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what} must be a port number between 1 and 65535, not "${value}".`);
  }
  return port;
}
