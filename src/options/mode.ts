// The proxy's compression mode given by the user (--mode, HEADROOM_MODE): auto, token or
// cache. An empty value counts as not given.
import { UsageError } from "../errors.ts";
import { given } from "./given.ts";

/** The compression modes, as the user names them (the same union as src/proxy/config.ts's ProxyMode). */
const PROXY_MODES = ["auto", "token", "cache"] as const;
export type ProxyMode = (typeof PROXY_MODES)[number];

/** auto, token or cache; `what` names the flag or variable in the message. */
export function parseMode(value: string | undefined, what = "--mode"): ProxyMode | undefined {
  if (!given(value)) return undefined;
  if (!(PROXY_MODES as readonly string[]).includes(value)) throw new UsageError(`${what} must be auto, token or cache, not "${value}".`);
  return value as ProxyMode;
}
