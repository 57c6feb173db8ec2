// The savings ledger (proxy_savings.json): lifetime totals and an hourly history,
// written atomically and at most about once a second. Each write re-reads the file and
// adds what this process counted since its last write, so two proxies sharing a
// workspace both add up. A file that cannot be read is moved aside, never overwritten.
import { readFileSync, renameSync } from "node:fs";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { resolveSymlinkTarget } from "../host/fs.ts";
import type { RequestRecord } from "./request-record.ts";

export const HISTORY_LIMIT = 720; // 30 days of hourly buckets

export interface LedgerTotals {
  requests: number;
  tokens_input: number;
  tokens_output: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  tokens_before: number;
  tokens_after: number;
  tokens_saved: number;
  compressed_requests: number;
  /** Emulated prompt-cache bills (base-input tokens) as sent by the clients and as forwarded, and their difference. */
  tokens_billed_passthrough: number;
  tokens_billed: number;
  tokens_net_saved: number;
  saved_by_kind: Record<string, number>;
}

export interface HistoryBucket {
  hour: string;
  requests: number;
  tokens_input: number;
  tokens_output: number;
  tokens_before: number;
  tokens_saved: number;
}

export interface LedgerFile {
  version: 1;
  created_at: string;
  updated_at: string;
  lifetime: LedgerTotals;
  history: HistoryBucket[];
}

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

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Validates a parsed ledger; null when it is not one. */
export function parseLedger(text: string): LedgerFile | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Partial<LedgerFile>;
  const life = r.lifetime as Partial<LedgerTotals> | undefined;
  if (!life || typeof life !== "object") return null;
  const lifetime = emptyTotals();
  for (const k of NUMERIC_KEYS) lifetime[k] = isNum(life[k]) ? life[k] : 0;
  if (life.saved_by_kind && typeof life.saved_by_kind === "object") {
    for (const [kind, n] of Object.entries(life.saved_by_kind)) if (isNum(n)) lifetime.saved_by_kind[kind] = n;
  }
  const history = Array.isArray(r.history)
    ? r.history.filter((b): b is HistoryBucket => !!b && typeof b === "object" && typeof (b as HistoryBucket).hour === "string")
    : [];
  const now = new Date().toISOString();
  return {
    version: 1,
    created_at: typeof r.created_at === "string" ? r.created_at : now,
    updated_at: typeof r.updated_at === "string" ? r.updated_at : now,
    lifetime,
    history,
  };
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
      await writeAtomically(this.opts.path, `${JSON.stringify(current, null, 2)}\n`);
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
      if (!this.warned) this.opts.onWarn?.(`Could not write the savings ledger ${this.opts.path}: ${(err as Error).message}`);
      this.warned = true;
    }
  }

  /** Writes what is pending and waits for it (on shutdown). */
  close(): Promise<void> {
    return this.flush();
  }
}

/** Temporary file in the same folder, fsync, rename; async so that the event loop never waits for the disk. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const target = resolveSymlinkTarget(path);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(target)}.headroom-${process.pid}-${Date.now()}.tmp`);
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
