// /stats (JSON) and /metrics (Prometheus text exposition) from the same counters.
import { VERSION } from "../version.ts";
import type { ProxyContext } from "./context.ts";
import { netSavingsPercent, savingsPercent } from "./stats.ts";

const cents = (n: number) => Math.round(n * 100) / 100;

export function statsBody(ctx: ProxyContext): Record<string, unknown> {
  const s = ctx.stats;
  const life = ctx.ledger.lifetime();
  const byModel: Record<string, unknown> = {};
  for (const [model, m] of s.byModel) {
    byModel[model] = {
      provider: m.provider, requests: m.requests, tokens_input: m.input, tokens_output: m.output,
      tokens_cache_read: m.cacheRead, tokens_cache_write: m.cacheWrite, tokens_saved: m.saved, tokens_net_saved: cents(m.netSaved),
    };
  }
  const byKind: Record<string, unknown> = {};
  for (const [kind, k] of s.byKind) byKind[kind] = { count: k.count, tokens_saved: k.tokensSaved };
  // Gateway users (HEADROOM_TOKENS_FILE), per replica until the stats live in Redis.
  const byUser: Record<string, unknown> = {};
  for (const [user, u] of s.byUser.users) {
    byUser[user] = {
      requests: u.requests, errors: u.errors, tokens_input: u.input, tokens_output: u.output,
      tokens_cache_read: u.cacheRead, tokens_cache_write: u.cacheWrite, tokens_saved: u.saved, tokens_net_saved: cents(u.netSaved),
    };
  }
  return {
    version: VERSION,
    uptime_seconds: Math.round((Date.now() - s.startedAt) / 1000),
    requests: {
      total: s.requests,
      errors: s.errors,
      in_flight: ctx.life.inFlight,
      by_provider: { ...s.byProvider },
      by_model: byModel,
      by_status: Object.fromEntries(s.byStatus),
      by_project: Object.fromEntries(s.byProject),
      by_user: byUser,
    },
    tokens: {
      input: s.tokens.input,
      output: s.tokens.output,
      cache_read: s.tokens.cacheRead,
      cache_write: s.tokens.cacheWrite,
      before_compression: s.tokens.before,
      after_compression: s.tokens.after,
      saved: s.tokens.saved,
      savings_percent: savingsPercent(s.tokens),
      billed_passthrough: cents(s.tokens.billedPassthrough),
      billed: cents(s.tokens.billed),
      net_saved: cents(s.tokens.netSaved),
      net_savings_percent: netSavingsPercent(s.tokens),
    },
    latency_ms: s.latency.summary(),
    overhead_ms: s.overhead.summary(),
    compressions: { requests: s.compressedRequests, failed: s.compressionFailures, by_kind: byKind },
    lifetime: {
      ...life,
      tokens_billed_passthrough: cents(life.tokens_billed_passthrough),
      tokens_billed: cents(life.tokens_billed),
      tokens_net_saved: cents(life.tokens_net_saved),
      savings_percent: savingsPercent({ before: life.tokens_before, saved: life.tokens_saved }),
      net_savings_percent: netSavingsPercent({ billedPassthrough: life.tokens_billed_passthrough, netSaved: life.tokens_net_saved }),
    },
  };
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

export function metricsText(ctx: ProxyContext): string {
  const s = ctx.stats;
  const life = ctx.ledger.lifetime();
  const lines: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(",");
      lines.push(`${name}${l ? `{${l}}` : ""} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  metric("headroom_info", "gauge", "Build information.", [[{ version: VERSION }, 1]]);
  metric("headroom_uptime_seconds", "gauge", "Seconds since the proxy started.", [[{}, (Date.now() - s.startedAt) / 1000]]);
  metric("headroom_requests_total", "counter", "Forwarded requests by provider.",
    (Object.entries(s.byProvider) as Array<[string, number]>).map(([p, n]) => [{ provider: p }, n]));
  metric("headroom_requests_by_model_total", "counter", "Forwarded requests by model.",
    [...s.byModel].map(([model, m]) => [{ provider: m.provider, model }, m.requests]));
  metric("headroom_responses_total", "counter", "Responses by status class.", [...s.byStatus].map(([c, n]) => [{ class: c }, n]));
  metric("headroom_request_errors_total", "counter", "Responses with status 400 or above.", [[{}, s.errors]]);
  metric("headroom_requests_in_flight", "gauge", "Requests being forwarded now.", [[{}, ctx.life.inFlight]]);
  metric("headroom_tokens_total", "counter", "Tokens reported by the upstream, by kind.", [
    [{ kind: "input" }, s.tokens.input], [{ kind: "output" }, s.tokens.output],
    [{ kind: "cache_read" }, s.tokens.cacheRead], [{ kind: "cache_write" }, s.tokens.cacheWrite],
  ]);
  metric("headroom_tokens_before_compression_total", "counter", "Estimated request tokens the compressor examined.", [[{}, s.tokens.before]]);
  metric("headroom_tokens_after_compression_total", "counter", "Estimated request tokens after compression.", [[{}, s.tokens.after]]);
  metric("headroom_tokens_saved_total", "counter", "Estimated request tokens removed by compression.", [[{}, s.tokens.saved]]);
  metric("headroom_savings_percent", "gauge", "Share of examined request tokens removed.", [[{}, savingsPercent(s.tokens)]]);
  metric("headroom_billed_input_tokens_total", "counter", "Emulated prompt-cache bill (input + 1.25 x cache write + 0.1 x cache read) of the requests as sent and as forwarded.", [
    [{ as: "sent" }, cents(s.tokens.billedPassthrough)], [{ as: "forwarded" }, cents(s.tokens.billed)],
  ]);
  metric("headroom_tokens_net_saved", "gauge", "Emulated bill as sent minus as forwarded, in base-input tokens (negative when compression cost more).", [[{}, cents(s.tokens.netSaved)]]);
  metric("headroom_compressions_total", "counter", "Requests compressed, by compressor kind.", [...s.byKind].map(([k, v]) => [{ kind: k }, v.count]));
  metric("headroom_compression_tokens_saved_total", "counter", "Tokens saved, by compressor kind.", [...s.byKind].map(([k, v]) => [{ kind: k }, v.tokensSaved]));
  metric("headroom_compression_failures_total", "counter", "Compressions that failed; the original was forwarded.", [[{}, s.compressionFailures]]);
  const lat = s.latency.summary();
  const ovh = s.overhead.summary();
  metric("headroom_latency_ms", "gauge", "Request latency over recent requests.", [
    [{ stat: "avg" }, lat.avg], [{ stat: "p50" }, lat.p50], [{ stat: "p99" }, lat.p99],
  ]);
  metric("headroom_overhead_ms", "gauge", "Time spent in the proxy itself over recent requests.", [
    [{ stat: "avg" }, ovh.avg], [{ stat: "p50" }, ovh.p50], [{ stat: "p99" }, ovh.p99],
  ]);
  const users = [...s.byUser.users];
  metric("headroom_user_requests_total", "counter", "Forwarded requests by gateway user (HEADROOM_TOKENS_FILE).", users.map(([user, u]) => [{ user }, u.requests]));
  metric("headroom_user_request_errors_total", "counter", "Responses with status 400 or above, by gateway user.", users.map(([user, u]) => [{ user }, u.errors]));
  metric("headroom_user_tokens_total", "counter", "Tokens reported by the upstream, by gateway user and kind.", users.flatMap(([user, u]) => [
    [{ user, kind: "input" }, u.input], [{ user, kind: "output" }, u.output],
    [{ user, kind: "cache_read" }, u.cacheRead], [{ user, kind: "cache_write" }, u.cacheWrite],
  ] as Array<[Record<string, string>, number]>));
  metric("headroom_user_tokens_saved_total", "counter", "Estimated request tokens removed by compression, by gateway user.", users.map(([user, u]) => [{ user }, u.saved]));
  metric("headroom_user_tokens_net_saved", "gauge", "Emulated prompt-cache bill as sent minus as forwarded, by gateway user.", users.map(([user, u]) => [{ user }, cents(u.netSaved)]));
  metric("headroom_lifetime_requests_total", "counter", "Requests recorded in the savings ledger.", [[{}, life.requests]]);
  metric("headroom_lifetime_tokens_saved_total", "counter", "Tokens saved recorded in the savings ledger.", [[{}, life.tokens_saved]]);
  metric("headroom_lifetime_tokens_net_saved", "gauge", "Net saving on the emulated prompt-cache bill recorded in the savings ledger.", [[{}, cents(life.tokens_net_saved)]]);
  return `${lines.join("\n")}\n`;
}
