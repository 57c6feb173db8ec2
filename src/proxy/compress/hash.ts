// Content hashes that name originals in the retrieval store and in markers.
import { createHash } from "node:crypto";

/** 24 hex digits of SHA-256: short enough for a marker, long enough never to collide in practice. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 24);
}

export const HASH_PATTERN = /^[0-9a-f]{24}$/;

/** A fast, non-cryptographic key (wyhash + length) for remembering results per content. */
export function quickKey(text: string): string {
  return `${Bun.hash(text).toString(36)}:${text.length}`;
}
