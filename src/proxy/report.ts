// /stats (JSON) and /metrics (Prometheus text exposition) from the same counters.
import { readdirSync, readFileSync } from "node:fs";
import { VERSION } from "../version.ts";
import type { ProxyContext } from "./context.ts";
import { type Histogram, type Labels, netSavingsPercent, savingsPercent, type TokenSeries } from "./stats.ts";

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

// Label values: backslash, double quote and line feed escaped; HELP text: backslash and line feed.
const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");
const labelText = (labels: Labels) => {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(",");
  return l ? `{${l}}` : "";
};

/** The usual process_* figures: memory from the runtime, the rest from Linux /proc where there is one. */
export function processMetrics(): { start: number; cpu: number; rss: number; vsize?: number; fds?: number; maxFds?: number } {
  const cpu = process.cpuUsage();
  const out: ReturnType<typeof processMetrics> = { start: performance.timeOrigin / 1000, cpu: (cpu.user + cpu.system) / 1e6, rss: process.memoryUsage().rss };
  if (process.platform !== "linux") return out;
  try {
    // Fields after the parenthesised command name: state is field 3, vsize field 23.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const vsize = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[20]);
    if (Number.isFinite(vsize)) out.vsize = vsize;
  } catch {}
  try {
    // One entry is the directory being listed.
    out.fds = Math.max(0, readdirSync("/proc/self/fd").length - 1);
  } catch {}
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) out.maxFds = Number(m[1]);
  } catch {}
  return out;
}

type Family = { name: string; type: "counter" | "gauge" | "histogram"; help: string };

/**
 * /metrics in the Prometheus text format (0.0.4): every family with HELP and TYPE,
 * counters named *_total that start at 0 with the process, durations as histograms in
 * seconds, ratios left to PromQL. Ledger (lifetime) totals are gauges.
 */
export function metricsText(ctx: ProxyContext): string {
  const s = ctx.stats;
  const life = ctx.ledger.lifetime();
  const lines: string[] = [];
  const head = (f: Family) => lines.push(`# HELP ${f.name} ${escHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: Iterable<[Labels, number]>) => {
    head({ name, type, help });
    for (const [labels, value] of samples) lines.push(`${name}${labelText(labels)} ${num(value)}`);
  };
  const histogram = (name: string, help: string, series: Iterable<{ labels: Labels; value: Histogram }>) => {
    head({ name, type: "histogram", help });
    for (const { labels, value: h } of series) {
      const cum = h.cumulative();
      h.bounds.forEach((le, i) => lines.push(`${name}_bucket${labelText({ ...labels, le: String(le) })} ${cum[i]}`));
      lines.push(`${name}_bucket${labelText({ ...labels, le: "+Inf" })} ${h.count}`);
      lines.push(`${name}_sum${labelText(labels)} ${num(h.sum)}`, `${name}_count${labelText(labels)} ${h.count}`);
    }
  };
  const tokens = [...s.tokenSeries.entries()];
  const pick = (f: (t: TokenSeries) => number, extra: Labels) =>
    tokens.map(({ labels, value }) => [{ ...extra, ...labels }, f(value)] as [Labels, number]);

  metric("headroom_info", "gauge", "Build information; always 1.", [[{ version: VERSION }, 1]]);
  metric("headroom_requests_total", "counter", "Forwarded requests by provider, model (empty when unknown), response status (499: the client left first; 502: no answer from the upstream) and gateway user.",
    [...s.requestSeries.entries()].map(({ labels, value }) => [labels, value.n]));
  metric("headroom_requests_in_flight", "gauge", "Requests being forwarded now.", [[{}, ctx.life.inFlight]]);
  histogram("headroom_request_duration_seconds", "Time from a request's arrival to the last byte relayed, by provider and response status.", s.durations.entries());
  histogram("headroom_proxy_overhead_seconds", "Time spent in the proxy itself (before the upstream call, and between its answer and handing it on), by provider.", s.overheads.entries());
  metric("headroom_tokens_total", "counter", "Tokens by direction: in and out as the upstream reported them (in excludes cache reads and writes), saved as estimated request tokens removed by compression.", [
    ...pick((t) => t.input, { direction: "in" }), ...pick((t) => t.output, { direction: "out" }), ...pick((t) => t.saved, { direction: "saved" }),
  ]);
  metric("headroom_cache_tokens_total", "counter", "Prompt-cache input tokens the upstream reported, by operation (read, write).", [
    ...pick((t) => t.cacheRead, { op: "read" }), ...pick((t) => t.cacheWrite, { op: "write" }),
  ]);
  metric("headroom_compression_examined_tokens_total", "counter", "Estimated request tokens the compressor examined (the denominator of the savings ratio).", pick((t) => t.examined, {}));
  metric("headroom_billed_input_tokens_total", "counter", "Emulated prompt-cache bill (input + 1.25 x cache write + 0.1 x cache read, base-input tokens) of the requests as sent and as forwarded; the net saving is sent minus forwarded.", [
    ...pick((t) => cents(t.billedPassthrough), { as: "sent" }), ...pick((t) => cents(t.billed), { as: "forwarded" }),
  ]);
  metric("headroom_compressions_total", "counter", "Requests a compressor changed, by compressor.", [...s.byKind].map(([k, v]) => [{ compressor: k }, v.count]));
  metric("headroom_compression_tokens_saved_total", "counter", "Estimated request tokens removed, by compressor.", [...s.byKind].map(([k, v]) => [{ compressor: k }, v.tokensSaved]));
  metric("headroom_compressed_requests_total", "counter", "Requests whose body compression changed.", [[{}, s.compressedRequests]]);
  metric("headroom_compression_failures_total", "counter", "Compressions that failed; the original was forwarded.", [[{}, s.compressionFailures]]);
  // The savings ledger survives restarts and is shared by proxies on one workspace: gauges.
  metric("headroom_lifetime_requests", "gauge", "Requests recorded in the savings ledger (all runs).", [[{}, life.requests]]);
  metric("headroom_lifetime_tokens", "gauge", "Tokens recorded in the savings ledger (all runs), by direction (in, out, saved, examined).", [
    [{ direction: "in" }, life.tokens_input], [{ direction: "out" }, life.tokens_output],
    [{ direction: "saved" }, life.tokens_saved], [{ direction: "examined" }, life.tokens_before],
  ]);
  metric("headroom_lifetime_billed_input_tokens", "gauge", "Emulated prompt-cache bill recorded in the savings ledger (all runs), as sent and as forwarded.", [
    [{ as: "sent" }, cents(life.tokens_billed_passthrough)], [{ as: "forwarded" }, cents(life.tokens_billed)],
  ]);
  const p = processMetrics();
  metric("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.", [[{}, Math.round(p.start * 1000) / 1000]]);
  metric("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [[{}, p.cpu]]);
  metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [[{}, p.rss]]);
  if (p.vsize !== undefined) metric("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", [[{}, p.vsize]]);
  if (p.fds !== undefined) metric("process_open_fds", "gauge", "Number of open file descriptors.", [[{}, p.fds]]);
  if (p.maxFds !== undefined) metric("process_max_fds", "gauge", "Maximum number of open file descriptors.", [[{}, p.maxFds]]);
  return `${lines.join("\n")}\n`;
}
