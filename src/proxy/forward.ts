// Forwarding one API request (SPEC 9.1): read and decode the body, hand JSON bodies of
// the known APIs to the compressor, call the upstream with retries, and relay the answer
// chunk by chunk while a side reader picks up the usage for the stats.
import { errorMessage } from "../errors.ts";
import { isObj } from "./compress/apis/types.ts";
import type { CompressResult } from "./compress/index.ts";
import type { ProxyContext } from "./context.ts";
import { BodyError, decodeBody, isEncoded, readRequestBody } from "./body.ts";
import { chatgptTarget } from "./chatgpt.ts";
import { providerError, upstreamUnreachable } from "./error-bodies.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.ts";
import { relayStream } from "./relay.ts";
import type { CompressionRecord, RequestRecord } from "./request-record.ts";
import type { RouteInfo } from "./routing.ts";
import { callUpstream } from "./upstream.ts";
import { readJsonUsage, type Usage, usageReaderFor } from "./usage.ts";

/** Complete bodies up to this size (by Content-Length) are sent in one write instead of relayed. */
const SMALL_BODY_BYTES = 1024 * 1024;
const NO_BODY_STATUS = new Set([101, 204, 205, 304]);
const utf8 = new TextDecoder();

export interface ForwardOptions {
  /** The Authorization header carried the proxy token, not an upstream key. */
  authorizationIsProxyToken: boolean;
}

function upstreamBase(ctx: ProxyContext, info: RouteInfo): string {
  return info.provider === "anthropic" ? ctx.config.anthropicApiUrl : ctx.config.openaiApiUrl;
}

function isBypass(req: Request): boolean {
  const v = req.headers.get("x-headroom-bypass");
  return v !== null && /^(true|1|yes)$/i.test(v.trim());
}

/** The request as it goes upstream (its body, compressed or not) and what reading it told. */
interface PreparedForward {
  body: Uint8Array | string | null;
  decoded: boolean;
  /** The body as forwarded, parsed (for retrievals), when the compressor saw it. */
  parsed?: unknown;
  stream: boolean;
  model?: string;
  compression?: CompressionRecord;
  result?: CompressResult;
  /** The Anthropic body as the client sent it, parsed (for the emulated cache bill). */
  original?: unknown;
}

/** The body as received, decoded when it carries a Content-Encoding. */
function received(req: Request, raw: Uint8Array | null): { body: Uint8Array | null; decoded: boolean } {
  const encoding = raw ? req.headers.get("content-encoding") : null;
  if (raw && encoding !== null && isEncoded(encoding)) return { body: decodeBody(raw, encoding), decoded: true };
  return { body: raw, decoded: false };
}

function passthrough(req: Request, raw: Uint8Array | null): PreparedForward {
  const { body, decoded } = received(req, raw);
  return { body, decoded, stream: false };
}

async function prepareBody(req: Request, info: RouteInfo, ctx: ProxyContext): Promise<PreparedForward> {
  const { body, decoded } = received(req, await readRequestBody(req));
  const out: PreparedForward = { body, decoded, stream: false };
  if (!body || info.api === "other" || !ctx.config.optimize || isBypass(req)) return out;

  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    return out; // not JSON: the upstream answers it
  }
  if (!isObj(parsed)) return out;
  out.stream = parsed.stream === true;
  if (typeof parsed.model === "string") out.model = parsed.model;
  out.parsed = parsed;
  if (info.api === "anthropic-messages") out.original = parsed;
  let result: CompressResult;
  try {
    result = await ctx.compression.compressRequest({ api: info.api, body: parsed, mode: ctx.config.mode, freshThreshold: ctx.config.freshThreshold, headers: req.headers });
  } catch (err) {
    ctx.log.warn(`compression failed, forwarding the original: ${errorMessage(err)}`);
    out.compression = { tokensBefore: 0, tokensAfter: 0, changed: false, failed: true, savedByKind: {} };
    return out;
  }
  out.result = result;
  out.compression = {
    tokensBefore: result.tokensBefore,
    tokensAfter: result.tokensAfter,
    changed: result.changed,
    failed: !!result.failed,
    savedByKind: result.savedByKind,
  };
  if (result.failed && result.failure) ctx.log.warn(`compression failed, forwarding the original: ${result.failure}`);
  if (result.changed) {
    out.body = JSON.stringify(result.body);
    out.parsed = result.body;
  }
  return out;
}

