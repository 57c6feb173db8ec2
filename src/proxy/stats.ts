// In-memory counters for /stats and /metrics, fed once per forwarded request from the
// usage the upstream reported. Percentiles (/stats) come from a bounded window of recent
// samples; /metrics gets labelled counters and histograms in seconds (Series, Histogram),
// all of which start at 0 with the process.
import { CacheAccount } from "./cache-account.ts";
import type { CompressionRecord, RequestRecord } from "./request-record.ts";
import type { Provider } from "./routing.ts";
import { ByUser } from "./user-stats.ts";

export type { CompressionRecord, RequestRecord };

export interface Summary {
  avg: number;
  p50: number;
  p99: number;
}

/** A fixed-size window of the latest samples. */
export class SampleWindow {
  private readonly buf: Float64Array;
  private next = 0;
  private filled = 0;
  private total = 0;
  private count = 0;

  constructor(size = 2048) {
    this.buf = new Float64Array(size);
  }

  add(value: number): void {
    this.buf[this.next] = value;
    this.next = (this.next + 1) % this.buf.length;
    if (this.filled < this.buf.length) this.filled++;
    this.total += value;
    this.count++;
  }

  summary(): Summary {
    if (this.filled === 0) return { avg: 0, p50: 0, p99: 0 };
    const sorted = Float64Array.from(this.buf.subarray(0, this.filled)).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
    return { avg: round(this.total / this.count), p50: round(at(0.5)), p99: round(at(0.99)) };
  }
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface TokenTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** Estimated tokens of the request bodies the compressor examined, before and after. */
  before: number;
  after: number;
  saved: number;
  /**
   * Emulated billed input (input + 1.25 x cache write + 0.1 x cache read, base-input
   * tokens) of the requests as the client sent them and as forwarded; netSaved is the
   * difference, negative when compression cost more in cache writes than it saved.
   */
  billedPassthrough: number;
  billed: number;
  netSaved: number;
}

export const emptyTokens = (): TokenTotals => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, before: 0, after: 0, saved: 0, billedPassthrough: 0, billed: 0, netSaved: 0 });

export interface ModelCounters {
  provider: Provider;
  requests: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  saved: number;
  netSaved: number;
}

/**
 * Upper bounds, in seconds, of the duration histograms: a local proxy's own overhead is
 * well under a millisecond, a long streamed answer takes a minute.
 */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A Prometheus histogram: per-bucket counts (the last one above every bound), sum and count. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = DURATION_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound, then +Inf (equal to count). */
  cumulative(): number[] {
    let run = 0;
    return this.counts.map((n) => (run += n));
  }
}

export type Labels = Record<string, string>;

/** Values keyed by a label set (the label names in a fixed order per use). */
export class Series<T> {
  private readonly map = new Map<string, { labels: Labels; value: T }>();

  constructor(private readonly make: () => T) {}

  get(labels: Labels): T {
    const key = JSON.stringify(labels);
    let e = this.map.get(key);
    if (!e) {
      e = { labels, value: this.make() };
      this.map.set(key, e);
    }
    return e.value;
  }

  entries(): IterableIterator<{ labels: Labels; value: T }> {
    return this.map.values();
  }
}

/** Token counters of one provider, model and (gateway) user, for /metrics. */
export interface TokenSeries {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** Estimated tokens of the request bodies the compressor examined, and those it removed. */
  examined: number;
  saved: number;
  /** Emulated prompt-cache bill as sent and as forwarded (base-input tokens). */
  billedPassthrough: number;
  billed: number;
}

const emptyTokenSeries = (): TokenSeries => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, examined: 0, saved: 0, billedPassthrough: 0, billed: 0 });

/** provider, model ("" when unknown), then status when given, then user (only for a gateway user). */
const seriesLabels = (r: RequestRecord, model: string | undefined, status?: string): Labels => {
  const l: Labels = { provider: r.provider, model: model ?? "" };
  if (status !== undefined) l.status = status;
  if (r.user !== undefined) l.user = r.user;
  return l;
};

const STATUS_CLASSES = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

