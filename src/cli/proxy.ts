import { defineCommand } from "citty";
import { notAvailableYet } from "./not-yet.ts";

export const proxyArgs = {
  host: { type: "string", description: "Address to bind (default 127.0.0.1, HEADROOM_HOST)" },
  port: { type: "string", description: "Port to bind (default 8787, HEADROOM_PORT)" },
  mode: { type: "string", description: "Compression mode: token (default) or cache" },
  backend: { type: "string", description: "Backend name recorded in /health" },
  "anthropic-api-url": { type: "string", description: "Anthropic upstream (default https://api.anthropic.com)" },
  "openai-api-url": { type: "string", description: "OpenAI upstream (default https://api.openai.com)" },
  optimize: { type: "boolean", description: "Compress tool output (--no-optimize for pure passthrough)" },
  telemetry: { type: "boolean", description: "Anonymous telemetry (off by default)" },
  "log-level": { type: "string", description: "debug, info, warn or error" },
} as const;

export default defineCommand({
  meta: { name: "proxy", description: "Run the proxy in the foreground on 127.0.0.1:8787." },
  args: proxyArgs,
  run() {
    notAvailableYet("proxy");
  },
});
