// `headroom healthcheck`: exit 0 when /readyz answers ready. Used by the container's
// HEALTHCHECK so the image needs no curl.
import { defineCommand } from "citty";
import { parsePort } from "../options/port.ts";

export default defineCommand({
  meta: { name: "healthcheck", description: "Exit 0 when the proxy on --port answers /readyz." },
  args: {
    port: { type: "string", valueHint: "port", description: "Port (default HEADROOM_PORT or 8787)" },
    host: { type: "string", valueHint: "host", description: "Host (default 127.0.0.1)" },
  },
  async run({ args }) {
    const port = parsePort(args.port) ?? parsePort(process.env.HEADROOM_PORT, "HEADROOM_PORT") ?? 8787;
    const host = args.host ?? "127.0.0.1";
    const { ofetch } = await import("ofetch");
    const { logger } = await import("./log.ts");
    try {
      const res = await ofetch.raw(`http://${host.includes(":") ? `[${host}]` : host}:${port}/readyz`, { timeout: 3000, retry: 0, ignoreResponseError: true, responseType: "text" });
      if (res.ok) return;
      logger().error(`the proxy on port ${port} is not ready (HTTP ${res.status}).`);
    } catch {
      logger().error(`nothing answers on ${host}:${port}.`);
    }
    process.exit(1);
  },
});
