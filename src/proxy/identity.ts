// A deployment's proof of identity (SPEC 4.6). Each profile has a secret: 32 random
// bytes, hex, in `deploy/<profile>/identity.key` (mode 0600, in the 0700 profile
// folder), readable by the runtime and the CLI of the user it belongs to and by no one
// else. The runtime answers a challenge:
//
//   GET /headroom/identity?nonce=<32..128 hex>
//   -> {"profile", "pid", "port", "mac"}   mac = HMAC-SHA256(key, v1 \0 nonce \0 profile \0 pid \0 port)
//
// `port` is the port this process is bound to. A process that copies /health, or
// replays an old answer, cannot answer a fresh nonce; one that relays the challenge to
// the real runtime on another port gets a MAC over that other port, which the verifier
// (src/install/identity.ts) refuses. The answer reveals nothing about the key, so the
// route needs no token. This module is the runtime's side and the shared pure parts.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Env } from "../host/env.ts";
import { profileDir } from "../paths.ts";

export const IDENTITY_ROUTE = "/headroom/identity";
export const IDENTITY_FILE = "identity.key";
const VERSION = "headroom-identity-v1";
export const NONCE = /^[0-9a-f]{32,128}$/;

export function identityKeyPath(profile: string, env: Env = process.env): string {
  return join(profileDir(profile, env), IDENTITY_FILE);
}

/** The key as bytes, or null when the file is missing or not 64 hex characters. */
export function parseIdentityKey(text: string): Buffer | null {
  const hex = text.trim();
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, "hex") : null;
}

export function readIdentityKey(profile: string, env: Env = process.env): Buffer | null {
  try {
    return parseIdentityKey(readFileSync(identityKeyPath(profile, env), "utf8"));
  } catch {
    return null;
  }
}

/** The MAC of one answer, hex. Every field is fixed-form (hex, profile name, digits), so the \0-joined message is unambiguous. */
export function identityMac(key: Uint8Array, f: { nonce: string; profile: string; pid: number; port: number }): string {
  return createHmac("sha256", key).update([VERSION, f.nonce, f.profile, String(f.pid), String(f.port)].join("\0")).digest("hex");
}

export interface IdentityAnswer {
  profile: string;
  pid: number;
  port: number;
  mac: string;
}

/** The runtime's answer to GET /headroom/identity (`search` is the URL's query string, "?nonce=..."). */
export function identityResponse(search: string, deployment: { profile: string } | undefined, port: number, env: Env = process.env): Response {
  if (!deployment) return Response.json({ error: { type: "not_found", message: "This headroom proxy is not part of a deployment." } }, { status: 404 });
  const nonce = new URLSearchParams(search).get("nonce") ?? "";
  if (!NONCE.test(nonce)) return Response.json({ error: { type: "invalid_request", message: "nonce must be 32 to 128 lowercase hex characters." } }, { status: 400 });
  const key = readIdentityKey(deployment.profile, env);
  if (!key) return Response.json({ error: { type: "unavailable", message: `The identity key of the profile "${deployment.profile}" is missing.` } }, { status: 503 });
  const answer: IdentityAnswer = { profile: deployment.profile, pid: process.pid, port, mac: identityMac(key, { nonce, profile: deployment.profile, pid: process.pid, port }) };
  return Response.json(answer, { headers: { "cache-control": "no-store" } });
}
