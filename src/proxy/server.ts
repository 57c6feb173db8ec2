// `headroom proxy` as a library: start a server (startProxy) or serve in this process
// until SIGTERM/SIGINT and drain (runProxyUntilSignal). `install agent run` and the
// `proxy` command both come through here.
import type { Server } from "bun";
import { errorMessage, HeadroomError } from "../errors.ts";
import type { Env } from "../host/env.ts";
import { createHandler } from "./app.ts";
import { SHARED_TOKEN_USER } from "./guard.ts";
import { MAX_BODY_BYTES } from "./body.ts";
import type { ProxyConfig } from "./config.ts";
import { compressRequest, handleRetrievals } from "./compress/index.ts";
import { detachShared, enableSharedState } from "./compress/shared.ts";
import type { CompressionSeam, ProxyContext } from "./context.ts";
import { Ledger } from "./ledger.ts";
import { createLogger, type Logger } from "./log.ts";
import { isLoopbackBind } from "./net.ts";
import { describePortHolder } from "./port-holder.ts";
import { Stats } from "./stats.ts";
import { TokenTable, TokensFileError } from "./tokens.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./upstream.ts";
import { closeResponsesSockets, responsesSocketHandlers } from "./ws-responses.ts";

export const DEFAULT_DRAIN_MS = 10_000;

export interface RunningProxy {
  url: string;
  port: number;
  server: Server<unknown>;
  context: ProxyContext;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then closes the rest. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  retry?: Partial<RetryPolicy>;
  /** Replaces the compression engine (tests). */
  compression?: Partial<CompressionSeam>;
}

function isAddrInUse(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const message = "message" in err && typeof err.message === "string" ? err.message : "";
  return ("code" in err && err.code === "EADDRINUSE") || /EADDRINUSE|address already in use|in use/i.test(message);
}

function retryFromEnv(env: Env): Partial<RetryPolicy> {
  const out: Partial<RetryPolicy> = {};
  const n = (v: string | undefined) => (v !== undefined && v !== "" && Number.isFinite(Number(v)) ? Number(v) : undefined);
  const attempts = n(env.HEADROOM_RETRY_ATTEMPTS);
  const base = n(env.HEADROOM_RETRY_BASE_MS);
  const maxAfter = n(env.HEADROOM_RETRY_MAX_WAIT_MS);
  if (attempts !== undefined && attempts >= 1) out.attempts = Math.floor(attempts);
  if (base !== undefined && base >= 0) out.baseDelayMs = base;
  if (maxAfter !== undefined && maxAfter >= 0) out.maxRetryAfterMs = maxAfter;
  return out;
}

function hostForUrl(host: string): string {
  const h = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return h.includes(":") ? `[${h}]` : h;
}

