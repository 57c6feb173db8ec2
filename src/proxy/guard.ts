// Who may use the proxy (SPEC 3, 10). Health probes (/livez, /readyz, /health) are
// always open.
//
// HEADROOM_PROXY_TOKEN alone (one machine, a shared secret): callers from other machines
// must present it, in Authorization: Bearer <token> or x-headroom-proxy-token; loopback
// callers never need it.
//
// HEADROOM_TOKENS_FILE (a team gateway, tokens.ts): every caller, loopback included (a
// port-forward or a sidecar arrives from 127.0.0.1), presents its own token in
// x-headroom-proxy-token, and the request is accounted to that token's user. The
// provider's Authorization and x-api-key are never read as a gateway token on forwarded
// routes, so a Claude subscription's OAuth bearer token or an API key passes through
// untouched. On headroom's own /stats and /metrics, which forward nothing, a user token
// is also accepted as Authorization: Bearer (what a Prometheus scrape can send).
// A HEADROOM_PROXY_TOKEN set as well stays valid as one more credential, in either header
// as before, accounted to the user SHARED_TOKEN_USER; the loopback exemption is gone.
import { timingSafeEqual } from "node:crypto";
import { isLoopbackAddress } from "./net.ts";
import { providerError } from "./error-bodies.ts";
import type { Provider } from "./routing.ts";
import { TOKEN_HEADER, type TokenTable } from "./tokens.ts";

export const HEALTH_PATHS = new Set(["/livez", "/readyz", "/health", "/healthz"]);
/** Routes of headroom's own that forward nothing: a user token may come as Authorization: Bearer there. */
const OWN_ROUTES = new Set(["/stats", "/metrics"]);
/** The user name of a caller that presented HEADROOM_PROXY_TOKEN on a gateway with a tokens file. */
export const SHARED_TOKEN_USER = "proxy-token";

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token the request presents, and whether it came in Authorization (which then must not go upstream). */
export function presentedToken(headers: Headers): { token?: string; viaAuthorization: boolean } {
  const explicit = headers.get(TOKEN_HEADER);
  if (explicit) return { token: explicit.trim(), viaAuthorization: false };
  const bearer = bearerOf(headers);
  return bearer !== undefined ? { token: bearer, viaAuthorization: true } : { viaAuthorization: false };
}

function bearerOf(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  const m = auth ? /^bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1]!.trim() : undefined;
}

export type GuardResult =
  | { allowed: true; authorizationIsProxyToken: boolean; user?: string }
  | { allowed: false; reason: "missing" | "invalid" };

/**
 * Decides whether a caller may use the proxy. `authorizationIsProxyToken` tells the
 * forwarder that the Authorization header held the proxy token, not an API key; `user`
 * is the tokens file's user name of the caller.
 */
export function checkCaller(
  path: string,
  headers: Headers,
  remoteAddress: string | undefined,
  token: string | undefined,
  tokens?: TokenTable,
): GuardResult {
  if (tokens) return checkUser(path, headers, token, tokens);
  if (!token) return { allowed: true, authorizationIsProxyToken: false };
  const presented = presentedToken(headers);
  const matches = presented.token !== undefined && sameSecret(presented.token, token);
  const viaAuth = matches && presented.viaAuthorization;
  if (isLoopbackAddress(remoteAddress) || HEALTH_PATHS.has(path)) return { allowed: true, authorizationIsProxyToken: viaAuth };
  return matches ? { allowed: true, authorizationIsProxyToken: viaAuth } : { allowed: false, reason: presented.token === undefined ? "missing" : "invalid" };
}

function checkUser(path: string, headers: Headers, shared: string | undefined, tokens: TokenTable): GuardResult {
  if (HEALTH_PATHS.has(path)) return { allowed: true, authorizationIsProxyToken: false };
  const explicit = headers.get(TOKEN_HEADER)?.trim();
  if (explicit) {
    const user = tokens.lookup(explicit);
    if (user !== undefined) return { allowed: true, authorizationIsProxyToken: false, user };
    if (shared && sameSecret(explicit, shared)) return { allowed: true, authorizationIsProxyToken: false, user: SHARED_TOKEN_USER };
    return { allowed: false, reason: "invalid" };
  }
  const bearer = bearerOf(headers);
  if (bearer !== undefined) {
    // Forwarded routes: a bearer token is the provider's (an API key, an OAuth token) unless it is the shared proxy token.
    if (shared && sameSecret(bearer, shared)) return { allowed: true, authorizationIsProxyToken: true, user: SHARED_TOKEN_USER };
    if (OWN_ROUTES.has(path)) {
      const user = tokens.lookup(bearer);
      if (user !== undefined) return { allowed: true, authorizationIsProxyToken: true, user };
      return { allowed: false, reason: "invalid" };
    }
  }
  return { allowed: false, reason: "missing" };
}

/**
 * The 401, in the Anthropic or OpenAI error shape when the route speaks one (so the
 * client's SDK shows the message), else headroom's own.
 */
export function unauthorized(opts: { provider?: Provider; perUser?: boolean; reason?: "missing" | "invalid" } = {}): Response {
  const message = opts.perUser
    ? opts.reason === "invalid"
      ? `The ${TOKEN_HEADER} header does not hold a token of this headroom gateway.`
      : `This headroom gateway requires your user token in the ${TOKEN_HEADER} header (your provider key or sign-in stays in x-api-key or Authorization).`
    : "This headroom proxy requires its token: send Authorization: Bearer <HEADROOM_PROXY_TOKEN> or x-headroom-proxy-token.";
  const headers = { "www-authenticate": 'Bearer realm="headroom"' };
  if (opts.provider) {
    const res = providerError(opts.provider, 401, "authentication_error", message);
    res.headers.set("www-authenticate", headers["www-authenticate"]);
    return res;
  }
  return Response.json({ error: { type: "authentication_error", message } }, { status: 401, headers });
}
