// Compression state in Redis (HEADROOM_REDIS_URL), so the replicas of one deployment
// behind a balancer answer each other's headroom_retrieve calls and keep each other's
// cache-mode bytes. Loaded only when the variable is set (shared.ts).
//
// Bun's built-in client (`RedisClient` from "bun"): no dependency, RESP3, and it pipelines
// every command issued in the same tick on one connection, which is what a write that must
// not hold up the request needs. Its own reconnection gives up after maxRetries and cannot
// see a connection that went silent, so this file keeps the connection itself: offline
// queue off (a command while disconnected fails at once instead of waiting), and a retry
// timer with backoff for as long as the proxy runs.
//
// Keys (all under the deployment's prefix, every one with a TTL):
//   <prefix>o:<hash>   an original, PX the store's TTL (30 min)
//   <prefix>c:<key>    a conversation's state as JSON, PX cache mode's TTL (1 h)
//   <prefix>cs:<key>   the stamp (a quick hash) of that JSON, so a replica whose own copy
//                      is current reads a few bytes instead of the whole state
import { RedisClient } from "bun";
import * as v from "valibot";
import { isObj } from "./apis/types.ts";
import { quickKey } from "./hash.ts";
import type { ConversationState, SharedBackend, SharedHealth } from "./state-types.ts";

export interface RedisStateOptions {
  url: string;
  prefix: string;
  originalTtlMs: number;
  conversationTtlMs: number;
  /** Entries remembered for pushing again while Redis is unreachable (beyond: this replica only). */
  maxPending: { originals: number; conversations: number };
  /** This process's copies, read when pushing again after an outage. */
  local: { original(hash: string): string | undefined; conversation(key: string): ConversationState | undefined };
  log: { info(m: string): void; warn(m: string): void };
  /** A read that takes longer counts as failed; the request goes on with what this replica has. */
  readTimeoutMs?: number;
}

/** Writes allowed to wait for Redis at once; past it (a server that stopped answering) writes wait for a reconnect. */
const MAX_IN_FLIGHT = 4096;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
/** A connection whose reads time out for this long is dropped and made again (a silent peer). */
const SILENT_RESET_MS = 2000;

function describeServer(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol.includes("unix")) return `${u.protocol}//${u.pathname}`;
    return `${u.protocol}//${u.hostname}:${u.port || "6379"}${u.pathname.length > 1 ? u.pathname : ""}`;
  } catch {
    return "redis (unparsable URL)";
  }
}

