// The proxy's log level given by the user (--log-level): checked, not converted. The
// value is returned as given (any case, "warning" too); turning it into the proxy's
// level is src/proxy/log.ts's job. An empty value counts as not given.
import { UsageError } from "../errors.ts";
import { given } from "./given.ts";

const LEVELS: readonly string[] = ["debug", "info", "warn", "warning", "error"];

/** The value when it names debug, info, warn(ing) or error, in any case; returned as given. */
export function checkLogLevel(value: string | undefined, what = "--log-level"): string | undefined {
  if (!given(value)) return undefined;
  if (!LEVELS.includes(value.toLowerCase())) throw new UsageError(`${what} must be debug, info, warn or error, not "${value}".`);
  return value;
}
