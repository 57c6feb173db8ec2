// Header hygiene between client and upstream (SPEC 9.1): everything passes except host,
// content-length, hop-by-hop headers and headroom's own x-headroom-* headers.
// Authentication is forwarded untouched; the proxy never adds a key of its own.

const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "trailers", "transfer-encoding", "upgrade",
]);

function connectionListed(headers: Headers): Set<string> | null {
  const value = headers.get("connection");
  if (!value) return null;
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
 * the proxy token.
 */
export function upstreamRequestHeaders(incoming: Headers, opts: { bodyDecoded?: boolean; dropAuthorization?: boolean } = {}): Headers {
  const out = new Headers();
  const listed = connectionListed(incoming);
  for (const [name, value] of incoming) {
    // Header names from a Headers iterator are already lower case.
    if (name === "host" || name === "content-length" || HOP_BY_HOP.has(name)) continue;
    if (name.startsWith("x-headroom-")) continue;
    if (listed?.has(name)) continue;
    if (opts.bodyDecoded && name === "content-encoding") continue;
    if (opts.dropAuthorization && name === "authorization") continue;
    out.append(name, value);
  }
  return out;
}

/**
 * Headers to return to the client. The upstream body reaches the client decoded (fetch
 * decompresses it), so content-encoding and content-length describe bytes that no
 * longer exist and are dropped with the hop-by-hop headers.
 */
export function clientResponseHeaders(upstream: Headers): Headers {
  const out = new Headers();
  const listed = connectionListed(upstream);
  for (const [name, value] of upstream) {
    if (name === "content-length" || name === "content-encoding" || HOP_BY_HOP.has(name)) continue;
    if (listed?.has(name)) continue;
    out.append(name, value);
  }
  return out;
}
