// The team's counters in Redis (HEADROOM_REDIS_URL): every replica adds what it counted to
// a few hashes, so /stats of any replica reports the deployment's totals (the `team` block)
// beside its own figures, and `lifetime.team` is the team's ledger next to this replica's
// file. Loaded only with HEADROOM_REDIS_URL (server.ts imports it then); it talks over the
// connection of the shared compression state (compress/redis-state.ts), so it shares its
// reconnection, its prefix and its degraded flag in /health.
//
// Writes: Stats.record hands each request here (enableSharedStats); the counts gather in memory and go to Redis
// at most about once a second as one EVAL whose script applies them with HINCRBY /
// HINCRBYFLOAT (one command, so atomic: a batch is applied whole or not at all). The request
// never waits for it. Redis down: the counts keep gathering here and go in the first batch
// after it returns (/health says degraded meanwhile, through the shared connection).
//
// Exactly once: each batch carries this process's id and a sequence number; the script
// applies a batch only if the number is above the last one it applied for this id, so a
// batch resent after a lost answer (a timeout, a connection cut after the write) is not
// counted twice.
//
// A Redis that lost its data (restarted without persistence, flushed): the counters carry
// an epoch key, created by the first batch that finds none. A batch that finds another
// epoch than the one this replica wrote under is refused, and the replica sends everything
// it counted since it started (applied before plus the batch) under the new epoch. After a
// restart without persistence the totals are thus the running replicas' counts since they
// started; with persistence (appendonly) nothing is lost.
//
// Keys (under the deployment's prefix, no TTL: under maxmemory-policy volatile-lru they
// are never evicted):
//   <prefix>s:epoch     "<ms since 1970>-<random>": when these counters began
//   <prefix>s:seq       hash: replica process id -> last batch applied (one field per process)
//   <prefix>s:totals    hash: requests, errors, tokens_*, compressed_requests, compression_failures
//   <prefix>s:provider  hash: ["<provider>","<counter>"] -> n
//   <prefix>s:model     hash: ["<model>","<provider>","<counter>"] -> n
//   <prefix>s:user      hash: ["<user>","<counter>"] -> n
//   <prefix>s:kind      hash: ["<compressor kind>","count"|"tokens_saved"] -> n
// (fields of the last four are JSON arrays, so any model or user name is one field.)
import type { RedisClient } from "bun";
import type { RedisState } from "./compress/redis-state.ts";
import type { LedgerTotals } from "./ledger.ts";
import { netSavingsPercent, type RequestRecord, type Stats, savingsPercent } from "./stats.ts";

const HASHES = ["totals", "provider", "model", "user", "kind"] as const;
type Hash = (typeof HASHES)[number];
/** Counters that are fractional (the emulated prompt-cache bills): HINCRBYFLOAT, the others HINCRBY. */
const FLOAT_COUNTERS = new Set(["tokens_billed_passthrough", "tokens_billed", "tokens_net_saved"]);

const FLUSH_EVERY_MS = 1000;
const COMMAND_TIMEOUT_MS = 1000;

// KEYS: epoch, seq, then the five hashes. ARGV: known epoch, a new epoch in case there is
// none, this process's id, the batch's number, then groups of four: hash index (1-based,
// into KEYS after the first two), field, "i" or "f", increment.
// Returns {1, epoch} applied, {2, epoch} already applied (a resent batch), {0, epoch} not
// applied: the counters are under another epoch than the one this replica knows.
const SCRIPT = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[2])
  epoch = ARGV[2]
end
if epoch ~= ARGV[1] then return {0, epoch} end
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
if last >= tonumber(ARGV[4]) then return {2, epoch} end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
for i = 5, #ARGV, 4 do
  local key = KEYS[2 + tonumber(ARGV[i])]
  if ARGV[i + 2] == 'f' then
    redis.call('HINCRBYFLOAT', key, ARGV[i + 1], ARGV[i + 3])
  else
    redis.call('HINCRBY', key, ARGV[i + 1], ARGV[i + 3])
  end