function warnExposed(log: Logger, host: string, port: number): void {
  log.warn("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
  log.warn(`WARNING: headroom is listening on ${host}:${port}, reachable from other machines,`);
  log.warn("and neither HEADROOM_PROXY_TOKEN nor HEADROOM_TOKENS_FILE is set: anyone who can reach this port can use it");
  log.warn("and the API keys sent through it. Set HEADROOM_PROXY_TOKEN (or per-user HEADROOM_TOKENS_FILE) or bind 127.0.0.1.");
  log.warn("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
}

/** HEADROOM_TOKENS_FILE, loaded before the port opens: a bad file is a one-line error. */
function loadTokens(config: ProxyConfig, log: Logger): TokenTable | undefined {
  if (config.upstreamTokenError) throw new HeadroomError(config.upstreamTokenError);
  if (!config.tokensFile) return undefined;
  try {
    const table = TokenTable.load(config.tokensFile, { warn: (m) => log.warn(m), info: (m) => log.info(m) });
    if (table.size === 0) log.warn(`The tokens file ${config.tokensFile} holds no token: every request but the probes gets 401.`);
    else log.info(`Per-user tokens from ${config.tokensFile}: ${table.size} token(s); every route but the probes requires x-headroom-proxy-token.`);
    if (config.proxyToken) log.info(`HEADROOM_PROXY_TOKEN is accepted too, accounted to the user "${SHARED_TOKEN_USER}".`);
    return table;
  } catch (err) {
    if (err instanceof TokensFileError) throw new HeadroomError(err.message);
    throw err;
  }
}

export async function startProxy(config: ProxyConfig, opts: StartOptions = {}): Promise<RunningProxy> {
  const log = opts.log ?? createLogger(config.logLevel);
  const tokens = loadTokens(config, log);
  const ctx: ProxyContext = {
    config,
    port: config.port,
    stats: new Stats(),
    ledger: new Ledger({ path: config.savingsPath, onWarn: (m) => log.warn(m) }),
    log,
    retry: { ...DEFAULT_RETRY, ...retryFromEnv(process.env), ...opts.retry },
    life: { ready: false, draining: false, inFlight: 0 },
    compression: { compressRequest, handleRetrievals, ...opts.compression },
    ...(tokens ? { tokens } : {}),
  };
  // HEADROOM_REDIS_URL: the compression state shared with the other replicas (Redis code loads only then).
  const shared = config.redisUrl ? await enableSharedState({ url: config.redisUrl, prefix: config.redisPrefix ?? "headroom:", log }) : undefined;
  // ...and the stats and ledger totals, over the same connection.
  if (shared) ctx.teamStats = (await import("./shared-stats.ts")).enableSharedStats(ctx.stats, { state: shared, prefix: config.redisPrefix ?? "headroom:", log });
  const unshare = async () => {
    if (!shared) return;
    await ctx.teamStats?.close();
    detachShared(shared);
    await shared.close();
  };
  const handler = createHandler(ctx);
  let server: Server<unknown>;
  try {
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      // Streams can be silent for minutes while a model thinks.
      idleTimeout: 0,
      // Two proxies must never share a port (SO_REUSEPORT would let a second one bind).
      reusePort: false,
      maxRequestBodySize: MAX_BODY_BYTES + 1,
      development: false,
      fetch: handler,
      websocket: responsesSocketHandlers(),
      error(err) {
        log.error(`request failed: ${err.message}`);
        return Response.json({ error: { type: "proxy_error", message: `headroom failed to handle the request: ${err.message}` } }, { status: 500 });
      },
    });
  } catch (err) {
    await unshare();
    if (isAddrInUse(err)) {
      const holder = await describePortHolder(config.host, config.port);
      throw new HeadroomError(`Port ${config.port} is already in use (held by ${holder}); stop it or choose another port with --port.`);
    }
    throw new HeadroomError(`Could not listen on ${config.host}:${config.port}: ${errorMessage(err)}.`);
  }
  const port = server.port ?? config.port;
  ctx.port = port;
  ctx.life.ready = true;
  if (!isLoopbackBind(config.host) && !config.proxyToken && !tokens) warnExposed(log, config.host, port);

  let stopping: Promise<void> | null = null;
  const stop = (graceMs = DEFAULT_DRAIN_MS): Promise<void> => {
    stopping ??= (async () => {
      ctx.life.draining = true;
      const idle = new Promise<void>((resolve) => {
        if (ctx.life.inFlight === 0) return resolve();
        ctx.onIdle = resolve;
      });
      const graceful = server.stop(false);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, graceMs));
      });
      // Relayed WebSockets close once their responses are done (Codex then reconnects).
      const sockets = idle.then(() => closeResponsesSockets(ctx));
      const result = await Promise.race([Promise.all([graceful, sockets]).then(() => "done" as const), timeout]);
      clearTimeout(timer);
      if (result === "timeout") {
        log.warn(`${ctx.life.inFlight} request(s) still running after ${graceMs} ms; closing them.`);
        await server.stop(true);
      }
      await ctx.ledger.close();
      await unshare();
    })();
    return stopping;
  };

  return { url: `http://${hostForUrl(config.host)}:${port}`, port, server, context: ctx, stop };
}

/**
 * Serves in this process until SIGTERM or SIGINT, then drains (readyz 503, no new
 * connections, in-flight requests finish within ~10 s) and resolves, so the caller can
 * exit 0. A second signal while draining closes what is left at once.
 */
export async function runProxyUntilSignal(config: ProxyConfig, opts: StartOptions & { drainMs?: number } = {}): Promise<void> {
  const log = opts.log ?? createLogger(config.logLevel);
  const running = await startProxy(config, { ...opts, log });
  log.info(`headroom proxy listening on ${running.url} (mode ${config.mode}${config.optimize ? "" : ", no-optimize"}; anthropic ${config.anthropicApiUrl}, openai ${config.openaiApiUrl})`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        log.info(`${sig} received; draining (${running.context.life.inFlight} request(s) in flight).`);
        running.stop(opts.drainMs ?? DEFAULT_DRAIN_MS).then(() => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          log.info("headroom proxy stopped.");
          resolve();
        });
      } else {
        log.warn(`${sig} received again; closing open requests now.`);
        running.server.stop(true);
      }
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
