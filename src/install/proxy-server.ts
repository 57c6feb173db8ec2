// The proxy server that `agent run` serves in its own process.
export { runProxyUntilSignal } from "../proxy/server.ts";