function reasonOf(err: unknown): string {
  const e = isObj(err) ? err : {};
  const message = (typeof e.message === "string" && e.message) || String(err);
  const code = typeof e.code === "string" ? e.code : "";
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A conversation's state as another replica wrote it: three arrays of one length. */
const ConversationStateSchema = v.pipe(
  v.object({ originals: v.array(v.string()), forwarded: v.array(v.unknown()), changed: v.array(v.boolean()) }),
  v.check((s) => s.forwarded.length === s.originals.length && s.changed.length === s.originals.length),
);

function asState(value: unknown): ConversationState | null {
  const parsed = v.safeParse(ConversationStateSchema, value);
  return parsed.success ? parsed.output : null;
}

/** Insertion-ordered keys, the oldest dropped past the cap. */
function addBounded(set: Set<string>, key: string, cap: number): void {
  set.delete(key);
  set.add(key);
  if (set.size > cap) set.delete(set.values().next().value!);
}

export class RedisState implements SharedBackend {
  /** Settles once the first connection attempt ended (or after about a second). */
  readonly started: Promise<void>;
  readonly server: string;
  private client: RedisClient;
  private connected = false;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Why Redis is not serving, and since when (null: it is). */
  private problem: { since: number; reason: string } | null = { since: Date.now(), reason: "connecting" };
  private lastSuccess = 0;
  private inFlight = 0;
  private readonly readTimeoutMs: number;
  /** Originals written (or refreshed) in Redis, by hash: when, so a refresh is sent at most every tenth of the TTL. */
  private synced = new Map<string, number>();
  private readonly refreshEveryMs: number;
  /** What was written while Redis was unreachable: pushed again when it returns. */
  private pendingOriginals = new Set<string>();
  private pendingConversations = new Set<string>();
  /** Conversation writes waiting for the end of the tick (serialised off the request's path). */
  private deferred = new Map<string, ConversationState>();
  private flushScheduled = false;
  /** The stamp of each state this process wrote or read, to compare with Redis's. */
  private stamps = new WeakMap<ConversationState, string>();

  constructor(private opts: RedisStateOptions) {
    this.server = describeServer(opts.url);
    this.readTimeoutMs = opts.readTimeoutMs ?? 250;
    this.refreshEveryMs = Math.max(1000, Math.floor(opts.originalTtlMs / 10));
    this.client = this.newClient();
    let settle: () => void;
    this.started = new Promise<void>((resolve) => (settle = resolve));
    const cap = setTimeout(() => settle(), 1000);
    cap.unref();
    this.connect().finally(() => {
      clearTimeout(cap);
      settle();
    });
  }

  // ---- connection ----

  private newClient(): RedisClient {
    const client = new RedisClient(this.opts.url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 2000, enableAutoPipelining: true });
    client.onconnect = () => {
      if (client === this.client) this.up();
    };
    client.onclose = (err) => {
      if (client === this.client) this.lost(err ? reasonOf(err) : "connection closed");
    };
    return client;
  }

  private connect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.connecting ??= this.client
      .connect()
      .then(
        () => this.up(),
        (err) => this.lost(reasonOf(err)),
      )
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  private up(): void {
    if (this.connected || this.closed) return;
    this.connected = true;
    this.retryMs = RETRY_MIN_MS;
    this.lastSuccess = Date.now();
    const was = this.problem;
    this.problem = null;
    // Redis may have lost what it held (a restart without persistence): write everything anew.
    this.synced.clear();
    const pending = this.pendingOriginals.size + this.pendingConversations.size;
    if (was && was.reason !== "connecting") this.opts.log.info(`Redis at ${this.server} is reachable again; compression state is shared again (${pending} entr${pending === 1 ? "y" : "ies"} written meanwhile pushed now).`);
    else this.opts.log.info(`Compression state is shared in Redis at ${this.server} (prefix "${this.opts.prefix}").`);
    this.resync();
  }

  private lost(reason: string): void {
    const was = this.connected;
    this.connected = false;
    const text = `Redis is unreachable: ${reason}`;
    const first = was || !this.problem || this.problem.reason === "connecting";
    if (was || !this.problem) this.problem = { since: Date.now(), reason: text };
    else this.problem.reason = text;
    if (first) this.opts.log.warn(`Redis at ${this.server} is unreachable: ${reason}; originals and cache-mode memory are kept on this replica only until it answers (retrying).`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** A command failed while connected (an error reply, or no answer in time). */
  private failed(err: unknown): void {
    if (!this.connected) return; // lost() says why
    const reason = `Redis failed: ${reasonOf(err)}`;
    if (!this.problem) {
      this.problem = { since: Date.now(), reason };
      this.opts.log.warn(`Redis at ${this.server} failed: ${reasonOf(err)}; going on with what this replica holds.`);
    } else this.problem.reason = reason;
    // A peer that went silent never closes the connection: drop it and connect anew.
    if (Date.now() - this.lastSuccess > SILENT_RESET_MS) {
      this.opts.log.warn(`Redis at ${this.server} has not answered for over ${SILENT_RESET_MS} ms; connecting anew.`);
      const old = this.client;
      this.client = this.newClient();
      this.connected = false;
      this.inFlight = 0;
      old.close();
      this.lost(reasonOf(err));
    }
  }

  private succeeded(): void {
    this.lastSuccess = Date.now();
    if (this.problem && this.connected) {
      this.problem = null;
      this.opts.log.info(`Redis at ${this.server} answers again.`);
      this.resync();
    }
  }

  private usable(): boolean {
    return this.connected && !this.closed && this.inFlight < MAX_IN_FLIGHT;
  }

  private key(kind: "o" | "c" | "cs", id: string): string {
    return `${this.opts.prefix}${kind}:${id}`;
  }

  /** A write nobody waits for: counted, and on failure remembered for pushing again. */
  private track(write: Promise<unknown>, onFail: () => void): void {
    this.inFlight++;
    write.then(
      () => {
        this.inFlight = Math.max(0, this.inFlight - 1);
        this.succeeded();
      },
      (err) => {
        this.inFlight = Math.max(0, this.inFlight - 1);
        onFail();
        this.failed(err);
      },
    );
  }

  /** A read the request waits for, at most readTimeoutMs. */
  private async read<T>(command: Promise<T>, timeoutMs = this.readTimeoutMs): Promise<T> {
    command.catch(() => {}); // a late failure after the timeout is not unhandled
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const value = await Promise.race([command, timeout]);
      this.succeeded();
      return value;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A command of another shared-state user (the team stats, ../shared-stats.ts) on this
   * connection, so it shares its reconnection and its degraded state: fails at once while
   * Redis is unusable; an error or no answer within timeoutMs counts as Redis failing.
   */
  async command<T>(issue: (client: RedisClient) => Promise<T>, timeoutMs = this.readTimeoutMs): Promise<T> {
    if (!this.usable()) throw new Error(this.problem?.reason ?? "Redis is not connected");
    try {
      return await this.read(issue(this.client), timeoutMs);
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }

  // ---- originals ----

  putOriginal(hash: string, text: string): void {
    if (!this.usable()) {
      addBounded(this.pendingOriginals, hash, this.opts.maxPending.originals);
      return;
    }
    const now = Date.now();
    const last = this.synced.get(hash);
    if (last !== undefined && now - last < this.refreshEveryMs) return;
    this.synced.delete(hash);
    this.synced.set(hash, now);
    if (this.synced.size > this.opts.maxPending.originals * 2) this.synced.delete(this.synced.keys().next().value!);
    const key = this.key("o", hash);
    const ttl = this.opts.originalTtlMs;
    const client = this.client;
    // Content-addressed: a refresh only moves the expiry, unless Redis no longer has it.
    const write = last === undefined ? client.set(key, text, "PX", ttl) : client.pexpire(key, ttl).then((n) => (n === 1 ? "OK" : client.set(key, text, "PX", ttl)));
    this.track(write, () => {
      this.synced.delete(hash);
      addBounded(this.pendingOriginals, hash, this.opts.maxPending.originals);
    });
  }

  async getOriginal(hash: string): Promise<string | undefined> {
    if (!this.usable()) return undefined;
    try {
      return (await this.read(this.client.get(this.key("o", hash)))) ?? undefined;
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  // ---- conversations ----

  putConversation(key: string, state: ConversationState): void {
    if (!this.usable()) {
      addBounded(this.pendingConversations, key, this.opts.maxPending.conversations);
      return;
    }
    this.deferred.set(key, state);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = [...this.deferred];
    this.deferred.clear();
    for (const [key, state] of batch) {
      if (!this.usable()) {
        addBounded(this.pendingConversations, key, this.opts.maxPending.conversations);
        continue;
      }
      const json = JSON.stringify(state);
      const stamp = quickKey(json);
      this.stamps.set(state, stamp);
      const ttl = this.opts.conversationTtlMs;
      // State first, then its stamp: on one connection Redis applies them in this order.
      const write = Promise.all([this.client.set(this.key("c", key), json, "PX", ttl), this.client.set(this.key("cs", key), stamp, "PX", ttl)]);
      this.track(write, () => addBounded(this.pendingConversations, key, this.opts.maxPending.conversations));
    }
  }

  private async remoteConversation(key: string): Promise<ConversationState | null> {
    const [json, stamp] = await this.read(Promise.all([this.client.get(this.key("c", key)), this.client.get(this.key("cs", key))]));
    if (json === null) return null;
    let state: ConversationState | null;
    try {
      state = asState(JSON.parse(json));
    } catch {
      state = null;
    }
    if (state) this.stamps.set(state, stamp ?? quickKey(json));
    return state;
  }

  async fetchConversation(key: string, local: ConversationState | undefined): Promise<ConversationState | null> {
    if (!this.usable()) return null;
    // This replica's own newest state, not yet sent (the write waits for the end of the tick).
    if (local && this.deferred.get(key) === local) return null;
    const localStamp = local ? this.stamps.get(local) : undefined;
    try {
      if (localStamp !== undefined) {
        // The few bytes of the stamp first: most turns come back to the replica that saw the last one.
        const stamp = await this.read(this.client.get(this.key("cs", key)));
        if (stamp === null || stamp === localStamp) return null;
      }
      const remote = await this.remoteConversation(key);
      if (!remote) return null;
      // An older state (written before this replica moved the conversation on) loses.
      if (local && isPrefix(remote.originals, local.originals)) return null;
      return remote;
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  // ---- after an outage ----

  private resync(): void {
    const hashes = [...this.pendingOriginals];
    this.pendingOriginals.clear();
    for (const hash of hashes) {
      const text = this.opts.local.original(hash);
      if (text !== undefined) this.putOriginal(hash, text);
    }
    const keys = [...this.pendingConversations];
    this.pendingConversations.clear();
    for (const key of keys) {
      const state = this.opts.local.conversation(key);
      if (state) void this.resyncConversation(key, state);
    }
  }

  /** Pushes this replica's state unless another replica moved the conversation further meanwhile. */
  private async resyncConversation(key: string, state: ConversationState): Promise<void> {
    if (!this.usable()) {
      addBounded(this.pendingConversations, key, this.opts.maxPending.conversations);
      return;
    }
    try {
      const remote = await this.remoteConversation(key);
      if (remote && !isPrefix(remote.originals, state.originals)) return;
      this.putConversation(key, state);
    } catch (err) {
      addBounded(this.pendingConversations, key, this.opts.maxPending.conversations);
      this.failed(err);
    }
  }

  // ---- health and shutdown ----

  health(): SharedHealth {
    const out: SharedHealth = {
      backend: "redis",
      connected: this.connected,
      unshared: this.pendingOriginals.size + this.pendingConversations.size,
    };
    if (this.problem) out.degraded = `${this.problem.reason} (since ${new Date(this.problem.since).toISOString()}); new originals, cache-mode memory and counts are kept on this replica only until it returns`;
    return out;
  }

  /** Sends what is waiting, gives the writes in flight up to half a second, then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.deferred.size > 0) this.flush();
    for (let waited = 0; this.inFlight > 0 && this.connected && waited < 500; waited += 10) await Bun.sleep(10);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.connected = false;
    this.client.close();
  }
}