end
return {1, epoch}
`;

/** Counts by hash and field (the compound fields JSON-encoded). */
class Counts {
  readonly by = new Map<Hash, Map<string, number>>(HASHES.map((h) => [h, new Map()]));
  requests = 0;

  add(hash: Hash, field: string, n: number): void {
    if (n === 0) return;
    const m = this.by.get(hash)!;
    m.set(field, (m.get(field) ?? 0) + n);
  }

  merge(other: Counts): void {
    this.requests += other.requests;
    for (const [hash, m] of other.by) for (const [field, n] of m) this.add(hash, field, n);
  }

  get empty(): boolean {
    return this.requests === 0 && [...this.by.values()].every((m) => m.size === 0);
  }

  /** The script's argument groups. */
  ops(): string[] {
    const out: string[] = [];
    HASHES.forEach((hash, i) => {
      for (const [field, n] of this.by.get(hash)!) {
        const float = FLOAT_COUNTERS.has(counterOf(hash, field));
        out.push(String(i + 1), field, float ? "f" : "i", float ? n.toFixed(4) : String(Math.round(n)));
      }
    });
    return out;
  }
}

/** The counter's name in a field (the last element of a compound one). */
function counterOf(hash: Hash, field: string): string {
  if (hash === "totals") return field;
  const parts = JSON.parse(field) as string[];
  return parts[parts.length - 1]!;
}

const f = (...parts: string[]) => JSON.stringify(parts);

/** Adds one request to `c`, counting as Stats.record, ByUser.record and Ledger.record do. */
export function addRecord(c: Counts, r: RequestRecord): void {
  c.requests++;
  const error = r.status >= 400 ? 1 : 0;
  const u = r.usage;
  const comp = r.compression;
  const saved = comp?.changed ? Math.max(0, comp.tokensBefore - comp.tokensAfter) : 0;
  // A rejected request is not billed.
  const cache = comp?.cache && r.status < 400 ? comp.cache : undefined;
  const net = cache ? cache.passthrough - cache.billed : 0;
  const tokens: Array<[string, number]> = [
    ["tokens_input", u?.input ?? 0],
    ["tokens_output", u?.output ?? 0],
    ["tokens_cache_read", u?.cacheRead ?? 0],
    ["tokens_cache_write", u?.cacheWrite ?? 0],
    ["tokens_saved", saved],
    ["tokens_net_saved", net],
  ];
  c.add("totals", "requests", 1);
  c.add("totals", "errors", error);
  for (const [k, n] of tokens) c.add("totals", k, n);
  if (comp) {
    c.add("totals", "tokens_before", comp.tokensBefore);
    c.add("totals", "tokens_after", comp.changed ? comp.tokensAfter : comp.tokensBefore);
    if (comp.failed) c.add("totals", "compression_failures", 1);
    if (comp.changed) {
      c.add("totals", "compressed_requests", 1);
      for (const [kind, n] of Object.entries(comp.savedByKind)) {
        c.add("kind", f(kind, "count"), 1);
        c.add("kind", f(kind, "tokens_saved"), n);
      }
    }
  }
  if (cache) {
    c.add("totals", "tokens_billed_passthrough", cache.passthrough);
    c.add("totals", "tokens_billed", cache.billed);
  }
  c.add("provider", f(r.provider, "requests"), 1);
  for (const [k, n] of tokens.slice(0, 2)) c.add("provider", f(r.provider, k), n);
  c.add("provider", f(r.provider, "tokens_saved"), saved);
  const model = r.model ?? u?.model;
  if (model) {
    c.add("model", f(model, r.provider, "requests"), 1);
    for (const [k, n] of tokens) c.add("model", f(model, r.provider, k), n);
  }
  if (r.user !== undefined) {
    c.add("user", f(r.user, "requests"), 1);
    c.add("user", f(r.user, "errors"), error);
    for (const [k, n] of tokens) c.add("user", f(r.user, k), n);
  }
}

interface Snapshot {
  epoch: string | null;
  at: number;
  hashes: Record<Hash, Record<string, string>>;
}

type J = Record<string, unknown>;
const cents = (n: number) => Math.round(n * 100) / 100;
const num = (v: string | undefined) => (v === undefined ? 0 : Number(v) || 0);
const reasonOf = (err: unknown) => (err as Error)?.message || String(err);

export interface SharedStatsOptions {
  state: RedisState;
  prefix: string;
  log: { info(m: string): void; warn(m: string): void };
}

export class SharedStats {
  private readonly id = `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  private seq = 0;
  /** The epoch this replica's applied counts are under ("" before the first batch). */
  private epoch = "";
  /** Applied under `epoch` since this process started (sent again if Redis loses them). */
  private applied = new Counts();
  /** The batch being sent, or whose answer was lost: resent as it is, under its number. */
  private batch: { seq: number; counts: Counts } | null = null;
  private pending = new Counts();
  private flushing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last: Snapshot | null = null;
  private lastError: string | null = null;
  private closed = false;
  private readonly keys: { epoch: string; seq: string; hashes: string[] };

  constructor(private readonly opts: SharedStatsOptions) {
    const k = (name: string) => `${opts.prefix}s:${name}`;
    this.keys = { epoch: k("epoch"), seq: k("seq"), hashes: HASHES.map(k) };
  }

  record(r: RequestRecord): void {
    addRecord(this.pending, r);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_EVERY_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Requests this replica counted that Redis does not hold yet. */
  unflushed(): number {
    return this.pending.requests + (this.batch?.counts.requests ?? 0);
  }

  /** Sends what is waiting (one batch at a time); on failure keeps it for the next attempt. */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = null;
      if (this.batch || !this.pending.empty) this.schedule();
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    // A few rounds at most: a refused epoch is followed by the resend at once.
    for (let round = 0; round < 4; round++) {
      if (!this.batch) {
        if (this.pending.empty) return;
        this.batch = { seq: ++this.seq, counts: this.pending };
        this.pending = new Counts();
      }
      const batch = this.batch;
      let reply: [number, string];
      try {
        const candidate = `${Date.now()}-${crypto.randomUUID().slice(0, 8)}`;
        const args = [SCRIPT, String(2 + HASHES.length), this.keys.epoch, this.keys.seq, ...this.keys.hashes, this.epoch, candidate, this.id, String(batch.seq), ...batch.counts.ops()];
        reply = (await this.opts.state.command((c: RedisClient) => c.send("EVAL", args), COMMAND_TIMEOUT_MS)) as [number, string];
      } catch (err) {
        this.lastError = reasonOf(err);
        return; // the batch stays; retried by the next flush
      }
      this.lastError = null;
      const [status, epoch] = [Number(reply[0]), String(reply[1])];
      if (status === 0) {
        // Counters under another epoch: everything this replica counted goes again under it.
        if (this.epoch !== "" && this.applied.requests > 0) {
          this.opts.log.warn(`The team counters in Redis were reset (epoch ${this.epoch} -> ${epoch}); this replica adds again the ${this.applied.requests} request(s) it counted since it started.`);
        }
        const all = this.applied;
        all.merge(batch.counts);
        this.applied = new Counts();
        this.epoch = epoch;
        this.batch = { seq: ++this.seq, counts: all };
        continue;
      }
      this.applied.merge(batch.counts);
      this.batch = null;
    }
  }

  /** Flushes this replica's counts, then reads the team's (the same connection: in that order). */
  private async read(): Promise<Snapshot | null> {
    await this.flush();
    try {
      const [epoch, ...values] = await this.opts.state.command(
        (c: RedisClient) => Promise.all([c.get(this.keys.epoch), ...this.keys.hashes.map((k) => c.hgetall(k))]) as Promise<[string | null, ...Record<string, string>[]]>,
        COMMAND_TIMEOUT_MS,
      );
      const hashes = Object.fromEntries(HASHES.map((h, i) => [h, values[i] ?? {}])) as Record<Hash, Record<string, string>>;
      this.last = { epoch, at: Date.now(), hashes };
      this.lastError = null;
    } catch (err) {
      this.lastError = reasonOf(err);
    }
    return this.last;
  }

  /** The `team` block and `lifetime.team`, added to this replica's /stats body. */
  async withTeam(body: J): Promise<J> {
    const snap = await this.read();
    const team = teamBlock(snap);
    team.unflushed_requests = this.unflushed();
    if (this.lastError) team.stale = `Redis did not answer (${this.lastError}); figures as of ${snap ? new Date(snap.at).toISOString() : "never"}, this replica's counts are sent when it returns`;
    const lifetime = (body.lifetime ?? {}) as J;
    return { ...body, team, lifetime: { ...lifetime, team: ledgerTotals(snap) } };
  }

  /** Sends what is waiting (on shutdown, before the connection closes). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    this.closed = true;
  }
}

function sinceOf(epoch: string | null | undefined): string | null {
  const ms = epoch ? Number(epoch.split("-")[0]) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Compound fields of a hash grouped by their leading parts: {"<name>": {"<counter>": n}}. */
