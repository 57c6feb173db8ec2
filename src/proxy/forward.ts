// Forwarding one API request (SPEC 9.1): read and decode the body, hand JSON bodies of
// the known APIs to the compressor, call the upstream with retries, and relay the answer
// chunk by chunk while a side reader picks up the usage for the stats.
import type { CompressResult } from "./compress/index.ts";
import type { ProxyContext } from "./context.ts";
import { BodyError, decodeBody, isEncoded, readRequestBody } from "./body.ts";
import { providerError, upstreamUnreachable } from "./error-bodies.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.ts";
import { relayStream } from "./relay.ts";
import type { RouteInfo } from "./routing.ts";
import type { CompressionRecord, RequestRecord } from "./stats.ts";
import { callUpstream } from "./upstream.ts";
import { usageReaderFor } from "./usage.ts";

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

interface Prepared {
  body: Uint8Array | string | null;
  decoded: boolean;
  /** The body as forwarded, parsed (for retrievals), when the compressor saw it. */
  parsed?: unknown;
  stream: boolean;
  model?: string;
  compression?: CompressionRecord;
  result?: CompressResult;
}

async function prepareBody(req: Request, info: RouteInfo, ctx: ProxyContext): Promise<Prepared> {
  const raw = await readRequestBody(req);
  let body: Uint8Array | null = raw;
  let decoded = false;
  const encoding = req.headers.get("content-encoding");
  if (raw && isEncoded(encoding)) {
    body = decodeBody(raw, encoding!);
    decoded = true;
  }
  const out: Prepared = { body, decoded, stream: false };
  if (!body || info.api === "other" || !ctx.config.optimize || isBypass(req)) return out;

  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    return out; // not JSON: the upstream answers it
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return out;
  const obj = parsed as Record<string, unknown>;
  out.stream = obj.stream === true;
  if (typeof obj.model === "string") out.model = obj.model;
  out.parsed = parsed;
  let result: CompressResult;
  try {
    result = await ctx.compression.compressRequest({ api: info.api, body: parsed, mode: ctx.config.mode, headers: req.headers });
  } catch (err) {
    ctx.log.warn(`compression failed, forwarding the original: ${(err as Error).message}`);
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

export async function forward(req: Request, search: string, info: RouteInfo, ctx: ProxyContext, opts: ForwardOptions): Promise<Response> {
  const t0 = performance.now();
  const life = ctx.life;
  life.inFlight++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    life.inFlight--;
    if (life.inFlight === 0) ctx.onIdle?.();
  };
  const record = (status: number, extra: Partial<RequestRecord>, overheadMs: number) => {
    const r: RequestRecord = {
      provider: info.provider,
      status,
      project: info.project,
      latencyMs: performance.now() - t0,
      overheadMs,
      ...extra,
    };
    ctx.stats.record(r);
    ctx.ledger.record(r);
    if (ctx.log.enabled("debug")) {
      ctx.log.debug(`${req.method} ${info.path} -> ${info.provider} ${status} ${r.latencyMs.toFixed(1)}ms${r.usage ? ` in=${r.usage.input} out=${r.usage.output}` : ""}`);
    }
  };

  try {
    let prep: Prepared;
    try {
      prep = await prepareBody(req, info, ctx);
    } catch (err) {
      if (err instanceof BodyError) {
        record(err.status, {}, performance.now() - t0);
        release();
        return bodyErrorResponse(info, err);
      }
      throw err;
    }

    const base = upstreamBase(ctx, info);
    const url = base + info.path + search;
    const headers = upstreamRequestHeaders(req.headers, { bodyDecoded: prep.decoded, dropAuthorization: opts.authorizationIsProxyToken });
    const signal = req.signal;
    const tSend = performance.now();
    const outcome = await callUpstream({ url, method: req.method, headers, body: prep.body }, ctx.retry, signal);
    let tHeaders = performance.now();
    const before = tSend - t0;

    if (!outcome.ok) {
      release();
      if (outcome.aborted) {
        record(499, { model: prep.model, compression: prep.compression }, before);
        return new Response(null, { status: 499 });
      }
      ctx.log.warn(`upstream ${base} unreachable after ${outcome.attempts} attempt(s): ${outcome.error.message}`);
      record(502, { model: prep.model, compression: prep.compression }, before);
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
        release();
        record(signal.aborted ? 499 : 502, { model: prep.model, compression: prep.compression }, before);
        if (signal.aborted) return new Response(null, { status: 499 });
        ctx.log.warn(`retrieval round trip failed: ${(err as Error).message}`);
        return providerError(info.provider, 502, "api_error", `headroom could not complete a retrieval round trip with ${base}: ${(err as Error).message}`);
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
      record(status, { model: prep.model, compression: c }, before + (performance.now() - tHeaders));
      release();
      return new Response(null, init);
    }

    const contentType = response.headers.get("content-type");
    const reader = usageReaderFor(contentType);
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared <= SMALL_BODY_BYTES && !contentType?.includes("text/event-stream")) {
      // A small complete body (the usual JSON answer): read it at once and send it in
      // one write; cheaper than relaying a stream of one chunk.
      let bytes: Uint8Array;
      try {
        bytes = await response.bytes();
      } catch (err) {
        record(signal.aborted ? 499 : 502, { model: prep.model, compression: c }, before);
        release();
        if (signal.aborted) return new Response(null, { status: 499 });
        return upstreamUnreachable(info.provider, base, (err as Error).message);
      }
      const tBody = performance.now();
      reader?.push(bytes);
      const usage = reader?.finish();
      const out = new Response(bytes, init);
      record(status, { model: usage?.model ?? prep.model, usage, compression: c }, before + (performance.now() - tBody));
      release();
      return out;
    }
    const overhead = () => before + (performance.now() - tHeaders);
    let overheadMs = 0;
    const relayed = relayStream(response.body, reader, () => {
      const usage = reader?.finish();
      record(status, { model: usage?.model ?? prep.model, usage, compression: c }, overheadMs);
      release();
    });
    overheadMs = overhead();
    return new Response(relayed, init);
  } catch (err) {
    release();
    throw err;
  }
}
