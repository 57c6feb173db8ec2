// The baseline for bench/proxy-overhead.ts: the least a Bun forwarder can do. It reads
// the request body, fetches the same path from the upstream, and returns the upstream's
// body stream as it is. No routing, header hygiene, retries, accounting or logging.
//   bun bench/support/bare-forwarder.ts <port> <upstream-url>
const port = Number(process.argv[2]);
const upstream = process.argv[3]!;

Bun.serve({
  port,
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(req) {
    const url = req.url;
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    if (path === "/readyz") return new Response("ok");
    const headers = new Headers(req.headers);
    headers.delete("host");
    headers.delete("content-length");
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const res = await fetch(upstream + path, { method: req.method, headers, body });
    const out = new Headers(res.headers);
    out.delete("content-length");
    out.delete("content-encoding");
    return new Response(res.body, { status: res.status, headers: out });
  },
});
