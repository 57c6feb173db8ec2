// Header hygiene between client and upstream (SPEC 9.1): everything passes except host,
// content-length, hop-by-hop headers and headroom's own x-headroom-* headers.
// Authentication is forwarded untouched; the proxy never adds a provider key of its own
// (only, towards a headroom gateway, the gateway's own x-headroom-proxy-token).

const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "trailers", "transfer-encoding", "upgrade",
]);

/** Header names the Connection header lists (null when it lists none beyond the hop-by-hop set). */
function connectionListed(headers: Headers): Set<string> | null {
  const value = headers.get("connection");
  // The usual values name no header of their own: skip the split.
  if (!value || value === "keep-alive" || value === "close" || value === "Keep-Alive" || value === "Close") return null;
  const out = new Set<string>();
  for (const name of value.split(",")) {
    const n = name.trim().toLowerCase();
    if (n) out.add(n);
  }
  return out;
}

/**
 * Headers to send upstream. `content-encoding` goes too when the body was decoded
 * (`bodyDecoded`). `dropAuthorization` removes an Authorization header that only carried
 * the proxy token. `gatewayToken` (this proxy's upstream is a headroom gateway:
 * HEADROOM_UPSTREAM_TOKEN_ENV / HEADROOM_UPSTREAM_TOKEN) goes out as
 * x-headroom-proxy-token, after the client's own x-headroom-* headers were dropped.
 * (A native copy, one pass over the names, and deletes only for what is present: cheaper
 * than rebuilding header by header on the hot path.)
 */
export function upstreamRequestHeaders(
  incoming: Headers,
  opts: { bodyDecoded?: boolean; dropAuthorization?: boolean; gatewayToken?: string } = {},
): Headers {
  const out = new Headers(incoming);
  const listed = connectionListed(incoming);
  for (const name of incoming.keys()) {
    if (
      name === "host" || name === "content-length" || HOP_BY_HOP.has(name) || name.startsWith("x-headroom-") ||
      (listed !== null && listed.has(name)) ||
      (opts.bodyDecoded && name === "content-encoding") ||
      (opts.dropAuthorization && name === "authorization")
    ) {
      out.delete(name);
    }
  }
  if (opts.gatewayToken) out.set("x-headroom-proxy-token", opts.gatewayToken);
  return out;
}

/**
 * Headers to return to the client. The upstream body reaches the client decoded (fetch
 * decompresses it), so content-encoding and content-length describe bytes that no
 * longer exist and are dropped with the hop-by-hop headers.
 */
export function clientResponseHeaders(upstream: Headers): Headers {
  const out = new Headers(upstream);
  const listed = connectionListed(upstream);
  for (const name of upstream.keys()) {
    if (name === "content-length" || name === "content-encoding" || HOP_BY_HOP.has(name) || (listed !== null && listed.has(name))) {
      out.delete(name);
    }
  }
  return out;
}
