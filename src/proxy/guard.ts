// HEADROOM_PROXY_TOKEN: when set, callers from other machines must present it
// (Authorization: Bearer <token> or x-headroom-proxy-token), health probes excepted.
// Loopback callers never need it.
import { timingSafeEqual } from "node:crypto";
import { isLoopbackAddress } from "./net.ts";

export const HEALTH_PATHS = new Set(["/livez", "/readyz", "/health", "/healthz"]);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token the request presents, and whether it came in Authorization (which then must not go upstream). */
export function presentedToken(headers: Headers): { token?: string; viaAuthorization: boolean } {
  const explicit = headers.get("x-headroom-proxy-token");
  if (explicit) return { token: explicit.trim(), viaAuthorization: false };
  const auth = headers.get("authorization");
  const m = auth ? /^bearer\s+(.+)$/i.exec(auth) : null;
  return m ? { token: m[1]!.trim(), viaAuthorization: true } : { viaAuthorization: false };
}

export type GuardResult = { allowed: true; authorizationIsProxyToken: boolean } | { allowed: false };

/**
 * Decides whether a caller may use the proxy. `authorizationIsProxyToken` tells the
 * forwarder that the Authorization header held the proxy token, not an API key.
 */
export function checkCaller(path: string, headers: Headers, remoteAddress: string | undefined, token: string | undefined): GuardResult {
  if (!token) return { allowed: true, authorizationIsProxyToken: false };
  const presented = presentedToken(headers);
  const matches = presented.token !== undefined && sameSecret(presented.token, token);
  const viaAuth = matches && presented.viaAuthorization;
  if (isLoopbackAddress(remoteAddress) || HEALTH_PATHS.has(path)) return { allowed: true, authorizationIsProxyToken: viaAuth };
  return matches ? { allowed: true, authorizationIsProxyToken: viaAuth } : { allowed: false };
}

export function unauthorized(): Response {
  return Response.json(
    { error: { type: "authentication_error", message: "This headroom proxy requires its token: send Authorization: Bearer <HEADROOM_PROXY_TOKEN> or x-headroom-proxy-token." } },
    { status: 401, headers: { "www-authenticate": 'Bearer realm="headroom"' } },
  );
}
