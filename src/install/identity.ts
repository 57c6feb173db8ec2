// The one proof that the process on a deployment's port IS that deployment (SPEC 4.6),
// used by apply (its port pre-check and its wait), status, wrap and agent ensure.
//
// 1. The challenge (every OS, native and docker runtimes): a fresh random nonce sent to
//    GET /headroom/identity; the answer must carry HMAC-SHA256 over the nonce, the
//    profile, the pid it reports and the port it is bound to, keyed with the profile's
//    secret (deploy/<p>/identity.key, 0600). A copied /health body proves nothing; a
//    relay to the real runtime on another port is caught by the port in the MAC.
// 2. Only when the holder does not answer the challenge at all (a runtime started by an
//    older headroom), and only where the OS can tell (Linux /proc, a process of this
//    user): the listening socket's owner is the supervisor's own main process.
// A wrong answer is never rescued by 2.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { PRIVATE_DIR, ensureDir } from "../host/fs.ts";
import { type PortProbe, probePort } from "../host/port-probe.ts";
import { getJsonAnswer, localUrl } from "../host/net.ts";
import { profileDir } from "../paths.ts";
import { IDENTITY_ROUTE, identityKeyPath, identityMac, readIdentityKey } from "../proxy/identity.ts";
import type { Manifest } from "./manifest.ts";

import type { Env } from "../host/env.ts";
export type Who = Pick<Manifest, "profile" | "port" | "workspaceDir">;

const wsEnv = (m: Pick<Manifest, "workspaceDir">): Env => ({ HEADROOM_WORKSPACE_DIR: m.workspaceDir });

export function keyPath(m: Pick<Manifest, "profile" | "workspaceDir">): string {
  return identityKeyPath(m.profile, wsEnv(m));
}

/**
 * Creates the profile's secret when it has none (32 random bytes as hex, mode 0600,
 * created exclusively so that a concurrent creator's key is kept). Returns its path.
 */
export function ensureIdentityKey(m: Pick<Manifest, "profile" | "workspaceDir">): string {
  const path = keyPath(m);
  if (readIdentityKey(m.profile, wsEnv(m))) return path;
  ensureDir(profileDir(m.profile, wsEnv(m)), PRIVATE_DIR);
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    if (readIdentityKey(m.profile, wsEnv(m))) return path;
    // There but unusable (empty, truncated): replace it.
    fd = openSync(path, "w", 0o600);
  }
  try {
    writeSync(fd, `${randomBytes(32).toString("hex")}\n`);
  } finally {
    closeSync(fd);
  }
  return path;
}

export interface IdentityProof {
  /** The holder proved it is this deployment. */
  proven: boolean;
  /** How: the challenge, or (an older runtime) the listening socket's owner. */
  how?: "challenge" | "socket-owner";
  /** The proven pid (the one the MAC covers, or the socket owner). */
  pid?: number;
  /** What answers on the port (/health, /readyz, TCP). */
  probe: PortProbe;
  /** /health names this profile (true for a forgery too). */
  claims: boolean;
  /** The holder answered the challenge (rightly or not); false for a runtime from before the challenge existed. */
  answered?: boolean;
  /** Why it is not proven, as a phrase: "its answer to the identity challenge is wrong". */
  reason?: string;
}

export interface ProveOptions {
  timeoutMs?: number;
  /** A probe already made (saves a round trip). */
  probe?: PortProbe;
  /** The supervisor's main pid, for the socket-owner check of a runtime that cannot answer the challenge. */
  expectedPid?: () => Promise<number | undefined> | number | undefined;
}

type Challenge = { ok: true; pid: number } | { ok: false; answered: boolean; reason: string };

async function challenge(m: Who, key: Buffer | null, timeoutMs: number): Promise<Challenge> {
  const nonce = randomBytes(32).toString("hex");
  const res = await getJsonAnswer<Record<string, unknown> | null>(localUrl(m.port, `${IDENTITY_ROUTE}?nonce=${nonce}`), timeoutMs);
  if (!res) return { ok: false, answered: false, reason: "it does not answer the identity challenge" };
  const b = res.body;
  if (res.status === 404 || !b || typeof b !== "object" || typeof b.mac !== "string") {
    return { ok: false, answered: false, reason: "it does not answer the identity challenge" };
  }
  if (!key) return { ok: false, answered: true, reason: `the profile has no identity key to check its answer against (${keyPath(m)})` };
  const pid = typeof b.pid === "number" && Number.isInteger(b.pid) && b.pid > 0 ? b.pid : 0;
  if (b.profile !== m.profile) return { ok: false, answered: true, reason: `it answers the identity challenge for ${typeof b.profile === "string" ? `the profile "${b.profile}"` : "no profile"}` };
  if (b.port !== m.port) return { ok: false, answered: true, reason: `it answers the identity challenge for port ${String(b.port)}: it relays to another process` };
  const want = Buffer.from(identityMac(key, { nonce, profile: m.profile, pid, port: m.port }), "hex");
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(b.mac) ? b.mac : "", "hex");
  if (!pid || got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, answered: true, reason: "its answer to the identity challenge is wrong" };
  return { ok: true, pid };
}

/** Whether the process holding m.port proves it is the deployment m. Never throws. */
export async function proveIdentity(m: Who, opts: ProveOptions = {}): Promise<IdentityProof> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const key = readIdentityKey(m.profile, wsEnv(m));
  const [probe, ch] = await Promise.all([opts.probe ?? probePort(m.port, "127.0.0.1", timeoutMs), challenge(m, key, timeoutMs)]);
  const claims = probe.profile === m.profile;
  if (ch.ok) return { proven: true, how: "challenge", pid: ch.pid, probe, claims, answered: true };
  if (!probe.open) return { proven: false, probe, claims, answered: false, reason: `nothing listens on port ${m.port}` };
  if (!ch.answered && claims && opts.expectedPid) {
    const expected = await opts.expectedPid();
    if (expected) {
      const { findListeningProcess } = await import("../proxy/port-holder.ts");
      const owner = findListeningProcess(m.port);
      if (owner?.pid === expected) return { proven: true, how: "socket-owner", pid: owner.pid, probe, claims, answered: false };
    }
  }
  return { proven: false, probe, claims, answered: ch.answered, reason: ch.reason };
}

/**
 * Who holds the port, for "Port P is held by <this>": "another HTTP server, not by this
 * deployment", or, for a holder whose /health names the profile, "a process that is not
 * this deployment: it claims to be the deployment "p" (its /health says pid N) but cannot
 * prove it (<reason>)".
 */
export function heldBy(p: IdentityProof, m: Pick<Manifest, "profile">): string {
  if (p.claims) return `a process that is not this deployment: it claims to be the deployment "${m.profile}"${p.probe.pid ? ` (its /health says pid ${p.probe.pid})` : ""} but cannot prove it (${p.reason ?? "no proof"})`;
  return `${p.probe.description}, not by this deployment`;
}