function grouped(h: Record<string, string>, depth: 1 | 2): Map<string, { extra?: string; counters: Record<string, number> }> {
  const out = new Map<string, { extra?: string; counters: Record<string, number> }>();
  for (const [field, value] of Object.entries(h)) {
    let parts: string[];
    try {
      parts = JSON.parse(field) as string[];
    } catch {
      continue;
    }
    if (!Array.isArray(parts) || parts.length !== depth + 1) continue;
    const name = parts[0]!;
    const key = depth === 2 ? `${name}\u0000${parts[1]}` : name;
    let g = out.get(key);
    if (!g) {
      g = depth === 2 ? { extra: parts[1], counters: {} } : { counters: {} };
      out.set(key, g);
    }
    g.counters[parts[depth]!] = num(value);
  }
  return out;
}

const COUNTERS = ["requests", "errors", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_write", "tokens_saved", "tokens_net_saved"];

function counterBlock(c: Record<string, number>, names: string[]): J {
  const out: J = {};
  for (const n of names) out[n] = n === "tokens_net_saved" ? cents(c[n] ?? 0) : (c[n] ?? 0);
  return out;
}

function teamBlock(snap: Snapshot | null): J {
  const t = snap?.hashes.totals ?? {};
  const tokens = {
    input: num(t.tokens_input),
    output: num(t.tokens_output),
    cacheRead: num(t.tokens_cache_read),
    cacheWrite: num(t.tokens_cache_write),
    before: num(t.tokens_before),
    after: num(t.tokens_after),
    saved: num(t.tokens_saved),
    billedPassthrough: num(t.tokens_billed_passthrough),
    billed: num(t.tokens_billed),
    netSaved: num(t.tokens_net_saved),
  };
  const byProvider: J = {};
  for (const [p, g] of grouped(snap?.hashes.provider ?? {}, 1)) byProvider[p] = counterBlock(g.counters, ["requests", "tokens_input", "tokens_output", "tokens_saved"]);
  const byModel: J = {};
  // Keyed by model as in requests.by_model; a model seen under two providers keeps both, the second as "<model> (<provider>)".
  for (const [k, g] of grouped(snap?.hashes.model ?? {}, 2)) {
    const model = k.split("\u0000")[0]!;
    const name = model in byModel ? `${model} (${g.extra})` : model;
    byModel[name] = { provider: g.extra, ...counterBlock(g.counters, COUNTERS.filter((c) => c !== "errors")) };
  }
  const byUser: J = {};
  for (const [user, g] of grouped(snap?.hashes.user ?? {}, 1)) byUser[user] = counterBlock(g.counters, COUNTERS);
  const byKind: J = {};
  for (const [kind, g] of grouped(snap?.hashes.kind ?? {}, 1)) byKind[kind] = { count: g.counters.count ?? 0, tokens_saved: g.counters.tokens_saved ?? 0 };
  return {
    backend: "redis",
    since: sinceOf(snap?.epoch),
    updated_at: snap ? new Date(snap.at).toISOString() : null,
    requests: { total: num(t.requests), errors: num(t.errors), by_provider: byProvider, by_model: byModel, by_user: byUser },
    tokens: {
      input: tokens.input,
      output: tokens.output,
      cache_read: tokens.cacheRead,
      cache_write: tokens.cacheWrite,
      before_compression: tokens.before,
      after_compression: tokens.after,
      saved: tokens.saved,
      savings_percent: savingsPercent(tokens),
      billed_passthrough: cents(tokens.billedPassthrough),
      billed: cents(tokens.billed),
      net_saved: cents(tokens.netSaved),
      net_savings_percent: netSavingsPercent(tokens),
    },
    compressions: { requests: num(t.compressed_requests), failed: num(t.compression_failures), by_kind: byKind },
  };
}

/** The team counters in the ledger's shape (lifetime.team beside this replica's lifetime). */
function ledgerTotals(snap: Snapshot | null): LedgerTotals & J {
  const t = snap?.hashes.totals ?? {};
  const savedByKind: Record<string, number> = {};
  for (const [kind, g] of grouped(snap?.hashes.kind ?? {}, 1)) savedByKind[kind] = g.counters.tokens_saved ?? 0;
  const life = {
    requests: num(t.requests),
    tokens_input: num(t.tokens_input),
    tokens_output: num(t.tokens_output),
    tokens_cache_read: num(t.tokens_cache_read),
    tokens_cache_write: num(t.tokens_cache_write),
    tokens_before: num(t.tokens_before),
    tokens_after: num(t.tokens_after),
    tokens_saved: num(t.tokens_saved),
    compressed_requests: num(t.compressed_requests),
    tokens_billed_passthrough: cents(num(t.tokens_billed_passthrough)),
    tokens_billed: cents(num(t.tokens_billed)),
    tokens_net_saved: cents(num(t.tokens_net_saved)),
    saved_by_kind: savedByKind,
  };
  return {
    ...life,
    since: sinceOf(snap?.epoch),
    savings_percent: savingsPercent({ before: life.tokens_before, saved: life.tokens_saved }),
    net_savings_percent: netSavingsPercent({ billedPassthrough: life.tokens_billed_passthrough, netSaved: life.tokens_net_saved }),
  };
}

/**
 * Feeds the team counters from `stats`: this instance's record() also hands each request
 * here (every request reaches Stats.record once: forward.ts and the Responses WebSocket).
 */
export function enableSharedStats(stats: Stats, opts: SharedStatsOptions): SharedStats {
  const shared = new SharedStats(opts);
  const local = stats.record.bind(stats);
  stats.record = (r: RequestRecord) => {
    local(r);
    shared.record(r);
  };
  return shared;
}