export class Stats {
  readonly startedAt = Date.now();
  requests = 0;
  errors = 0;
  readonly byProvider: Record<Provider, number> = { anthropic: 0, openai: 0 };
  readonly byModel = new Map<string, ModelCounters>();
  readonly byStatus = new Map<string, number>();
  readonly byProject = new Map<string, number>();
  /** Per gateway user (user-stats.ts). */
  readonly byUser = new ByUser();
  readonly tokens = emptyTokens();
  compressedRequests = 0;
  compressionFailures = 0;
  readonly byKind = new Map<string, { count: number; tokensSaved: number }>();
  readonly latency = new SampleWindow();
  readonly overhead = new SampleWindow();
  /** The emulated prompt caches behind tokens.billed*: fed by the forward path, read here. */
  readonly cacheAccount = new CacheAccount();
  /** /metrics: requests by provider, model, status (and user); tokens by provider, model (and user). */
  readonly requestSeries = new Series<{ n: number }>(() => ({ n: 0 }));
  readonly tokenSeries = new Series<TokenSeries>(emptyTokenSeries);
  /** /metrics: latency in seconds by provider and status; proxy overhead by provider. */
  readonly durations = new Series<Histogram>(() => new Histogram());
  readonly overheads = new Series<Histogram>(() => new Histogram());

  record(r: RequestRecord): void {
    this.requests++;
    this.byProvider[r.provider]++;
    if (r.status >= 400) this.errors++;
    const cls = STATUS_CLASSES[Math.floor(r.status / 100)] ?? `${Math.floor(r.status / 100)}xx`;
    this.byStatus.set(cls, (this.byStatus.get(cls) ?? 0) + 1);
    if (r.project) this.byProject.set(r.project, (this.byProject.get(r.project) ?? 0) + 1);
    if (r.user !== undefined) this.byUser.record(r);
    this.latency.add(r.latencyMs);
    this.overhead.add(r.overheadMs);
    const u = r.usage;
    if (u) {
      this.tokens.input += u.input;
      this.tokens.output += u.output;
      this.tokens.cacheRead += u.cacheRead;
      this.tokens.cacheWrite += u.cacheWrite;
    }
    const c = r.compression;
    let saved = 0;
    let netSaved = 0;
    if (c) {
      this.tokens.before += c.tokensBefore;
      this.tokens.after += c.changed ? c.tokensAfter : c.tokensBefore;
      if (c.failed) this.compressionFailures++;
      if (c.changed) {
        saved = Math.max(0, c.tokensBefore - c.tokensAfter);
        this.tokens.saved += saved;
        this.compressedRequests++;
        for (const [kind, tokens] of Object.entries(c.savedByKind)) {
          const k = this.byKind.get(kind) ?? { count: 0, tokensSaved: 0 };
          k.count++;
          k.tokensSaved += tokens;
          this.byKind.set(kind, k);
        }
      }
      // A rejected request is not billed (its emulated cache state still moved on).
      if (c.cache && r.status < 400) {
        netSaved = c.cache.passthrough - c.cache.billed;
        this.tokens.billedPassthrough += c.cache.passthrough;
        this.tokens.billed += c.cache.billed;
        this.tokens.netSaved += netSaved;
      }
    }
    const model = r.model ?? u?.model;
    this.recordSeries(r, model, saved);
    if (model) {
      let m = this.byModel.get(model);
      if (!m) {
        m = { provider: r.provider, requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, saved: 0, netSaved: 0 };
        this.byModel.set(model, m);
      }
      m.requests++;
      m.saved += saved;
      m.netSaved += netSaved;
      if (u) {
        m.input += u.input;
        m.output += u.output;
        m.cacheRead += u.cacheRead;
        m.cacheWrite += u.cacheWrite;
      }
    }
  }

  private recordSeries(r: RequestRecord, model: string | undefined, saved: number): void {
    this.requestSeries.get(seriesLabels(r, model, String(r.status))).n++;
    this.durations.get({ provider: r.provider, status: String(r.status) }).observe(r.latencyMs / 1000);
    this.overheads.get({ provider: r.provider }).observe(r.overheadMs / 1000);
    const u = r.usage;
    const c = r.compression;
    if (!u && !c) return;
    const t = this.tokenSeries.get(seriesLabels(r, model));
    if (u) {
      t.input += u.input;
      t.output += u.output;
      t.cacheRead += u.cacheRead;
      t.cacheWrite += u.cacheWrite;
    }
    if (c) {
      t.examined += c.tokensBefore;
      t.saved += saved;
      if (c.cache && r.status < 400) {
        t.billedPassthrough += c.cache.passthrough;
        t.billed += c.cache.billed;
      }
    }
  }
}

/** Share of the emulated passthrough bill that compression saved, in percent (negative when it cost more). */
export function netSavingsPercent(t: { billedPassthrough: number; netSaved: number }): number {
  return t.billedPassthrough > 0 ? round((t.netSaved / t.billedPassthrough) * 100, 2) : 0;
}

/** Share of examined prompt tokens that compression removed, in percent. */
export function savingsPercent(t: { before: number; saved: number }): number {
  return t.before > 0 ? round((t.saved / t.before) * 100, 2) : 0;
}
