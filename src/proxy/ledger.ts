// The savings ledger (proxy_savings.json): lifetime totals and an hourly history,
// written atomically and at most about once a second. Each write re-reads the file and
// adds what this process counted since its last write, so two proxies sharing a
// workspace both add up. A file that cannot be read is moved aside, never overwritten.
import { readFileSync, renameSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as v from "valibot";
import { errorMessage } from "../errors.ts";
import { PRIVATE_FILE, atomicWriteAsync } from "../host/fs.ts";
import type { RequestRecord } from "./request-record.ts";

export const HISTORY_LIMIT = 720; // 30 days of hourly buckets

// How the file is read. A file that is not JSON, not an object, or has no `lifetime`
// object is unreadable (moved aside); inside a readable one, a count that is not a finite
// number counts 0, a saved_by_kind entry that is not one is dropped, a history bucket
// without a string `hour` is dropped, and missing timestamps are now.

/** A count: anything but a finite number reads as 0. */
const Count = v.fallback(v.pipe(v.number(), v.finite()), 0);
const isCount = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);
/** Tokens saved per compressor kind; entries that are not counts are dropped. */
const ByKind = v.fallback(
  v.pipe(
    v.record(v.string(), v.unknown()),
    v.transform((byKind): Record<string, number> => Object.fromEntries(Object.entries(byKind).filter((e): e is [string, number] => isCount(e[1])))),
  ),
  () => ({}),
);
const Stamp = v.fallback(v.string(), () => new Date().toISOString());

const LedgerTotalsSchema = v.object({
  requests: Count,
  tokens_input: Count,
  tokens_output: Count,
  tokens_cache_read: Count,
  tokens_cache_write: Count,
  tokens_before: Count,
  tokens_after: Count,
  tokens_saved: Count,
  compressed_requests: Count,
  /** Emulated prompt-cache bills (base-input tokens) as sent by the clients and as forwarded, and their difference. */
  tokens_billed_passthrough: Count,
  tokens_billed: Count,
  tokens_net_saved: Count,
  saved_by_kind: ByKind,
});

const HistoryBucketSchema = v.object({
  hour: v.string(),
  requests: Count,
  tokens_input: Count,
  tokens_output: Count,
  tokens_before: Count,
  tokens_saved: Count,
});

const History = v.fallback(
  v.pipe(
    v.array(v.unknown()),
    v.transform((buckets) => buckets.flatMap((b) => {
      const parsed = v.safeParse(HistoryBucketSchema, b);
      return parsed.success ? [parsed.output] : [];
    })),
  ),
  () => [],
);

const LedgerFileSchema = v.pipe(
  v.object({ created_at: Stamp, updated_at: Stamp, lifetime: LedgerTotalsSchema, history: History }),
  v.transform((file) => ({ version: 1 as const, ...file })),
);

export type LedgerTotals = v.InferOutput<typeof LedgerTotalsSchema>;
export type HistoryBucket = v.InferOutput<typeof HistoryBucketSchema>;
export type LedgerFile = v.InferOutput<typeof LedgerFileSchema>;

export const emptyTotals = (): LedgerTotals => ({
  requests: 0, tokens_input: 0, tokens_output: 0, tokens_cache_read: 0, tokens_cache_write: 0,
  tokens_before: 0, tokens_after: 0, tokens_saved: 0, compressed_requests: 0,
  tokens_billed_passthrough: 0, tokens_billed: 0, tokens_net_saved: 0, saved_by_kind: {},
});

const NUMERIC_KEYS = [
  "requests", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_write",
  "tokens_before", "tokens_after", "tokens_saved", "compressed_requests",
  "tokens_billed_passthrough", "tokens_billed", "tokens_net_saved",
] as const;

function addTotals(into: LedgerTotals, d: LedgerTotals): void {
  for (const k of NUMERIC_KEYS) into[k] += d[k];
  for (const [kind, n] of Object.entries(d.saved_by_kind)) into.saved_by_kind[kind] = (into.saved_by_kind[kind] ?? 0) + n;
}

let hourCache = { start: 0, end: 0, key: "" };
/** The hour bucket key (ISO time of the hour's start), recomputed only when the hour changes. */
export function hourOf(ms: number): string {
  if (ms < hourCache.start || ms >= hourCache.end) {
    const start = Math.floor(ms / 3_600_000) * 3_600_000;
    hourCache = { start, end: start + 3_600_000, key: new Date(start).toISOString() };
  }
  return hourCache.key;
}

/** The ledger in a file's text; null when it is unreadable (then it is moved aside). */
export function parseLedger(text: string): LedgerFile | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = v.safeParse(LedgerFileSchema, raw);
  return parsed.success ? parsed.output : null;
}

export interface LedgerOptions {
  path: string;
  /** Minimum time between writes. */
  intervalMs?: number;
  onWarn?: (message: string) => void;
}

export class Ledger {
  private pending = emptyTotals();
  private pendingHours = new Map<string, HistoryBucket>();
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastWrite = 0;
  private writing: Promise<void> | null = null;
  private warned = false;
  /** Counts being written right now (still part of lifetime()). */
  private inWrite: LedgerTotals | null = null;
  /** The file as last read or written. */
  private base: LedgerFile;
  private readonly intervalMs: number;

