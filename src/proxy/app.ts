// The request router: health and accounting routes, the compression routes (loopback
// only), and forwarding of everything under /v1/.
import type { Server } from "bun";
import type { ProxyContext } from "./context.ts";
import { forward } from "./forward.ts";
import { checkCaller, unauthorized } from "./guard.ts";
import { health, livez, readyz } from "./health.ts";
import { IDENTITY_ROUTE, identityResponse } from "./identity.ts";
import { isLoopbackAddress } from "./net.ts";
import { metricsText, statsBody } from "./report.ts";
import { isBareMessagesPath, route } from "./routing.ts";
import { acceptResponsesSocket, isResponsesSocketPath, isWebSocketUpgrade } from "./ws-responses.ts";

/** Path and query string of a request URL, without building a URL object. */
export function splitUrl(url: string): { path: string; search: string } {
  const scheme = url.indexOf("://");
  let start = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  if (start === -1) start = url.length;
  const q = url.indexOf("?", start);
  return q === -1 ? { path: url.slice(start) || "/", search: "" } : { path: url.slice(start, q) || "/", search: url.slice(q) };
}

function notFound(path: string): Response {
  return Response.json({ error: { type: "not_found", message: `headroom has no route ${path}; API calls go under /v1/.` } }, { status: 404 });
}

function forbidden(): Response {
  return Response.json({ error: { type: "forbidden", message: "This route answers only callers on this machine." } }, { status: 403 });
}

function methodNotAllowed(allowed: string): Response {
  return Response.json({ error: { type: "method_not_allowed", message: `Use ${allowed}.` } }, { status: 405, headers: { allow: allowed } });
}

type CompressRoutes = typeof import("./compress/routes.ts");
let compressRoutes: Promise<CompressRoutes> | null = null;
const loadCompressRoutes = () => (compressRoutes ??= import("./compress/routes.ts"));

async function compressRoute(req: Request, path: string): Promise<Response> {
  const routes = await loadCompressRoutes();
  if (path === "/v1/compress") return req.method === "POST" ? routes.compressRoute(req) : methodNotAllowed("POST");
  if (path === "/v1/retrieve") return req.method === "POST" ? routes.retrieveRoute(req) : methodNotAllowed("POST");
  if (req.method !== "GET") return methodNotAllowed("GET");
  return routes.retrieveRoute(req, decodeURIComponent(path.slice("/v1/retrieve/".length)));
}

/** Paths of the provider APIs (forwarded, or the Responses WebSocket, or the compression routes). */
const isApiPath = (path: string) => path.startsWith("/v1/") || path.startsWith("/p/") || path === "/responses" || isBareMessagesPath(path);

/** The caller's address (a syscall: looked up only where it matters). */
const remoteOf = (server: Server<unknown>, req: Request) => server.requestIP(req)?.address;

export function createHandler(ctx: ProxyContext) {
  const token = ctx.config.proxyToken;
  // HEADROOM_TOKENS_FILE: per-user tokens on every route but the probes (guard.ts).
  const tokens = ctx.tokens;
  // Not an async function: a forwarded request returns forward()'s promise as it is.
  // Undefined: the request became a WebSocket (the Responses relay).
  return function handle(req: Request, server: Server<unknown>): Response | undefined | Promise<Response | undefined> {
    const { path, search } = splitUrl(req.url);
    // A deployment's proof of identity: reveals nothing, so no token (src/proxy/identity.ts).
    if (path === IDENTITY_ROUTE) return identityResponse(search, ctx.config.deployment, ctx.port);
    const api = isApiPath(path);
    let authorizationIsProxyToken = false;
    let user: string | undefined;
    // Before any route, the WebSocket upgrade on /v1/responses included.
    if (token || tokens) {
      const guard = checkCaller(path, req.headers, tokens ? undefined : remoteOf(server, req), token, tokens);
      if (!guard.allowed) {
        return unauthorized({ provider: api ? route(req.method, path, req.headers).provider : undefined, perUser: !!tokens, reason: guard.reason });
      }
      authorizationIsProxyToken = guard.authorizationIsProxyToken;
      user = guard.user;
    }

    if (api) {
      const info = route(req.method, path, req.headers);
      if (user !== undefined) info.user = user;
      if (isResponsesSocketPath(info.path) && isWebSocketUpgrade(req)) {
        return acceptResponsesSocket(req, server, { ...info, path: "/v1/responses", provider: "openai", api: "openai-responses" }, search, ctx, { authorizationIsProxyToken });
      }
      if (info.path === "/v1/compress" || info.path === "/v1/retrieve" || info.path.startsWith("/v1/retrieve/")) {
        if (!isLoopbackAddress(remoteOf(server, req))) return forbidden();
        return compressRoute(req, info.path);
      }
      if (!info.path.startsWith("/v1/")) return notFound(path);
      return forward(req, search, info, ctx, { authorizationIsProxyToken });
    }

    switch (path) {
      case "/livez":
        return livez();
      case "/readyz":
        return readyz(ctx);
      case "/health":
      case "/healthz":
        return health(ctx, isLoopbackAddress(remoteOf(server, req)));
      case "/stats":
        // HEADROOM_REDIS_URL: with the team's totals from Redis beside this replica's.
        return ctx.teamStats ? ctx.teamStats.withTeam(statsBody(ctx)).then((body) => Response.json(body)) : Response.json(statsBody(ctx));
      case "/metrics":
        return new Response(metricsText(ctx), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
      default:
        return notFound(path);
    }
  };
}
