// /livez, /readyz and /health bodies (SPEC 3).
import { BUILD, VERSION } from "../version.ts";
import { sharedHealth } from "./compress/shared.ts";
import type { ProxyContext } from "./context.ts";
import { savingsPercent } from "./stats.ts";

const uptime = (ctx: ProxyContext) => Math.round((Date.now() - ctx.stats.startedAt) / 10) / 100;

export function livez(): Response {
  return Response.json({ status: "healthy", alive: true, service: "headroom", version: VERSION, pid: process.pid });
}

export function readyz(ctx: ProxyContext): Response {
  const ready = ctx.life.ready && !ctx.life.draining;
  return Response.json(
    { ready, status: ready ? "ready" : ctx.life.draining ? "draining" : "starting", service: "headroom", version: VERSION, pid: process.pid },
    { status: ready ? 200 : 503 },
  );
}

/** The config block goes only to loopback callers. */
export function health(ctx: ProxyContext, loopbackCaller: boolean): Response {
  const s = ctx.stats;
  const shared = sharedHealth(); // HEADROOM_REDIS_URL: Redis unreachable = degraded (still serving)
  const body: Record<string, unknown> = {
    status: ctx.life.draining ? "draining" : shared?.degraded ? "degraded" : "healthy",
    ...(shared?.degraded ? { degraded: [shared.degraded] } : {}),
    ...(shared ? { shared_state: shared } : {}),
    service: "headroom",
    version: VERSION,
    commit: BUILD.commit,
    pid: process.pid,
    uptime_seconds: uptime(ctx),
    ready: ctx.life.ready && !ctx.life.draining,
    stats: {
      requests: s.requests,
      errors: s.errors,
      in_flight: ctx.life.inFlight,
      tokens_saved: s.tokens.saved,
      savings_percent: savingsPercent(s.tokens),
    },
  };
  if (ctx.config.deployment) body.deployment = { ...ctx.config.deployment };
  if (loopbackCaller) {
    body.config = {
      backend: ctx.config.backend,
      mode: ctx.config.mode,
      optimize: ctx.config.optimize,
      host: ctx.config.host,
      port: ctx.port,
      anthropic_api_url: ctx.config.anthropicApiUrl,
      openai_api_url: ctx.config.openaiApiUrl,
      savings_path: ctx.config.savingsPath,
      token_required: !!ctx.config.proxyToken || !!ctx.tokens,
      per_user_tokens: !!ctx.tokens,
    };
  }
  return Response.json(body);
}