  constructor(private readonly opts: LedgerOptions) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.base = this.read() ?? this.fresh();
  }

  private fresh(): LedgerFile {
    const now = new Date().toISOString();
    return { version: 1, created_at: now, updated_at: now, lifetime: emptyTotals(), history: [] };
  }

  private read(): LedgerFile | null {
    let text: string;
    try {
      text = readFileSync(this.opts.path, "utf8");
    } catch {
      return null;
    }
    const parsed = parseLedger(text);
    if (parsed) return parsed;
    const aside = `${this.opts.path}.corrupt-${Date.now()}`;
    try {
      renameSync(this.opts.path, aside);
      this.opts.onWarn?.(`The savings ledger ${this.opts.path} could not be read; it was moved to ${aside} and a new one started.`);
    } catch {
      // leave it; the next write replaces nothing it cannot read
    }
    return null;
  }

  record(r: RequestRecord): void {
    const d = this.pending;
    d.requests++;
    const u = r.usage;
    if (u) {
      d.tokens_input += u.input;
      d.tokens_output += u.output;
      d.tokens_cache_read += u.cacheRead;
      d.tokens_cache_write += u.cacheWrite;
    }
    let saved = 0;
    const c = r.compression;
    if (c) {
      d.tokens_before += c.tokensBefore;
      d.tokens_after += c.changed ? c.tokensAfter : c.tokensBefore;
      if (c.changed) {
        saved = Math.max(0, c.tokensBefore - c.tokensAfter);
        d.tokens_saved += saved;
        d.compressed_requests++;
        for (const [kind, n] of Object.entries(c.savedByKind)) d.saved_by_kind[kind] = (d.saved_by_kind[kind] ?? 0) + n;
      }
      if (c.cache && r.status < 400) {
        d.tokens_billed_passthrough += c.cache.passthrough;
        d.tokens_billed += c.cache.billed;
        d.tokens_net_saved += c.cache.passthrough - c.cache.billed;
      }
    }
    const hour = hourOf(Date.now());
    let b = this.pendingHours.get(hour);
    if (!b) {
      b = { hour, requests: 0, tokens_input: 0, tokens_output: 0, tokens_before: 0, tokens_saved: 0 };
      this.pendingHours.set(hour, b);
    }
    b.requests++;
    b.tokens_input += u?.input ?? 0;
    b.tokens_output += u?.output ?? 0;
    b.tokens_before += c?.tokensBefore ?? 0;
    b.tokens_saved += saved;
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
    this.timer.unref?.();
  }

  /** Lifetime totals: the file plus what this process has not written yet. */
  lifetime(): LedgerTotals {
    const out = emptyTotals();
    addTotals(out, this.base.lifetime);
    addTotals(out, this.pending);
    if (this.inWrite) addTotals(out, this.inWrite);
    return out;
  }

  /**
   * Writes pending counts. Runs off the event loop (async file I/O): the request path
   * never waits for the disk. One write at a time; counts that arrive meanwhile go into
   * the next one.
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing) return this.writing.then(() => this.flush());
    if (!this.dirty) return Promise.resolve();
    const delta = this.pending;
    const hours = this.pendingHours;
    this.pending = emptyTotals();
    this.pendingHours = new Map();
    this.dirty = false;
    this.inWrite = delta;
    this.writing = this.write(delta, hours).finally(() => {
      this.writing = null;
      this.inWrite = null;
      this.lastWrite = Date.now();
      if (this.dirty) this.schedule();
    });
    return this.writing;
  }

  private async write(delta: LedgerTotals, hours: Map<string, HistoryBucket>): Promise<void> {
    let current: LedgerFile | null = null;
    try {
      const text = await readFile(this.opts.path, "utf8");
      current = parseLedger(text);
      if (!current) current = this.read(); // moves the unreadable file aside
    } catch {
      current = null;
    }
    current ??= this.fresh();
    addTotals(current.lifetime, delta);
    // The emulated bills are fractional (1.25 x, 0.1 x): keep the file at cents.
    for (const k of ["tokens_billed_passthrough", "tokens_billed", "tokens_net_saved"] as const) current.lifetime[k] = Math.round(current.lifetime[k] * 100) / 100;
    const byHour = new Map(current.history.map((b) => [b.hour, b] as const));
    for (const [hour, d] of hours) {
      const b = byHour.get(hour);
      if (!b) {
        byHour.set(hour, { ...d });
        continue;
      }
      b.requests += d.requests;
      b.tokens_input += d.tokens_input;
      b.tokens_output += d.tokens_output;
      b.tokens_before += d.tokens_before;
      b.tokens_saved += d.tokens_saved;
    }
    current.history = [...byHour.values()].sort((a, b) => a.hour.localeCompare(b.hour)).slice(-HISTORY_LIMIT);
    current.updated_at = new Date().toISOString();
    try {
      await atomicWriteAsync(this.opts.path, `${JSON.stringify(current, null, 2)}\n`, { mode: PRIVATE_FILE, forceMode: true });
      this.base = current;
      this.warned = false;
    } catch (err) {
      // Keep the counts for the next attempt.
      addTotals(this.pending, delta);
      for (const [hour, d] of hours) {
        const b = this.pendingHours.get(hour);
        if (!b) this.pendingHours.set(hour, d);
        else {
          b.requests += d.requests;
          b.tokens_input += d.tokens_input;
          b.tokens_output += d.tokens_output;
          b.tokens_before += d.tokens_before;
          b.tokens_saved += d.tokens_saved;
        }
      }
      this.dirty = true;
      if (!this.warned) this.opts.onWarn?.(`Could not write the savings ledger ${this.opts.path}: ${errorMessage(err)}`);
      this.warned = true;
    }
  }

  /** Writes what is pending and waits for it (on shutdown). */
  close(): Promise<void> {
    return this.flush();
  }
}
