// The proxy server seam that `agent run` serves in-process.
// PENDING: src/proxy/server.ts (runProxyUntilSignal) has not landed yet; until it does,
// `agent run` says so plainly.
import { HeadroomError } from "../errors.ts";
import type { ProxyConfig } from "../proxy/config.ts";

export async function runProxyUntilSignal(_config: ProxyConfig): Promise<void> {
  throw new HeadroomError("The proxy server is not available in this build yet.");
}