function bodyErrorResponse(info: RouteInfo, err: BodyError): Response {
  const type = err.status === 413 ? "request_too_large" : "invalid_request_error";
  return providerError(info.provider, err.status, type, err.message);
}

/** One forwarded request is over: it leaves the in-flight count (drain waits for 0). */
function release(ctx: ProxyContext): void {
  const life = ctx.life;
  life.inFlight--;
  if (life.inFlight === 0) ctx.onIdle?.();
}

/** Counts a finished request in the stats and the savings ledger. */
function account(
  ctx: ProxyContext,
  req: Request,
  info: RouteInfo,
  t0: number,
  status: number,
  model: string | undefined,
  usage: Usage | undefined,
  compression: CompressionRecord | undefined,
  overheadMs: number,
): void {
  const r: RequestRecord = { provider: info.provider, status, project: info.project, user: info.user, latencyMs: performance.now() - t0, overheadMs, model, usage, compression };
  ctx.stats.record(r);
  ctx.ledger.record(r);
  if (ctx.log.enabled("debug")) {
    ctx.log.debug(`${req.method} ${info.path} -> ${info.provider} ${status} ${r.latencyMs.toFixed(1)}ms${usage ? ` in=${usage.input} out=${usage.output}` : ""}`);
  }
}

export async function forward(req: Request, search: string, info: RouteInfo, ctx: ProxyContext, opts: ForwardOptions): Promise<Response> {
  const t0 = performance.now();
  ctx.life.inFlight++;
  let released = false;

  try {
    let prep: PreparedForward;
    try {
      // Pure passthrough (--no-optimize, or an API the compressor does not read) skips
      // the body inspection entirely.
      prep = ctx.config.optimize && info.api !== "other" ? await prepareBody(req, info, ctx) : passthrough(req, await readRequestBody(req));
    } catch (err) {
      if (err instanceof BodyError) {
        account(ctx, req, info, t0, err.status, undefined, undefined, undefined, performance.now() - t0);
        released = true;
        release(ctx);
        return bodyErrorResponse(info, err);
      }
      throw err;
    }

    // A ChatGPT sign-in (Codex) goes to the ChatGPT backend (chatgpt.ts).
    const chatgpt = info.provider === "openai" ? chatgptTarget(req.headers, info.path) : null;
    const base = chatgpt?.base ?? upstreamBase(ctx, info);
    const url = base + (chatgpt?.path ?? info.path) + search;
    // A gateway token (this proxy's upstream is a headroom gateway) never goes to the ChatGPT backend.
    const gatewayToken = chatgpt ? undefined : ctx.config.upstreamToken;
    const headers = upstreamRequestHeaders(req.headers, { bodyDecoded: prep.decoded, dropAuthorization: opts.authorizationIsProxyToken, gatewayToken });
    const signal = req.signal;
    const tSend = performance.now();
    const pending = callUpstream({ url, method: req.method, headers, body: prep.body }, ctx.retry, signal);
    // While the request is on its way: the emulated prompt-cache bill of what the client
    // sent and of what goes out (one hashing pass when the body was not changed).
    if (prep.compression && prep.original !== undefined) {
      prep.compression.cache = ctx.stats.cacheAccount.observe(prep.original, prep.result?.changed ? prep.result.body : undefined);
    }
    const outcome = await pending;
    let tHeaders = performance.now();
    const before = tSend - t0;

    if (!outcome.ok) {
      released = true;
      release(ctx);
      if (outcome.aborted) {
        account(ctx, req, info, t0, 499, prep.model, undefined, prep.compression, before);
        return new Response(null, { status: 499 });
      }
      ctx.log.warn(`upstream ${base} unreachable after ${outcome.attempts} attempt(s): ${outcome.error.message}`);
      account(ctx, req, info, t0, 502, prep.model, undefined, prep.compression, before);
      return upstreamUnreachable(info.provider, base, outcome.error.message);
    }

    let response = outcome.response;
    if (prep.result?.hasMarkers && prep.result.changed) {
      // The model may call headroom_retrieve: the compression side answers those calls
      // with more upstream round trips (upstream time, not proxy overhead).
      try {
        response = await ctx.compression.handleRetrievals({
          api: info.api,
          body: prep.parsed,
          stream: prep.stream,
          response,
          resend: async (next) => {
            const again = await callUpstream({ url, method: req.method, headers, body: JSON.stringify(next) }, ctx.retry, signal);
            if (!again.ok) throw again.error;
            return again.response;
          },
        });
      } catch (err) {
        released = true;
        release(ctx);
        account(ctx, req, info, t0, signal.aborted ? 499 : 502, prep.model, undefined, prep.compression, before);
        if (signal.aborted) return new Response(null, { status: 499 });
        ctx.log.warn(`retrieval round trip failed: ${errorMessage(err)}`);
        return providerError(info.provider, 502, "api_error", `headroom could not complete a retrieval round trip with ${base}: ${errorMessage(err)}`);
      }
      tHeaders = performance.now();
    }

    const outHeaders = clientResponseHeaders(response.headers);
    const c = prep.compression;
    if (c) {
      if (c.failed) outHeaders.set("x-headroom-compression-failed", "true");
      if (c.tokensBefore > 0 || c.changed) {
        const after = c.changed ? c.tokensAfter : c.tokensBefore;
        outHeaders.set("x-headroom-tokens-before", String(c.tokensBefore));
        outHeaders.set("x-headroom-tokens-after", String(after));
        outHeaders.set("x-headroom-tokens-saved", String(Math.max(0, c.tokensBefore - after)));
      }
    }

    const status = response.status;
    const init = { status, statusText: response.statusText, headers: outHeaders };
    if (!response.body || req.method === "HEAD" || NO_BODY_STATUS.has(status)) {
      if (response.body) response.body.cancel().catch(() => {});
      account(ctx, req, info, t0, status, prep.model, undefined, c, before + (performance.now() - tHeaders));
      released = true;
      release(ctx);
      return new Response(null, init);
    }

    const contentType = response.headers.get("content-type");
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared <= SMALL_BODY_BYTES && !contentType?.includes("text/event-stream")) {
      // A small complete body (the usual JSON answer): read it at once and send it in
      // one write; cheaper than relaying a stream of one chunk.
      let bytes: Uint8Array;
      try {
        bytes = await response.bytes();
      } catch (err) {
        account(ctx, req, info, t0, signal.aborted ? 499 : 502, prep.model, undefined, c, before);
        released = true;
        release(ctx);
        if (signal.aborted) return new Response(null, { status: 499 });
        return upstreamUnreachable(info.provider, base, errorMessage(err));
      }
      const tBody = performance.now();
      const out = new Response(bytes, init);
      const usage = contentType?.includes("json") ? readJsonUsage(bytes) : undefined;
      account(ctx, req, info, t0, status, usage?.model ?? prep.model, usage, c, before + (performance.now() - tBody));
      released = true;
      release(ctx);
      return out;
    }
    const reader = usageReaderFor(contentType);
    let overheadMs = 0;
    const relayed = relayStream(response.body, reader, () => {
      const usage = reader?.finish();
      account(ctx, req, info, t0, status, usage?.model ?? prep.model, usage, c, overheadMs);
      released = true;
      release(ctx);
    });
    overheadMs = before + (performance.now() - tHeaders);
    return new Response(relayed, init);
  } catch (err) {
    if (!released) release(ctx);
    throw err;
  }
}
