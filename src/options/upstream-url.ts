// An upstream API URL given by the user (--anthropic-api-url, --openai-api-url): any
// http(s) URL, returned as given. An empty value counts as not given.
import { UsageError } from "../errors.ts";
import { given } from "./given.ts";

/** An http(s) URL for an upstream; `what` names the flag in the message. */
export function parseUpstreamUrl(value: string | undefined, what: string): string | undefined {
  if (!given(value)) return undefined;
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {}
  if (u?.protocol !== "http:" && u?.protocol !== "https:") throw new UsageError(`${what} must be an http(s) URL, not "${value}".`);
  return value;
}
